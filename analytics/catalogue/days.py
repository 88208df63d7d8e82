"""event_property_daily: the folded part of event_property_hourly_slot by UTC day, with each
hour's cap applied (sql/recompute/event_property_daily.sql says what it holds).

The cap is not additive: folding another slot's rows into an hour's slot 0 can push one of its
values past the cap, into `other`. So a day is not kept by adding what is folded (as
support_agent_daily is) but recomputed from the slot 0 rows of its hours whenever they change:
by compaction for the days whose hours it folds, in its transaction (rollups.compact_summary),
by a change of the declarations (services.properties_set), by rebuild (its recompute view), and
by the erase trigger (sql/triggers/event__erase.sql, the same statements on tables).

Writers of a day take event_property_daily in SHARE ROW EXCLUSIVE mode, after the hourly rows
they change are locked: two of them (compaction and erasure of the same day) run one after the
other, and the second recomputes from what the first committed. Readers are never blocked."""

from datetime import datetime

LOCK = "LOCK TABLE event_property_daily IN SHARE ROW EXCLUSIVE MODE"

# One workspace a statement, named as a constant: on Citus each statement then runs on the shards
# of that workspace alone (a router query), as the erase trigger's statements do.
TOUCHED = "unnest(%(names)s::text[], %(days)s::timestamptz[]) AS t (name, bucket)"

DELETE = f"""
DELETE FROM event_property_daily AS d
USING {TOUCHED}
WHERE d.workspace_id = %(workspace)s AND (d.name, d.bucket) = (t.name, t.bucket)
"""

# Per touched day, each declared dimension (and '', no breakdown) read as one index range of its
# 24 hours' slot 0 rows, ranked per hour like the view event_property_hourly.
INSERT = f"""
INSERT INTO event_property_daily
    (workspace_id, name, dimension, bucket, measure, kind, value,
     events, amount_count, amount_sum, amount_min, amount_max)
SELECT %(workspace)s, t.name, r.dimension, t.bucket, r.measure,
       CASE WHEN r.over THEN 2 ELSE r.kind END, CASE WHEN r.over THEN '' ELSE r.value END,
       sum(r.events), sum(r.amount_count), sum(r.amount_sum), min(r.amount_min), max(r.amount_max)
FROM {TOUCHED}
CROSS JOIN LATERAL (
    SELECT s.dimension, s.measure, s.kind, s.value, s.events, s.amount_count, s.amount_sum, s.amount_min, s.amount_max,
           s.kind = 0 AND s.dimension <> ''
           AND dense_rank() OVER (PARTITION BY s.dimension, s.bucket, s.kind ORDER BY s.value) > p.cap AS over
    FROM (
        SELECT key AS dimension, cap FROM event_property
        WHERE workspace_id = %(workspace)s AND name = t.name AND kind = 'dimension'
        UNION ALL
        SELECT '', NULL
    ) AS p
    JOIN event_property_hourly_slot AS s
      ON s.workspace_id = %(workspace)s AND s.name = t.name AND s.dimension = p.dimension
     AND s.bucket >= t.bucket AND s.bucket < t.bucket + interval '24 hours' AND s.slot = 0
) AS r
GROUP BY 2, 3, 4, 5, 6, 7
ORDER BY 2, 3, 4, 5, 6, 7
"""


def days_rewrite(cursor, days: list[tuple[int, str, datetime]]) -> None:
    """Replaces the rows of each (workspace id, name, midnight UTC) in `days` with their
    recomputation from the day's slot 0 rows, in the caller's transaction, after the hourly rows
    that changed are locked."""
    if not days:
        return
    cursor.execute(LOCK)
    for workspace in sorted({workspace for workspace, _, _ in days}):
        params = {
            "workspace": workspace,
            "names": [name for touched, name, _ in days if touched == workspace],
            "days": [day for touched, _, day in days if touched == workspace],
        }
        cursor.execute(DELETE, params)
        cursor.execute(INSERT, params)
