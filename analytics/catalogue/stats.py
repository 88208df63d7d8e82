"""Stats over declared properties: GET /api/v1/events/stats with `group_by=properties.<key>` (a
declared dimension) and/or `measure=<key>` (a declared measure), read from the view
event_property_hourly (never the raw events): a range costs its hours times the dimension's
admitted values (at most the cap) times the name's measures plus one."""

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

BREAKDOWN = """
SELECT CASE WHEN h.kind = 0 THEN h.value END AS key, h.kind = 2 AS other, {expression} AS value
FROM event_property_hourly AS h
WHERE h.workspace_id = %(workspace)s AND h.name = %(name)s AND h.dimension = %(dimension)s
  AND h.measure = %(measure)s AND h.bucket >= %(start)s AND h.bucket < %(end)s
GROUP BY 1, 2
"""


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
        # Descending is ascending reversed: other last, then the values, events without one first.
        keys = f"other {direction}, key {direction} NULLS {'LAST' if descending else 'FIRST'}"
        order = f"value {direction} NULLS LAST, {keys}" if by_figure else keys
    return fetch(f"SELECT * FROM ({sql}) AS stats ORDER BY {order}", params)
