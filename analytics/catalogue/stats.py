"""Stats over declared properties: GET /api/v1/events/stats with `group_by=properties.<key>` (a
declared dimension) and/or `measure=<key>` (a declared measure), read from the view
event_property_hourly and the table event_property_daily (never the raw events).

A breakdown by a dimension reads each whole UTC day of its window from event_property_daily
(the day's hours with their caps applied, summed) when the day has no unfolded row left (slots
1-16, which compaction has not folded yet: the last hours, late events), and every other hour of
the window from event_property_hourly: a quarter costs about 90 rows per value plus the hours of
its edges and unfolded days (at most 23 at each end in a zone other than UTC, and today).
A series of a measure (no breakdown) reads event_property_hourly, one row per hour."""

from datetime import UTC, timedelta

from rest_framework.exceptions import ValidationError

from analytics.catalogue.models import PropertyKind
from analytics.catalogue.selectors import declared_properties
from analytics.params import Window
from analytics.summaries import fetch, series_sql, window_params

PROPERTY_GROUP = "properties."
AGGREGATES = {
    "events": "sum(h.events)::bigint",
    "count": "sum(h.amount_count)::bigint",
    "sum": "sum(h.amount_sum)",
    "avg": "sum(h.amount_sum) / NULLIF(sum(h.amount_count), 0)",
    "min": "min(h.amount_min)",
    "max": "max(h.amount_max)",
}
"""Over event_property_hourly aliased h: `count` is the events whose measure is a number."""

# The whole UTC days [days_start, days_end) of the window, each read from event_property_daily
# unless it has an unfolded row (found through the partial index event_property_hourly_unfolded);
# the hours before and after them and those of the unfolded days from event_property_hourly, a
# range each: LATERAL ... OFFSET 0 makes each range a bound of the view's scan below its ranking
# (a join condition would be applied above it, after every hour of the name had been ranked).
BREAKDOWN = """
WITH days AS MATERIALIZED (
    SELECT d.day, EXISTS (
        SELECT 1 FROM event_property_hourly_slot AS u
        WHERE u.workspace_id = %(workspace)s AND u.name = %(name)s AND u.dimension = %(dimension)s
          AND u.bucket >= d.day AND u.bucket < d.day + interval '24 hours' AND u.slot <> 0
    ) AS unfolded
    -- Days counted by an integer series, whose length the planner knows (a series of timestamps is
    -- estimated at 1,000 rows on PostgreSQL 15, which priced a week's read past jit_above_cost:
    -- 0.9 s of JIT compilation for a 5 ms query).
    FROM generate_series(0, %(day_count)s - 1) AS n
    CROSS JOIN LATERAL (SELECT %(days_start)s::timestamptz + n * interval '24 hours' AS day) AS d
),
hours AS (
    SELECT %(start)s::timestamptz AS lo, %(days_start)s::timestamptz AS hi
    UNION ALL
    SELECT %(days_end)s, %(end)s
    UNION ALL
    SELECT day, day + interval '24 hours' FROM days WHERE unfolded
),
figures AS (
    SELECT d.kind, d.value, d.events, d.amount_count, d.amount_sum, d.amount_min, d.amount_max
    FROM event_property_daily AS d
    WHERE d.workspace_id = %(workspace)s AND d.name = %(name)s AND d.dimension = %(dimension)s
      AND d.bucket >= %(days_start)s AND d.bucket < %(days_end)s AND d.measure = %(measure)s
      -- An array, not IN (SELECT ...): no join for the planner to choose by estimates.
      AND d.bucket = ANY ((SELECT array_agg(day) FROM days WHERE NOT unfolded)::timestamptz[])
    UNION ALL
    SELECT h.kind, h.value, h.events, h.amount_count, h.amount_sum, h.amount_min, h.amount_max
    FROM hours AS r
    CROSS JOIN LATERAL (
        SELECT * FROM event_property_hourly AS h
        WHERE h.workspace_id = %(workspace)s AND h.name = %(name)s AND h.dimension = %(dimension)s
          AND h.bucket >= r.lo AND h.bucket < r.hi
        OFFSET 0
    ) AS h
    WHERE h.measure = %(measure)s
)
SELECT CASE WHEN h.kind = 0 THEN h.value END AS key, h.kind = 2 AS other, {expression} AS value
FROM figures AS h
GROUP BY 1, 2
"""


def whole_days(window: Window) -> dict:
    """The whole UTC days [days_start, days_end) inside the window; both at its end when it holds
    none (then every hour of it is read by the hour)."""
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    days_start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    if days_start < start:
        days_start += timedelta(days=1)
    days_end = end.replace(hour=0, minute=0, second=0, microsecond=0)
    if days_start >= days_end:
        return {"days_start": end, "days_end": end, "day_count": 0}
    return {"days_start": days_start, "days_end": days_end, "day_count": (days_end - days_start).days}


def resolved_measure(
    *, workspace, name: str | None, dimension: str | None, measure: str | None, aggregate: str
) -> str | None:
    """The `measure` rows a property read takes ('' when the name declares no measure), or None
    for a read without properties; a 400 naming the parameter unless `name` declares `dimension`
    as a dimension and `measure` as a measure. By a dimension, `events` is in the rows of every
    measure; the other aggregates need `measure`: the event's own value is not kept per property."""
    wanted = {"group_by": (dimension, PropertyKind.DIMENSION), "measure": (measure, PropertyKind.MEASURE)}
    wanted = {parameter: item for parameter, item in wanted.items() if item[0] is not None}
    if not wanted:
        return None
    if name is None:
        raise ValidationError({"name": ["Is required with a property: properties are declared per event name."]})
    properties = declared_properties(workspace=workspace, name=name)
    for parameter, (key, kind) in wanted.items():
        if properties.get(key, {}).get("kind") != kind:
            raise ValidationError({parameter: [f"{key!r} is not a declared {kind} of {name!r} (the event catalogue)."]})
    if measure is not None:
        return measure
    if aggregate != "events":
        raise ValidationError(
            {"measure": [f"Is required for {aggregate} by a property: name a declared measure (or aggregate=events)."]}
        )
    measures = sorted(key for key, spec in properties.items() if spec["kind"] == PropertyKind.MEASURE)
    return measures[0] if measures else ""


def property_stats(
    *,
    workspace,
    window: Window,
    name: str,
    dimension: str | None,
    measure: str,
    aggregate: str,
    by_figure: bool,
    descending: bool,
) -> list[dict]:
    """Rows {key, value} per time bucket (a declared measure with no breakdown), or {key, other,
    value} per value of a declared dimension: key null for the events without the property, and
    the row with `other` true for the values past the hour's cap (docs/catalogue.md)."""
    if window.channel is not None or window.agent is not None:
        field = "channel" if window.channel is not None else "agent"
        raise ValidationError({field: ["Properties are not kept per channel or agent: leave it out."]})
    params = {**window_params(workspace, window), "name": name, "dimension": dimension or "", "measure": measure}
    expression = AGGREGATES[aggregate]
    direction = "DESC" if descending else "ASC"
    if dimension is None:
        sql = series_sql(
            window,
            table="event_property_hourly",
            value=expression,
            conditions="AND h.name = %(name)s AND h.dimension = '' AND h.measure = %(measure)s",
            zero=aggregate in ("events", "count", "sum"),
            label="key",
        )
        order = f"value {direction} NULLS LAST, key" if by_figure else f"key {direction}"
    else:
        sql = BREAKDOWN.format(expression=expression)
        params.update(whole_days(window))
        # Descending is ascending reversed: other last, then the values, events without one first.
        keys = f"other {direction}, key {direction} NULLS {'LAST' if descending else 'FIRST'}"
        order = f"value {direction} NULLS LAST, {keys}" if by_figure else keys
    return fetch(f"SELECT * FROM ({sql}) AS stats ORDER BY {order}", params)
