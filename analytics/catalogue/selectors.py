"""Reads of the catalogue: every name a workspace has defined or observed, with its figures.

The figures come from the summaries the count_hourly trigger keeps, never from the raw events:
events, first and last seen from event_name_lifetime (at most one row per write slot and name),
events_7d from event_name_hourly (the current hour and the 168 before it). A list therefore costs
the workspace's names times (slots + 169 hours), whatever the number of events.
"""

from dataclasses import dataclass

from analytics.catalogue.models import EventProperty
from analytics.summaries import fetch

ENTRIES = """
WITH lifetime AS (
    SELECT name, sum(events)::bigint AS events, min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at
    FROM event_name_lifetime
    WHERE workspace_id = %(workspace)s {name_filter}
    GROUP BY name
),
recent AS (
    SELECT name, sum(events)::bigint AS events
    FROM event_name_hourly
    WHERE workspace_id = %(workspace)s AND bucket >= date_trunc('hour', now() - interval '7 days', 'UTC') {name_filter}
    GROUP BY name
),
entries AS (
    SELECT name, true AS defined, description, category, created_at, modified_at
    FROM event_definition
    WHERE workspace_id = %(workspace)s {name_filter}
    UNION ALL
    SELECT l.name, false, '', '', NULL, NULL
    FROM lifetime AS l
    WHERE NOT EXISTS (SELECT 1 FROM event_definition AS d WHERE d.workspace_id = %(workspace)s AND d.name = l.name)
)
SELECT e.name, e.defined, e.description, e.category, e.created_at, e.modified_at,
       COALESCE(l.events, 0) AS events, COALESCE(r.events, 0) AS events_7d, l.first_seen_at, l.last_seen_at,
       (SELECT COALESCE(json_agg(json_build_object('key', p.key, 'kind', p.kind, 'cap', p.cap) ORDER BY p.key), '[]')
        FROM event_property AS p
        WHERE p.workspace_id = %(workspace)s AND p.name = e.name) AS properties
FROM entries AS e
LEFT JOIN lifetime AS l USING (name)
LEFT JOIN recent AS r USING (name)
WHERE true {conditions}
"""


@dataclass
class Rows:
    """A lazy, ordered page source for DRF pagination: the database counts, orders and pages."""

    sql: str
    params: dict

    def count(self) -> int:
        return fetch(f"SELECT count(*) AS count FROM ({self.sql}) AS rows", self.params)[0]["count"]

    def __getitem__(self, page: slice) -> list[dict]:
        limit = None if page.stop is None else page.stop - (page.start or 0)
        params = {**self.params, "limit": limit, "offset": page.start or 0}
        return fetch(f"{self.sql}\nORDER BY e.name\nLIMIT %(limit)s OFFSET %(offset)s", params)

    def __len__(self) -> int:
        return self.count()


def like_pattern(text: str) -> str:
    """`text` as a substring pattern of ILIKE, its own % _ and \\ matched literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def catalogue_entries(*, workspace, search: str | None = None, defined: bool | None = None) -> Rows:
    """Every defined or observed name of the workspace, by name; `search` is a case-insensitive
    substring of the name, description or category, `defined` keeps only defined (or only
    observed-but-undefined) names."""
    conditions, params = [], {"workspace": workspace.pk}
    if search is not None:
        conditions.append(
            "AND (e.name ILIKE %(search)s OR e.description ILIKE %(search)s OR e.category ILIKE %(search)s)"
        )
        params["search"] = like_pattern(search)
    if defined is not None:
        conditions.append("AND e.defined = %(defined)s")
        params["defined"] = defined
    return Rows(sql=ENTRIES.format(name_filter="", conditions=" ".join(conditions)), params=params)


def declared_properties(*, workspace, name: str) -> dict[str, dict]:
    """{key: {"kind", "cap"}} of what the definition of `name` declares."""
    rows = EventProperty.objects.filter(workspace=workspace, name=name).values("key", "kind", "cap")
    return {row["key"]: {"kind": row["kind"], "cap": row["cap"]} for row in rows}


def catalogue_entry(*, workspace, name: str) -> dict | None:
    """The entry of one name, defined or observed; None when it is neither."""
    sql = ENTRIES.format(name_filter="AND name = %(name)s", conditions="")
    rows = fetch(sql, {"workspace": workspace.pk, "name": name})
    return rows[0] if rows else None
