"""The catalogue's tables. Imported by analytics/models.py, so they belong to the analytics app."""

from django.db import models
from django.db.models.functions import Now
from django_pgviews import view as pg

from analytics.models import dimension_view_sql, recompute_sql, slot_key, workspace_key
from core.models import Workspace


class EventDefinition(models.Model):
    """An event name a workspace has defined, with what it means. Defining a name changes no
    figure: events of a name are counted whether or not it is defined (and refused, in a strict
    workspace, while it is not)."""

    # Keyed by workspace first like every table of Tally (on Citus: distributed with the events).
    pk = models.CompositePrimaryKey("workspace", "name")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, db_index=False, related_name="event_definitions")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    category = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(db_default=Now())
    modified_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "event_definition"

    def __str__(self) -> str:
        return self.name


class EventNameLifetime(models.Model):
    """Every event of a name over all time: count, first and last occurred_at.

    Kept by the count_hourly trigger beside event_name_hourly; its recomputation is
    event_name_hourly summed over all hours (sealed ones included), so it survives retention the
    way the hourly rows do. One row per write slot, so writers of one name never queue on one row.
    """

    pk = models.CompositePrimaryKey("workspace", "name", "slot")
    workspace = workspace_key("+")
    name = models.CharField(max_length=100)
    slot = slot_key()
    events = models.BigIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        db_table = "event_name_lifetime"


class PropertyKind(models.TextChoices):
    DIMENSION = "dimension", "A text breakdown key"
    MEASURE = "measure", "A number: count, sum, min, max"


DEFAULT_CAP = 100
MAX_CAP = 1000
VALUE_LENGTH = 200
"""A dimension value longer than this counts under the overflow bucket (it would not fit an index key)."""


class EventProperty(models.Model):
    """A property a definition declares: `properties.<key>` of its events, kept per hour in
    event_property_hourly_slot from the moment it is declared (and backfilled from the raw events then
    held). Deleted with its definition."""

    pk = models.CompositePrimaryKey("workspace", "name", "key")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, db_index=False, related_name="+")
    name = models.CharField(max_length=100)
    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=9, choices=PropertyKind.choices)
    cap = models.IntegerField(
        null=True,
        help_text="Dimensions: the distinct values kept per hour; the rest count under the overflow bucket.",
    )
    declared_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "event_property"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="dimension", cap__gte=1, cap__lte=MAX_CAP) | models.Q(kind="measure", cap=None),
                name="event_property_cap",
            ),
        ]


class ExactNumberField(models.DecimalField):
    """PostgreSQL's unconstrained numeric: a property's numbers (any JSON number, as jsonb holds it
    exactly) summed without rounding, so a sum never depends on the order of its terms."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 1000)
        kwargs.setdefault("decimal_places", 500)
        super().__init__(*args, **kwargs)

    def db_type(self, connection):
        return "numeric"


class ValueKind(models.IntegerChoices):
    VALUE = 0, "a value of its own"
    NONE = 1, "events without the property"
    OTHER = 2, "the overflow bucket: values past the hour's cap"


class EventPropertyHourlySlot(models.Model):
    """Events of a name per UTC hour by a declared dimension's value, and a declared measure's
    count/sum/min/max in each.

    `dimension` '' is no breakdown (the name's events as a whole; only for declared measures);
    a row per declared measure, or one with `measure` '' (events only) when the name declares
    none. Per hour and dimension at most `cap` values get a row of their own: the `cap` that sort
    first (byte order); the rest count in the `other` row (value ''). Each write slot admits
    values on its own, and a value is admitted in every slot if it is among the hour's first
    `cap`, so readers (the view event_property_hourly) rank the admitted values of all slots again
    and fold the ones past the cap into `other`: the result
    depends on the hour's events only, not on their order (docs/catalogue.md)."""

    # Text keys in the "C" collation: the cap's order is byte order, and the trigger groups, ranks
    # and looks up keys by bytes (several times cheaper than the database's locale).
    pk = models.CompositePrimaryKey("workspace", "name", "dimension", "bucket", "measure", "kind", "value", "slot")
    workspace = workspace_key("+")
    name = models.CharField(max_length=100, db_collation="C")
    dimension = models.CharField(max_length=100, blank=True, db_collation="C")
    bucket = models.DateTimeField(help_text="date_trunc('hour', occurred_at) in UTC.")
    measure = models.CharField(max_length=100, blank=True, db_collation="C")
    kind = models.SmallIntegerField(choices=ValueKind.choices)
    value = models.CharField(max_length=VALUE_LENGTH, blank=True, db_collation="C")
    slot = slot_key()
    events = models.BigIntegerField(default=0)
    amount_count = models.BigIntegerField(default=0, help_text="Events whose measure is a number.")
    amount_sum = ExactNumberField(default=0)
    amount_min = ExactNumberField(null=True)
    amount_max = ExactNumberField(null=True)

    class Meta:
        db_table = "event_property_hourly_slot"
        indexes = [
            # The rows compaction has not folded yet (slots 1-16): a breakdown reads a UTC day from
            # event_property_daily unless the day has one of these (analytics/catalogue/days.py).
            # Without it, finding none walks every primary-key entry of the window.
            models.Index(
                fields=["workspace", "name", "dimension", "bucket"],
                condition=~models.Q(slot=0),
                name="event_property_hourly_unfolded",
            ),
        ]


class EventPropertyDaily(models.Model):
    """The folded part of event_property_hourly_slot by UTC day, with each hour's cap applied: per
    day, the rows the view event_property_hourly would give for the day's hours if each held its
    slot 0 rows only, summed (events, counts and sums added, min of the minima, max of the maxima).
    Written by compaction (the days whose hours it folds, recomputed from their slot 0 rows in the
    same transaction), rebuild, erasure (the days of the erased events) and a change of the
    declarations; never by the ingest trigger, so ingestion does not pay for it.

    A breakdown by a property reads the whole UTC days of its window here when the day has no
    unfolded row (slots 1-16) left, and the other hours from event_property_hourly: a quarter is
    about 90 rows per value instead of 2,160. `bucket` is the day's start, midnight UTC."""

    pk = models.CompositePrimaryKey("workspace", "name", "dimension", "bucket", "measure", "kind", "value")
    workspace = workspace_key("+")
    name = models.CharField(max_length=100, db_collation="C")
    dimension = models.CharField(max_length=100, blank=True, db_collation="C")
    bucket = models.DateTimeField(help_text="The day's start, midnight UTC.")
    measure = models.CharField(max_length=100, blank=True, db_collation="C")
    kind = models.SmallIntegerField(choices=ValueKind.choices)
    value = models.CharField(max_length=VALUE_LENGTH, blank=True, db_collation="C")
    events = models.BigIntegerField(default=0)
    amount_count = models.BigIntegerField(default=0, help_text="Events whose measure is a number.")
    amount_sum = ExactNumberField(default=0)
    amount_min = ExactNumberField(null=True)
    amount_max = ExactNumberField(null=True)

    class Meta:
        db_table = "event_property_daily"


class PropertyFigures(models.Model):
    """The key and figures of event_property_hourly_slot's rows, without the write slot."""

    workspace = workspace_key("+")
    name = models.CharField(max_length=100)
    dimension = models.CharField(max_length=100)
    bucket = models.DateTimeField()
    measure = models.CharField(max_length=100)
    kind = models.SmallIntegerField(choices=ValueKind.choices)
    value = models.CharField(max_length=VALUE_LENGTH)
    events = models.BigIntegerField()
    amount_count = models.BigIntegerField()
    amount_sum = ExactNumberField()
    amount_min = ExactNumberField(null=True)
    amount_max = ExactNumberField(null=True)

    class Meta:
        abstract = True


class EventPropertyHourly(pg.ReadOnlyView, PropertyFigures):
    """event_property_hourly_slot with its write slots merged and the cap applied across them."""

    sql = dimension_view_sql("event_property_hourly")
    pk = models.CompositePrimaryKey("workspace", "name", "dimension", "bucket", "measure", "kind", "value")

    class Meta:
        managed = False
        db_table = "event_property_hourly"


class RecomputeEventPropertyHourly(pg.ReadOnlyView):
    sql = recompute_sql("event_property_hourly")

    class Meta:
        managed = False
        db_table = "recompute_event_property_hourly"


class RecomputeEventPropertyDaily(pg.ReadOnlyView):
    sql = recompute_sql("event_property_daily")

    class Meta:
        managed = False
        db_table = "recompute_event_property_daily"


__all__ = [
    "EventDefinition",
    "EventNameLifetime",
    "EventProperty",
    "EventPropertyHourlySlot",
    "EventPropertyHourly",
    "EventPropertyDaily",
    "RecomputeEventPropertyHourly",
    "RecomputeEventPropertyDaily",
]
