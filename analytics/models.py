"""Raw events, the conversation state and the trigger-maintained summaries.

Every table is keyed by workspace first (the distribution column if this schema moves to
Citus). Summary tables use '' for "no channel/agent/customer" so their keys can be unique;
the raw table keeps NULL. Summaries hang off the workspace without a foreign-key constraint:
they are derived data, rebuilt from the raw events, and an RI check per upserted row would be
paid on every ingest.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now
from django_pgviews import view as pg

from core.models import Workspace
from core.sql import read_sql
from triggers import event_triggers

DURATION_BINS = (0, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200)
"""Lower bounds, in seconds, of the duration histogram bins: <1m, 1-5m, ... 1-3d, >3d."""


def workspace_key(related_name: str) -> models.ForeignKey:
    # No index of its own: every summary's primary key starts with workspace_id, and a separate
    # one tempted the planner into scanning a whole workspace inside the triggers.
    return models.ForeignKey(
        Workspace,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name=related_name,
    )


def dimension_key() -> models.CharField:
    return models.CharField(max_length=64, blank=True, default="")


WRITE_SLOTS = 16
"""Write slots 1..WRITE_SLOTS (sql/functions/tally_write_slot.sql); slot 0 holds what compaction folded."""


def slot_key() -> models.SmallIntegerField:
    return models.SmallIntegerField(
        default=0,
        help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not "
        "queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
    )


class EventColumns(models.Model):
    """The columns of a raw event, shared by `event` and `event_pending`."""

    event_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(db_default=Now())
    conversation_id = models.CharField(max_length=64, null=True)
    channel_id = models.CharField(max_length=64, null=True)
    channel_name = models.CharField(max_length=200, null=True)
    agent_id = models.CharField(max_length=64, null=True)
    agent_name = models.CharField(max_length=200, null=True)
    agent_email = models.CharField(max_length=254, null=True)
    customer_id = models.CharField(max_length=64, null=True)
    customer_name = models.CharField(max_length=200, null=True)
    customer_type = models.CharField(max_length=50, null=True)
    customer_occupation = models.CharField(max_length=100, null=True)
    session_id = models.CharField(max_length=128, null=True)
    user_id = models.CharField(max_length=128, null=True)
    value = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    properties = models.JSONField(default=dict)
    category = models.CharField(max_length=100, null=True)

    class Meta:
        abstract = True


class Event(EventColumns):
    """One raw event, append-only. `event_id` is the client's idempotency key (or a server uuid).

    The table is partitioned by range of occurred_at (analytics/partitions.py), so retention
    drops whole partitions. A unique index of a partitioned table must contain the partition
    key, so the idempotency key lives in EventKey, which the ingest statement claims first."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="events", db_index=False)

    class Meta:
        db_table = "event"
        indexes = [
            models.Index(fields=["workspace", "-occurred_at", "-id"], name="event_ws_occurred_idx"),
            models.Index(
                fields=["workspace", "conversation_id", "occurred_at"],
                name="event_ws_conversation_idx",
                condition=models.Q(conversation_id__isnull=False),
            ),
            # One per filter of GET /api/v1/events/, in the listing's order, so a filtered page is
            # one index range scan.
            models.Index(fields=["workspace", "name", "-occurred_at", "-id"], name="event_ws_name_idx"),
            *(
                models.Index(
                    fields=["workspace", column, "-occurred_at", "-id"],
                    name=f"event_ws_{column.removesuffix('_id')}_idx",
                    condition=models.Q(**{f"{column}__isnull": False}),
                )
                for column in ("session_id", "user_id", "customer_id", "channel_id", "category")
            ),
        ]
        triggers = event_triggers()

    def __str__(self) -> str:
        return f"{self.name} {self.event_id} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class PendingEvent(EventColumns):
    """An accepted event whose summaries are not written yet: deferred summaries
    (TALLY_SUMMARIES=deferred, analytics/settling.py).

    The ingest statement claims the event's key in EventKey as always and stores the event here
    instead of in `event`; tally_settle() (sql/functions/tally_settle.sql) moves a workspace's pending
    events into `event` in one INSERT, whose summary trigger counts them as it counts any batch.
    So `event` holds exactly the events the summaries count, in either mode, and every read
    through Tally settles its workspace first."""

    pk = models.CompositePrimaryKey("workspace_id", "event_id")
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )

    class Meta:
        db_table = "event_pending"


class EventKey(models.Model):
    """The idempotency key of every stored event, across all partitions of `event`.

    The ingest statement inserts here first (ON CONFLICT DO NOTHING) and stores in `event` only
    the events whose key it claimed, so a retried event is stored and counted once in whatever
    partition it falls, also when two connections send it at the same time (the second waits on
    this primary key until the first commits). The first event stored under an id wins: a later
    event with the same id is a duplicate even if its occurred_at or content differ.
    """

    pk = models.CompositePrimaryKey("workspace_id", "event_id")
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    event_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(help_text="occurred_at of the stored event.")

    class Meta:
        db_table = "event_key"


def attribute_at() -> models.DateTimeField:
    return models.DateTimeField(null=True, help_text="occurred_at of the event the attribute comes from.")


def attribute_event_id() -> models.CharField:
    return models.CharField(max_length=64, null=True, help_text="event_id of the event the attribute comes from.")


class DimensionState(models.Model):
    """An agent, channel or customer as merged from some of its events. Each attribute is merged
    on its own: its value comes from the latest event (by occurred_at, then event id) that carried
    it, so an event that leaves an attribute out never clears it, and arrival order does not
    matter. The merge is associative: the views agent, channel and customer (sql/views/) merge a
    key's write slots into the row all its events give, and the recomputation merges the sealed
    state of events that retention dropped with the retained events."""

    workspace = workspace_key("+")
    name = models.CharField(max_length=200, null=True)
    name_at = attribute_at()
    name_event_id = attribute_event_id()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        abstract = True


class AgentState(DimensionState):
    agent_id = models.CharField(max_length=64)
    email = models.CharField(max_length=254, null=True)
    email_at = attribute_at()
    email_event_id = attribute_event_id()

    class Meta:
        abstract = True


class ChannelState(DimensionState):
    channel_id = models.CharField(max_length=64)

    class Meta:
        abstract = True


class CustomerState(DimensionState):
    customer_id = models.CharField(max_length=64)
    type = models.CharField(max_length=50, null=True)
    type_at = attribute_at()
    type_event_id = attribute_event_id()
    occupation = models.CharField(max_length=100, null=True)
    occupation_at = attribute_at()
    occupation_event_id = attribute_event_id()

    class Meta:
        abstract = True


class AgentSlot(AgentState):
    """An agent as merged from the events written through one write slot."""

    pk = models.CompositePrimaryKey("workspace", "agent_id", "slot")
    slot = slot_key()

    class Meta:
        db_table = "agent_slot"


class ChannelSlot(ChannelState):
    pk = models.CompositePrimaryKey("workspace", "channel_id", "slot")
    slot = slot_key()

    class Meta:
        db_table = "channel_slot"


class CustomerSlot(CustomerState):
    pk = models.CompositePrimaryKey("workspace", "customer_id", "slot")
    slot = slot_key()

    class Meta:
        db_table = "customer_slot"


class AgentSealed(AgentState):
    """An agent as merged from the raw events that retention dropped (analytics/retention.py);
    recompute_agent merges it with the retained events."""

    pk = models.CompositePrimaryKey("workspace", "agent_id")

    class Meta:
        db_table = "agent_sealed"


class ChannelSealed(ChannelState):
    """A channel as merged from the raw events that retention dropped."""

    pk = models.CompositePrimaryKey("workspace", "channel_id")

    class Meta:
        db_table = "channel_sealed"


class CustomerSealed(CustomerState):
    """A customer as merged from the raw events that retention dropped."""

    pk = models.CompositePrimaryKey("workspace", "customer_id")

    class Meta:
        db_table = "customer_sealed"


def dimension_view_sql(name: str) -> str:
    return read_sql(f"views/{name}.sql").rstrip(";")


class Agent(pg.ReadOnlyView):
    """agent_slot with its write slots merged: one row per agent, as every reader sees it."""

    sql = dimension_view_sql("agent")

    pk = models.CompositePrimaryKey("workspace", "agent_id")
    workspace = workspace_key("+")
    agent_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, null=True)
    name_at = attribute_at()
    name_event_id = attribute_event_id()
    email = models.CharField(max_length=254, null=True)
    email_at = attribute_at()
    email_event_id = attribute_event_id()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "agent"


class Channel(pg.ReadOnlyView):
    """channel_slot with its write slots merged: one row per channel."""

    sql = dimension_view_sql("channel")

    pk = models.CompositePrimaryKey("workspace", "channel_id")
    workspace = workspace_key("+")
    channel_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, null=True)
    name_at = attribute_at()
    name_event_id = attribute_event_id()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "channel"


class Customer(pg.ReadOnlyView):
    """customer_slot with its write slots merged: one row per customer."""

    sql = dimension_view_sql("customer")

    pk = models.CompositePrimaryKey("workspace", "customer_id")
    workspace = workspace_key("+")
    customer_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, null=True)
    name_at = attribute_at()
    name_event_id = attribute_event_id()
    type = models.CharField(max_length=50, null=True)
    type_at = attribute_at()
    type_event_id = attribute_event_id()
    occupation = models.CharField(max_length=100, null=True)
    occupation_at = attribute_at()
    occupation_event_id = attribute_event_id()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "customer"


class ConversationState(models.Model):
    """A conversation merged from its events so that arrival order does not matter.

    Every column is a min, a max, a sum, or the value of the event that is least/greatest by
    (occurred_at, event_id). The `*_event_id`/`*_rank` columns are the tie-breakers that make the
    merge order-independent, and associative: two states merge into the state of all their events.
    """

    pk = models.CompositePrimaryKey("workspace", "conversation_id")
    workspace = workspace_key("+")
    conversation_id = models.CharField(max_length=64)
    channel_id = models.CharField(max_length=64, null=True)
    channel_rank = models.SmallIntegerField(null=True, help_text="0 when the channel comes from conversation.created.")
    channel_at = models.DateTimeField(null=True)
    channel_event_id = models.CharField(max_length=64, null=True)
    customer_id = models.CharField(max_length=64, null=True)
    customer_rank = models.SmallIntegerField(null=True)
    customer_at = models.DateTimeField(null=True)
    customer_event_id = models.CharField(max_length=64, null=True)
    created_at = models.DateTimeField(null=True)
    first_assigned_at = models.DateTimeField(null=True)
    assignee_id = models.CharField(max_length=64, null=True)
    assigned_at = models.DateTimeField(null=True, help_text="occurred_at of the latest assignment.")
    assigned_event_id = models.CharField(max_length=64, null=True)
    team_id = models.CharField(
        max_length=64, null=True, help_text="properties.team of the latest assignment (none when it names no team)."
    )
    first_response_at = models.DateTimeField(null=True)
    first_responder_id = models.CharField(max_length=64, null=True)
    first_response_event_id = models.CharField(max_length=64, null=True)
    first_resolved_at = models.DateTimeField(null=True)
    last_resolved_at = models.DateTimeField(null=True)
    resolver_id = models.CharField(max_length=64, null=True)
    resolved_event_id = models.CharField(max_length=64, null=True)
    last_reopened_at = models.DateTimeField(null=True)
    rating = models.SmallIntegerField(null=True, help_text="Score (1-5) of the latest conversation.rated.")
    rated_at = models.DateTimeField(null=True, help_text="occurred_at of the latest rating.")
    rated_event_id = models.CharField(max_length=64, null=True)
    agent_replies = models.IntegerField(db_default=0)
    customer_replies = models.IntegerField(db_default=0)
    last_event_at = models.DateTimeField(null=True)

    class Meta:
        abstract = True


class Conversation(ConversationState):
    """One row per conversation, merged from all its events (sql/triggers/event__merge_conversations.sql)."""

    status = models.GeneratedField(
        expression=models.Case(
            models.When(
                models.Q(last_resolved_at__isnull=False)
                & (
                    models.Q(last_reopened_at__isnull=True)
                    | models.Q(last_resolved_at__gt=models.F("last_reopened_at"))
                ),
                then=models.Value("resolved"),
            ),
            default=models.Value("open"),
        ),
        output_field=models.CharField(max_length=8),
        db_persist=True,
    )
    labels = ArrayField(
        models.TextField(),
        db_default=models.Value([], output_field=ArrayField(models.TextField())),
        help_text="The labels the conversation has now (conversation_label rows that are on), sorted by byte order.",
    )

    class Meta:
        db_table = "conversation"


class ConversationSealed(ConversationState):
    """A conversation merged from the raw events that retention dropped (analytics/retention.py);
    recompute_conversation merges it with the retained events.

    Reply times pair each customer message with the next agent reply, which may be retained while
    the message was dropped: the messages still waiting at the end of the dropped events (later
    than their last agent reply) are kept, and recompute_support_reply_hourly pairs them with the
    retained replies. Both merge order-independently: the latest reply is a max, and the
    messages waiting after a merge are those of either part later than it."""

    last_agent_reply_at = models.DateTimeField(null=True)
    waiting_customer_at = ArrayField(
        models.DateTimeField(),
        default=list,
        help_text="occurred_at of each customer message later than last_agent_reply_at, sorted.",
    )

    class Meta:
        db_table = "conversation_sealed"


class ConversationLabelState(models.Model):
    """Whether a label is on a conversation: decided by the latest of the conversation's
    conversation.labeled / conversation.unlabeled events naming the label, by (occurred_at,
    event_id), so arrival order does not matter. Rows that are off are kept: they decide against
    an older event arriving late."""

    pk = models.CompositePrimaryKey("workspace", "conversation_id", "label")
    workspace = workspace_key("+")
    conversation_id = models.CharField(max_length=64)
    label = models.CharField(max_length=64)
    labeled = models.BooleanField(help_text="True when the deciding event is conversation.labeled (the label is on).")
    decided_at = models.DateTimeField(help_text="occurred_at of the deciding event.")
    decided_event_id = models.CharField(max_length=64, help_text="event_id of the deciding event.")

    class Meta:
        abstract = True


class ConversationLabel(ConversationLabelState):
    """One row per conversation and label it was ever labeled or unlabeled with, merged by the
    conversation trigger under the conversation row lock (sql/triggers/event__merge_conversations.sql);
    conversation.labels lists the rows that are on."""

    class Meta:
        db_table = "conversation_label"


class ConversationLabelSealed(ConversationLabelState):
    """conversation_label merged from the raw events that retention dropped (analytics/retention.py);
    recompute_conversation_label merges it with the retained events, and erasure with the remaining ones."""

    class Meta:
        db_table = "conversation_label_sealed"


class RawRetention(models.Model):
    """One row per raw event partition that retention dropped: the retention horizon is the end
    of the latest one. Summaries of the dropped events stay; their conversations and dimensions
    live on in *_sealed, so that every figure can still be recomputed."""

    partition = models.CharField(max_length=63, primary_key=True)
    range_start = models.DateTimeField()
    range_end = models.DateTimeField()
    events = models.BigIntegerField(null=True, help_text="Rows the partition held when it was sealed.")
    recorded_at = models.DateTimeField(db_default=Now(), help_text="When the horizon moved past this partition.")
    sealed_at = models.DateTimeField(null=True, help_text="When its state was sealed and the partition dropped.")

    class Meta:
        db_table = "raw_retention"


class EventHourly(models.Model):
    """Every event (product and support) per hour x name x channel x agent, with its value's count/sum/min/max."""

    pk = models.CompositePrimaryKey("workspace", "bucket", "name", "channel_id", "agent_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField(help_text="date_trunc('hour', occurred_at) in UTC.")
    name = models.CharField(max_length=100)
    channel_id = dimension_key()
    agent_id = dimension_key()
    slot = slot_key()
    events = models.BigIntegerField(default=0)
    value_count = models.BigIntegerField(default=0)
    value_sum = models.DecimalField(max_digits=38, decimal_places=6, default=0)
    value_min = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    value_max = models.DecimalField(max_digits=24, decimal_places=6, null=True)

    class Meta:
        db_table = "event_hourly"


class EventNameHourly(models.Model):
    """event_hourly summed over channels and agents: one row per workspace, hour and event name.

    The event trend, frequency and (unfiltered, per time bucket) stats read this table: a week is
    at most 168 rows per name, however many channels and agents the events carry.
    """

    pk = models.CompositePrimaryKey("workspace", "bucket", "name", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField(help_text="date_trunc('hour', occurred_at) in UTC.")
    name = models.CharField(max_length=100)
    slot = slot_key()
    events = models.BigIntegerField(default=0)
    value_count = models.BigIntegerField(default=0)
    value_sum = models.DecimalField(max_digits=38, decimal_places=6, default=0)
    value_min = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    value_max = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    first_seen_at = models.DateTimeField(help_text="min(occurred_at) of the hour's events of the name.")
    last_seen_at = models.DateTimeField(help_text="max(occurred_at) of the hour's events of the name.")

    class Meta:
        db_table = "event_name_hourly"


class CustomerInteractionHourly(models.Model):
    """Events that name both a customer and a channel, per hour x customer x channel."""

    pk = models.CompositePrimaryKey("workspace", "bucket", "customer_id", "channel_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    customer_id = models.CharField(max_length=64)
    channel_id = models.CharField(max_length=64)
    slot = slot_key()
    interactions = models.BigIntegerField(default=0)

    class Meta:
        db_table = "customer_interaction_hourly"
        indexes = [
            # Covering: a customer's interactions are read by an index-only scan, not one heap
            # page per hour and channel (about 7,000 of them for the busiest customer at 10M events).
            models.Index(
                fields=["workspace", "customer_id", "bucket"],
                include=["channel_id", "interactions"],
                name="interaction_ws_customer_idx",
            ),
        ]


class SupportFigures(models.Model):
    """The support metrics of one summary row: counts, and durations as count + sum of seconds."""

    conversations_created = models.BigIntegerField(default=0)
    conversations_assigned = models.BigIntegerField(default=0)
    agent_replies = models.BigIntegerField(default=0)
    customer_replies = models.BigIntegerField(default=0)
    resolutions = models.BigIntegerField(default=0)
    reopens = models.BigIntegerField(default=0)
    first_response_count = models.BigIntegerField(default=0)
    first_response_seconds = models.DecimalField(max_digits=30, decimal_places=6, default=0)
    resolution_count = models.BigIntegerField(default=0)
    resolution_seconds = models.DecimalField(max_digits=30, decimal_places=6, default=0)

    class Meta:
        abstract = True


class SupportHourly(SupportFigures):
    """Support metrics per hour x channel x agent.

    Counting columns count events in the hour they occurred, by the event's agent.
    conversations_created counts conversations in the hour of created_at. First response and
    resolution are per-conversation values (see Conversation) counted in the hour of
    first_response_at / last_resolved_at, by first responder / resolver; averages are
    *_seconds / *_count at any grain.
    """

    pk = models.CompositePrimaryKey("workspace", "bucket", "channel_id", "agent_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    channel_id = dimension_key()
    agent_id = dimension_key()
    slot = slot_key()

    class Meta:
        db_table = "support_hourly"


class DurationMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class SupportDurationHourly(models.Model):
    """Histogram of first response and resolution times, bins starting at DURATION_BINS seconds."""

    pk = models.CompositePrimaryKey(
        "workspace", "bucket", "channel_id", "agent_id", "metric", "bin_start_seconds", "slot"
    )
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    channel_id = dimension_key()
    agent_id = dimension_key()
    metric = models.CharField(max_length=16, choices=DurationMetric.choices)
    bin_start_seconds = models.IntegerField()
    slot = slot_key()
    conversations = models.BigIntegerField(default=0)

    class Meta:
        db_table = "support_duration_hourly"


def empty_histogram() -> list[int]:
    return [0] * len(DURATION_BINS)


def histogram_field() -> ArrayField:
    return ArrayField(
        models.BigIntegerField(),
        size=len(DURATION_BINS),
        default=empty_histogram,
        help_text="Conversations per duration bin; element i counts the bin starting at DURATION_BINS[i].",
    )


class QualityFigures(models.Model):
    """Reply times and CSAT of a per-grain support row (total, channel, agent): the same figures as
    support_reply_hourly and support_csat_hourly summed over the grain's other keys, kept by the
    same trigger statement, so the dashboard's overview and lists read one row per hour and key
    for them too instead of every channel x agent (x team) row."""

    reply_count = models.BigIntegerField(default=0, help_text="Customer messages answered (support_reply_hourly).")
    reply_seconds = models.DecimalField(
        max_digits=30, decimal_places=6, default=0, help_text="Their waits until the next agent reply, summed."
    )
    reply_bins = histogram_field()
    score_1 = models.BigIntegerField(default=0, help_text="Latest ratings of 1 in the hour (support_csat_hourly).")
    score_2 = models.BigIntegerField(default=0)
    score_3 = models.BigIntegerField(default=0)
    score_4 = models.BigIntegerField(default=0)
    score_5 = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class SlaFigures(models.Model):
    """SLA outcomes of a per-grain support row (total, channel, agent): support_sla_hourly summed over
    the grain's other keys, kept by the same trigger statement, so the overview and the lists read
    one row per hour and key for them instead of every channel x agent row."""

    # A database default (not only Django's): rows written by SQL that predates these columns (the
    # backfill of migration 0039, a DBA's INSERT) get 0 rather than a NOT NULL error.
    first_response_targeted = models.BigIntegerField(
        db_default=0, help_text="First responses held to an SLA target (support_sla_hourly)."
    )
    first_response_breaches = models.BigIntegerField(db_default=0, help_text="Those over their target.")
    resolution_targeted = models.BigIntegerField(db_default=0, help_text="Resolutions held to an SLA target.")
    resolution_breaches = models.BigIntegerField(db_default=0, help_text="Those over their target.")

    class Meta:
        abstract = True


def business_histogram_field() -> ArrayField:
    # A database default too: rows written before these columns existed, or by SQL that predates
    # them (a DBA's INSERT), get an empty histogram rather than a NOT NULL error.
    return ArrayField(
        models.BigIntegerField(),
        size=len(DURATION_BINS),
        db_default=models.Value(empty_histogram(), output_field=ArrayField(models.BigIntegerField())),
        help_text="Conversations per bin of their business-time duration (as first_response_bins).",
    )


class BusinessGroupFigures(models.Model):
    """First response and resolution of a per-team or per-label row measured in business time (the
    schedule version in effect at the conversation's created_at; calendar time without one), as
    support_business_hourly measures them per channel and agent, and the SLA outcomes of the same
    conversations (SlaFigures), so `business_hours=true` and the SLA columns of the teams and
    labels lists read one row per hour and group."""

    business_first_response_count = models.BigIntegerField(
        db_default=0, help_text="First responses, as first_response_count (the same conversations)."
    )
    business_first_response_seconds = models.DecimalField(
        max_digits=30, decimal_places=6, db_default=0, help_text="Their business seconds, summed."
    )
    business_resolution_count = models.BigIntegerField(db_default=0, help_text="Resolutions, as resolution_count.")
    business_resolution_seconds = models.DecimalField(
        max_digits=30, decimal_places=6, db_default=0, help_text="Their business seconds, summed."
    )
    business_first_response_bins = business_histogram_field()
    business_resolution_bins = business_histogram_field()

    class Meta:
        abstract = True


class SupportTotalHourly(SupportFigures, QualityFigures, SlaFigures):
    """support_hourly and support_duration_hourly summed over channels and agents: one row per
    workspace and hour, with both histograms as arrays aligned with DURATION_BINS.

    The dashboard's unfiltered overview and time series read this table, so their cost is at
    most one row per hour of the range however many channels, agents and events it holds.
    """

    pk = models.CompositePrimaryKey("workspace", "bucket", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    slot = slot_key()
    first_response_bins = histogram_field()
    resolution_bins = histogram_field()

    class Meta:
        db_table = "support_total_hourly"


class SupportChannelHourly(SupportFigures, QualityFigures, SlaFigures):
    """support_hourly and support_duration_hourly summed over agents: one row per workspace, hour
    and channel, with both histograms as arrays aligned with DURATION_BINS.

    The channel-filtered overview and time series and the channel list read this table: a week
    of one channel is at most 168 rows, however many agents and events it holds. The second
    index serves one channel's range (the primary key serves all channels' hours, and walks
    every channel's rows of the range to find one channel's).
    """

    pk = models.CompositePrimaryKey("workspace", "bucket", "channel_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    channel_id = dimension_key()
    slot = slot_key()
    first_response_bins = histogram_field()
    resolution_bins = histogram_field()

    class Meta:
        db_table = "support_channel_hourly"
        indexes = [models.Index(fields=["workspace", "channel_id", "bucket"], name="support_channel_hourly_chn_idx")]


class SupportAgentHourly(SupportFigures, QualityFigures, SlaFigures):
    """support_hourly and support_duration_hourly summed over channels: one row per workspace, hour
    and agent, with both histograms as arrays aligned with DURATION_BINS.

    The agent-filtered overview and time series and the agent list read this table. The second
    index serves one agent's range (the primary key serves all agents' hours).
    """

    pk = models.CompositePrimaryKey("workspace", "bucket", "agent_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    agent_id = dimension_key()
    slot = slot_key()
    first_response_bins = histogram_field()
    resolution_bins = histogram_field()

    class Meta:
        db_table = "support_agent_hourly"
        indexes = [
            models.Index(fields=["workspace", "agent_id", "bucket"], name="support_agent_hourly_agent_idx"),
            # The rows compaction has not folded yet (slots 1-16): the agent list reads the days of
            # its window from support_agent_daily and only these of the hours inside them. Without
            # it, finding none walks every primary-key entry of the window (4.8 ms for a week of
            # 200 agents at 10M events; 0.09 ms with it).
            models.Index(
                fields=["workspace", "bucket"], condition=~models.Q(slot=0), name="support_agent_hourly_unfolded"
            ),
        ]


class SupportAgentDaily(SupportFigures, QualityFigures, SlaFigures):
    """The folded part of support_agent_hourly by UTC day: per workspace, day and agent, the sum of
    the day's slot 0 rows (the hours `rollups compact` folded, or rebuild wrote), histograms as
    arrays. Written only by compaction (in the statement that folds the slots) and rebuild, never
    by a trigger, so ingestion does not pay for it.

    The agent list reads the whole UTC days of its range here, the rows not folded yet (slots
    1-16) and the edge hours from support_agent_hourly: a week of 200 agents is about 1,400 rows
    plus the unfolded ones, instead of one row per agent and hour. `bucket` is the day's start,
    midnight UTC.
    """

    pk = models.CompositePrimaryKey("workspace", "bucket", "agent_id")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    agent_id = dimension_key()
    first_response_bins = histogram_field()
    resolution_bins = histogram_field()

    class Meta:
        db_table = "support_agent_daily"


class SupportLive(models.Model):
    """Live counters per channel: open (created, not resolved since the last reopen),
    unassigned (open, never assigned), unanswered (open, no agent reply yet), sla_pending
    (conversations with a row in conversation_due: what the overdue read subtracts from)."""

    pk = models.CompositePrimaryKey("workspace", "channel_id", "slot")
    workspace = workspace_key("+")
    channel_id = dimension_key()
    slot = slot_key()
    open = models.BigIntegerField(default=0)
    unassigned = models.BigIntegerField(default=0)
    unanswered = models.BigIntegerField(default=0)
    sla_pending = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "support_live"


class SupportCsatHourly(models.Model):
    """CSAT per hour x channel x agent x team: each rated conversation counts once, for the score of
    its latest rating (by occurred_at, then event id), in the hour of that rating, for the
    conversation's channel, assignee and team (sql/triggers/event__merge_conversations.sql)."""

    pk = models.CompositePrimaryKey("workspace", "bucket", "channel_id", "agent_id", "team_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    channel_id = dimension_key()
    agent_id = dimension_key()
    team_id = dimension_key()
    slot = slot_key()
    score_1 = models.BigIntegerField(default=0)
    score_2 = models.BigIntegerField(default=0)
    score_3 = models.BigIntegerField(default=0)
    score_4 = models.BigIntegerField(default=0)
    score_5 = models.BigIntegerField(default=0)

    class Meta:
        db_table = "support_csat_hourly"


class SupportTeamHourly(BusinessGroupFigures, SlaFigures):
    """Support figures per hour x team, where a conversation belongs to the team of its latest
    assignment (by occurred_at, then event id; '' for none): created in its created hour, first
    response and resolution (while resolved) in theirs, as count, sum of seconds and histogram, in
    calendar and in business time, and their SLA outcomes. Kept from each changed conversation row
    as it was (-1) and as it is (+1), so a reassignment to another team moves the whole
    conversation (sql/triggers/event__merge_conversations.sql)."""

    pk = models.CompositePrimaryKey("workspace", "bucket", "team_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    team_id = dimension_key()
    slot = slot_key()
    conversations_created = models.BigIntegerField(default=0)
    first_response_count = models.BigIntegerField(default=0)
    first_response_seconds = models.DecimalField(max_digits=30, decimal_places=6, default=0)
    resolution_count = models.BigIntegerField(default=0)
    resolution_seconds = models.DecimalField(max_digits=30, decimal_places=6, default=0)
    first_response_bins = histogram_field()
    resolution_bins = histogram_field()

    class Meta:
        db_table = "support_team_hourly"


class SupportLabelHourly(BusinessGroupFigures, SlaFigures):
    """Support figures per hour x label: a conversation counts under every label it has now
    (conversation.labels; under none when it has none): created in its created hour, first
    response and resolution (while resolved) in theirs, as count, sum of seconds and histogram in
    calendar and in business time, with their SLA outcomes, and its latest rating's score in the
    rating's hour. Kept from each changed conversation row as it was (-1) and as it is (+1), so
    labeling or unlabeling moves the whole conversation
    (sql/triggers/event__merge_conversations.sql)."""

    pk = models.CompositePrimaryKey("workspace", "bucket", "label", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    label = models.CharField(max_length=64)
    slot = slot_key()
    conversations_created = models.BigIntegerField(default=0)
    first_response_count = models.BigIntegerField(default=0)
    first_response_seconds = models.DecimalField(max_digits=30, decimal_places=6, default=0)
    resolution_count = models.BigIntegerField(default=0)
    resolution_seconds = models.DecimalField(max_digits=30, decimal_places=6, default=0)
    first_response_bins = histogram_field()
    resolution_bins = histogram_field()
    score_1 = models.BigIntegerField(default=0)
    score_2 = models.BigIntegerField(default=0)
    score_3 = models.BigIntegerField(default=0)
    score_4 = models.BigIntegerField(default=0)
    score_5 = models.BigIntegerField(default=0)

    class Meta:
        db_table = "support_label_hourly"


class SupportReplyHourly(models.Model):
    """Reply time per hour x channel x agent: each customer message paired with the next agent
    reply of its conversation (occurred_at at or after it, ties by event id), counted in the hour
    of the reply, by the reply's channel and agent, as count, sum of seconds and histogram."""

    pk = models.CompositePrimaryKey("workspace", "bucket", "channel_id", "agent_id", "slot")
    workspace = workspace_key("+")
    bucket = models.DateTimeField()
    channel_id = dimension_key()
    agent_id = dimension_key()
    slot = slot_key()
    reply_count = models.BigIntegerField(default=0)
    reply_seconds = models.DecimalField(max_digits=30, decimal_places=6, default=0)
    reply_bins = histogram_field()

    class Meta:
        db_table = "support_reply_hourly"


class SessionState(models.Model):
    """A session merged from some of its events: the first and last occurred_at, the number of
    events, and the user of its first event that carries a user_id (by occurred_at, then event id).
    Each column is a min, a max, a sum or the value of the least event, so the merge is
    order-independent and associative: two states merge into the state of all their events."""

    pk = models.CompositePrimaryKey("workspace", "session_id")
    workspace = workspace_key("+")
    session_id = models.CharField(max_length=128)
    first_event_at = models.DateTimeField(help_text="min(occurred_at) of the session's events.")
    last_event_at = models.DateTimeField(help_text="max(occurred_at) of the session's events.")
    events = models.BigIntegerField(help_text="The session's events.")
    user_id = models.CharField(
        max_length=128, null=True, help_text="The user_id of the session's first event that carries one."
    )
    user_at = models.DateTimeField(null=True, help_text="occurred_at of that event (ties: the least event id).")
    user_event_id = models.CharField(max_length=64, null=True, help_text="event_id of that event.")

    class Meta:
        abstract = True


class Session(SessionState):
    """One row per session_id the events carry, merged from all of them
    (sql/triggers/event__merge_sessions.sql). Duration = last_event_at - first_event_at, at read."""

    class Meta:
        db_table = "session"
        indexes = [
            # The listing, newest first, filtered by start: one index range scan a page. Only the
            # start is indexed, so an event that moves only last_event_at and events can be a HOT update.
            models.Index(fields=["workspace", "-first_event_at", "-session_id"], name="session_ws_first_idx"),
            # A user's sessions (?user_id=), newest first; sessions without a user are not in it.
            models.Index(
                fields=["workspace", "user_id", "-first_event_at", "-session_id"],
                name="session_ws_user_idx",
                condition=models.Q(user_id__isnull=False),
            ),
        ]


class SessionSealed(SessionState):
    """A session merged from the raw events that retention dropped (analytics/retention.py);
    recompute_session merges it with the retained events, so a session crossing the retention
    horizon keeps its first event time and its count."""

    class Meta:
        db_table = "session_sealed"


class UniqueKind(models.TextChoices):
    USER = "user"
    SESSION = "session"


class EventUniqueHourly(models.Model):
    """The set of users and sessions seen per UTC hour, per event name and over every name (name
    ''): one row per member, inserted once (sql/triggers/event__count_uniques.sql). Unique users or
    sessions of a day, week or month are count(DISTINCT member) over its hours: exact, no sketch."""

    pk = models.CompositePrimaryKey("workspace", "kind", "name", "bucket", "member")
    workspace = workspace_key("+")
    kind = models.CharField(max_length=7, choices=UniqueKind.choices)
    name = models.CharField(max_length=100, blank=True, help_text="The event name; '' for every name.")
    bucket = models.DateTimeField(help_text="date_trunc('hour', occurred_at) in UTC.")
    member = models.CharField(max_length=128, help_text="The user_id (kind user) or session_id (kind session).")

    class Meta:
        db_table = "event_unique_hourly"
        # A ranged verify recomputes the periods of the range's members from their own hours
        # (analytics/rollups.py, Scope.shadows): without it, every member's hours of two months.
        indexes = [
            models.Index(fields=["workspace", "kind", "member", "bucket"], name="event_unique_hourly_member_idx")
        ]


class UniqueGranularity(models.TextChoices):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class EventUniquePeriod(models.Model):
    """The set of users and sessions of each day, week and month of the workspace's zone, per event
    name and over every name (name ''), with each member's first and last UTC hour in the period:
    one row per member and period, derived from the hourly sets (event_unique_hourly) by the same
    trigger (sql/triggers/event__count_uniques.sql). Only new hourly rows reach it, so a member's
    row is written when the member arrives in the period or its first/last hour moves."""

    pk = models.CompositePrimaryKey("workspace", "kind", "name", "granularity", "period", "member")
    workspace = workspace_key("+")
    kind = models.CharField(max_length=7, choices=UniqueKind.choices)
    name = models.CharField(max_length=100, blank=True, help_text="The event name; '' for every name.")
    granularity = models.CharField(max_length=5, choices=UniqueGranularity.choices)
    period = models.DateField(
        help_text="The local date the day, week (Monday) or month starts on, in the workspace's zone."
    )
    member = models.CharField(max_length=128)
    first_bucket = models.DateTimeField(help_text="The member's earliest UTC hour in the period.")
    last_bucket = models.DateTimeField(help_text="The member's latest UTC hour in the period.")
    previous_first_bucket = models.DateTimeField(
        null=True,
        help_text="first_bucket before the row's latest update (NULL: never updated); "
        "the trigger's RETURNING reads it.",
    )
    previous_last_bucket = models.DateTimeField(
        null=True,
        help_text="last_bucket before the row's latest update (NULL: never updated); the trigger's RETURNING reads it.",
    )

    class Meta:
        db_table = "event_unique_period"
        # A ranged verify compares the periods of the range's members (pg_temp.scope_member).
        indexes = [
            models.Index(fields=["workspace", "kind", "member", "period"], name="event_unique_period_member_idx")
        ]


class EventUniquePeriodCount(models.Model):
    """Per period of the workspace's zone (as event_unique_period) and UTC hour: how many members
    have their first hour of the period there (`firsts`) and how many their last (`lasts`), per
    write slot. The period's unique count is sum(firsts); the members seen before an instant T
    inside it, sum(firsts) over the hours before T; those seen from T on, sum(lasts) over the
    hours from T on. Reads sum the slots."""

    pk = models.CompositePrimaryKey("workspace", "kind", "name", "granularity", "period", "bucket", "slot")
    workspace = workspace_key("+")
    kind = models.CharField(max_length=7, choices=UniqueKind.choices)
    name = models.CharField(max_length=100, blank=True, help_text="The event name; '' for every name.")
    granularity = models.CharField(max_length=5, choices=UniqueGranularity.choices)
    period = models.DateField(help_text="As event_unique_period.period.")
    bucket = models.DateTimeField(help_text="A UTC hour inside the period.")
    slot = slot_key()
    firsts = models.BigIntegerField(db_default=0)
    lasts = models.BigIntegerField(db_default=0)

    class Meta:
        db_table = "event_unique_period_count"


# Recomputations of every summary from the raw events alone (sql/recompute/*.sql), kept as
# plain views so a DBA can compare by hand; `manage.py rollups verify/rebuild` use them.
# django-pgviews creates and updates them after every migrate.


def recompute_sql(table: str) -> str:
    return read_sql(f"recompute/{table}.sql").rstrip(";")


class RecomputeEventHourly(pg.ReadOnlyView):
    sql = recompute_sql("event_hourly")

    class Meta:
        managed = False
        db_table = "recompute_event_hourly"


class RecomputeCustomerInteractionHourly(pg.ReadOnlyView):
    sql = recompute_sql("customer_interaction_hourly")

    class Meta:
        managed = False
        db_table = "recompute_customer_interaction_hourly"


class RecomputeAgent(pg.ReadOnlyView):
    sql = recompute_sql("agent")

    class Meta:
        managed = False
        db_table = "recompute_agent"


class RecomputeChannel(pg.ReadOnlyView):
    sql = recompute_sql("channel")

    class Meta:
        managed = False
        db_table = "recompute_channel"


class RecomputeCustomer(pg.ReadOnlyView):
    sql = recompute_sql("customer")

    class Meta:
        managed = False
        db_table = "recompute_customer"


class RecomputeConversationLabel(pg.ReadOnlyView):
    sql = recompute_sql("conversation_label")

    class Meta:
        managed = False
        db_table = "recompute_conversation_label"


class RecomputeConversation(pg.ReadOnlyView):
    sql = recompute_sql("conversation")
    dependencies = ["analytics.RecomputeConversationLabel"]

    class Meta:
        managed = False
        db_table = "recompute_conversation"


class RecomputeSupportHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_hourly")
    dependencies = ["analytics.RecomputeConversation"]

    class Meta:
        managed = False
        db_table = "recompute_support_hourly"


class RecomputeSupportDurationHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_duration_hourly")
    dependencies = ["analytics.RecomputeConversation"]

    class Meta:
        managed = False
        db_table = "recompute_support_duration_hourly"


class RecomputeSupportTotalHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_total_hourly")
    dependencies = [
        "analytics.RecomputeSupportHourly",
        "analytics.RecomputeSupportDurationHourly",
        "analytics.RecomputeSupportReplyHourly",
        "analytics.RecomputeSupportCsatHourly",
        "analytics.RecomputeSupportSlaHourly",
    ]

    class Meta:
        managed = False
        db_table = "recompute_support_total_hourly"


class RecomputeSupportChannelHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_channel_hourly")
    dependencies = [
        "analytics.RecomputeSupportHourly",
        "analytics.RecomputeSupportDurationHourly",
        "analytics.RecomputeSupportReplyHourly",
        "analytics.RecomputeSupportCsatHourly",
        "analytics.RecomputeSupportSlaHourly",
    ]

    class Meta:
        managed = False
        db_table = "recompute_support_channel_hourly"


class RecomputeSupportAgentHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_agent_hourly")
    dependencies = [
        "analytics.RecomputeSupportHourly",
        "analytics.RecomputeSupportDurationHourly",
        "analytics.RecomputeSupportReplyHourly",
        "analytics.RecomputeSupportCsatHourly",
        "analytics.RecomputeSupportSlaHourly",
    ]

    class Meta:
        managed = False
        db_table = "recompute_support_agent_hourly"


class RecomputeSupportAgentDaily(pg.ReadOnlyView):
    sql = recompute_sql("support_agent_daily")

    class Meta:
        managed = False
        db_table = "recompute_support_agent_daily"


class RecomputeEventNameHourly(pg.ReadOnlyView):
    sql = recompute_sql("event_name_hourly")

    class Meta:
        managed = False
        db_table = "recompute_event_name_hourly"


class RecomputeSupportLive(pg.ReadOnlyView):
    sql = recompute_sql("support_live")
    dependencies = ["analytics.RecomputeConversation", "analytics.RecomputeConversationDue"]

    class Meta:
        managed = False
        db_table = "recompute_support_live"


class RecomputeEventNameLifetime(pg.ReadOnlyView):
    sql = recompute_sql("event_name_lifetime")

    class Meta:
        managed = False
        db_table = "recompute_event_name_lifetime"


class RecomputeSupportCsatHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_csat_hourly")
    dependencies = ["analytics.RecomputeConversation"]

    class Meta:
        managed = False
        db_table = "recompute_support_csat_hourly"


class RecomputeSupportTeamHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_team_hourly")
    dependencies = ["analytics.RecomputeConversationMeasured"]

    class Meta:
        managed = False
        db_table = "recompute_support_team_hourly"


class RecomputeSupportLabelHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_label_hourly")
    dependencies = ["analytics.RecomputeConversation", "analytics.RecomputeConversationMeasured"]

    class Meta:
        managed = False
        db_table = "recompute_support_label_hourly"


class RecomputeSupportReplyHourly(pg.ReadOnlyView):
    sql = recompute_sql("support_reply_hourly")

    class Meta:
        managed = False
        db_table = "recompute_support_reply_hourly"


class RecomputeEventUniqueHourly(pg.ReadOnlyView):
    sql = recompute_sql("event_unique_hourly")

    class Meta:
        managed = False
        db_table = "recompute_event_unique_hourly"


class RecomputeEventUniquePeriod(pg.ReadOnlyView):
    sql = recompute_sql("event_unique_period")

    class Meta:
        managed = False
        db_table = "recompute_event_unique_period"


class RecomputeEventUniquePeriodCount(pg.ReadOnlyView):
    sql = recompute_sql("event_unique_period_count")

    class Meta:
        managed = False
        db_table = "recompute_event_unique_period_count"


class RecomputeSession(pg.ReadOnlyView):
    sql = recompute_sql("session")

    class Meta:
        managed = False
        db_table = "recompute_session"


from analytics.business.models import *  # noqa: E402,F401,F403
from analytics.catalogue.models import *  # noqa: E402,F401,F403
from analytics.materialized import *  # noqa: E402,F401,F403
