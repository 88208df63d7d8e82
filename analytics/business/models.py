"""Business hours: the tables. Imported by analytics/models.py, so they belong to the analytics app.

A workspace's business schedule is versioned and append-only: each BusinessSchedule row is in
effect from its `effective_from` until the next one's, and a conversation is measured with the
version in effect at its created_at. A version is only ever added for a moment that no event can
have yet (analytics/business/services.py), so what the trigger counted stays equal to what the
recomputation gives (docs/architecture.md, "Business hours").
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Func
from django.db.models.functions import Now
from django.db.models.lookups import Exact
from django_pgviews import view as pg

from analytics.models import dimension_key, histogram_field, recompute_sql, slot_key, workspace_key
from core.models import Workspace


class BusinessSchedule(models.Model):
    """One version of a workspace's business hours: weekly open intervals in `time_zone` (parallel
    arrays: interval i is open on ISO weekday weekdays[i], 1 = Monday, from start_minutes[i] to
    end_minutes[i] minutes after local midnight) and holidays (local dates closed all day). No
    interval at all means never open."""

    pk = models.CompositePrimaryKey("workspace", "effective_from")
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, db_index=False, related_name="business_schedules"
    )
    effective_from = models.DateTimeField(
        help_text="Conversations created at or after this instant (until the next version) are measured with it."
    )
    time_zone = models.CharField(max_length=64, help_text="IANA zone of the intervals and holidays.")
    weekdays = ArrayField(models.SmallIntegerField(), default=list, blank=True)
    start_minutes = ArrayField(models.IntegerField(), default=list, blank=True)
    end_minutes = ArrayField(models.IntegerField(), default=list, blank=True)
    holidays = ArrayField(models.DateField(), default=list, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "business_schedule"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    Exact(Func("weekdays", function="cardinality"), Func("start_minutes", function="cardinality")),
                    Exact(Func("start_minutes", function="cardinality"), Func("end_minutes", function="cardinality")),
                ),
                name="business_schedule_intervals_aligned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id} from {self.effective_from:%Y-%m-%d %H:%M:%S%z}"


class SupportBusinessHourly(models.Model):
    """First response and resolution in business time per hour x channel x agent: the same
    conversations as support_hourly's durations (the first response in its hour for the first
    responder, the resolution while resolved in its hour for the resolver), each measured as the
    seconds of [created_at, response or resolution) inside the open hours of the schedule version in
    effect at created_at (sql/functions/tally_business_seconds.sql; calendar time when the
    workspace has none), as count, sum of seconds and histogram. Kept from each changed
    conversation row as it was (-1) and as it is (+1)."""

    pk = models.CompositePrimaryKey("workspace", "bucket", "channel_id", "agent_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    channel_id = dimension_key()
    agent_id = dimension_key()
    slot = slot_key()
    first_response_count = models.BigIntegerField(default=0)
    first_response_seconds = models.DecimalField(max_digits=30, decimal_places=6, default=0)
    resolution_count = models.BigIntegerField(default=0)
    resolution_seconds = models.DecimalField(max_digits=30, decimal_places=6, default=0)
    first_response_bins = histogram_field()
    resolution_bins = histogram_field()

    class Meta:
        db_table = "support_business_hourly"


class RecomputeConversationMeasured(pg.ReadOnlyView):
    """Each conversation's durations in calendar and business time and its SLA outcomes, which the
    business, SLA, team and label recomputations read (sql/recompute/conversation_measured.sql)."""

    sql = recompute_sql("conversation_measured")
    dependencies = ["analytics.RecomputeConversation"]

    class Meta:
        managed = False
        db_table = "recompute_conversation_measured"


class RecomputeSupportBusinessHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_business_hourly")
    dependencies = ["analytics.RecomputeConversationMeasured"]

    class Meta:
        managed = False
        db_table = "recompute_support_business_hourly"


class SlaPolicy(models.Model):
    """One version of a workspace's SLA targets: first response and resolution, each a number of
    seconds (null: no target) in calendar or business time (the business schedule version in
    effect at the same created_at). Versioned and append-only like BusinessSchedule: a conversation
    is held to the version in effect at its created_at."""

    pk = models.CompositePrimaryKey("workspace", "effective_from")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, db_index=False, related_name="sla_policies")
    effective_from = models.DateTimeField(
        help_text="Conversations created at or after this instant (until the next version) are held to it."
    )
    first_response_seconds = models.IntegerField(null=True, blank=True, help_text="Target; empty: none.")
    first_response_business = models.BooleanField(default=False, help_text="Measured in business time.")
    resolution_seconds = models.IntegerField(null=True, blank=True, help_text="Target; empty: none.")
    resolution_business = models.BooleanField(default=False, help_text="Measured in business time.")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "sla_policy"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_response_seconds__gt=0) | models.Q(first_response_seconds__isnull=True),
                name="sla_policy_first_response_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_seconds__gt=0) | models.Q(resolution_seconds__isnull=True),
                name="sla_policy_resolution_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id} from {self.effective_from:%Y-%m-%d %H:%M:%S%z}"


class SupportSlaHourly(models.Model):
    """SLA outcomes per hour x channel x agent, in the hours, channels and agents of
    support_hourly's durations: first responses (resolutions, while resolved) of conversations held
    to a target (`*_targeted`) and those whose time, calendar or business as the target says,
    exceeds it (`*_breaches`). Kept from each changed conversation row as it was (-1) and as it is
    (+1), with the SLA policy and business schedule versions in effect at its created_at."""

    pk = models.CompositePrimaryKey("workspace", "bucket", "channel_id", "agent_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    channel_id = dimension_key()
    agent_id = dimension_key()
    slot = slot_key()
    first_response_targeted = models.BigIntegerField(default=0)
    first_response_breaches = models.BigIntegerField(default=0)
    resolution_targeted = models.BigIntegerField(default=0)
    resolution_breaches = models.BigIntegerField(default=0)

    class Meta:
        db_table = "support_sla_hourly"


class ConversationDue(models.Model):
    """The SLA targets still pending, one row per open conversation and target kind: `first_response`
    while it has no agent reply, `resolution` while it is open; `due_at` is the instant its time
    (calendar or business, as the target says) reaches the target. What the live "breaching within
    the next hour" and "overdue" figures count at read time (index on workspace_id, due_at). Kept
    by the conversation trigger like the conversation row (no write slot: only writers of the
    conversation touch its rows)."""

    pk = models.CompositePrimaryKey("workspace", "conversation_id", "kind")
    workspace = workspace_key("+")
    conversation_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=16)
    channel_id = dimension_key()
    due_at = models.DateTimeField()

    class Meta:
        db_table = "conversation_due"
        indexes = [models.Index(fields=["workspace", "due_at"], name="conversation_due_at_idx")]


class RecomputeSupportSlaHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_sla_hourly")
    dependencies = ["analytics.RecomputeConversationMeasured"]

    class Meta:
        managed = False
        db_table = "recompute_support_sla_hourly"


class RecomputeConversationDue(pg.ReadOnlyView):
    sql = recompute_sql("conversation_due")
    dependencies = ["analytics.RecomputeConversation"]

    class Meta:
        managed = False
        db_table = "recompute_conversation_due"
