-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events; event_property (what the statement's names declare); this connection's
--            write-slot rows of event_property_hourly_slot for the touched hours and dimensions.
-- Keeps:     event_property_hourly_slot, read through the view event_property_hourly, equal to
--            sql/recompute/event_property_hourly.sql: per UTC hour, name and declared dimension,
--            the events of each value (and of none: the property absent or null), with each
--            declared measure's count/sum/min/max (a row per measure; one row, measure '', of
--            events only when the name declares none); per declared measure also with no
--            breakdown (dimension ''). A name that declares nothing costs one
--            indexed look-up of event_property.
--            The cap: per hour and dimension, the `cap` values that sort first (byte order) get
--            rows of their own, the others count in the `other` row (kind 2, value ''). Within
--            this slot a value is admitted while fewer than `cap` of the slot's values sort
--            before it; a value pushed past the cap by a smaller one is evicted: its rows are
--            deleted and added to `other`. A value among the hour's first `cap` is among every
--            slot's first `cap`, so it is admitted in every slot it reaches with all its events,
--            and event_property_hourly, which ranks the admitted values of all slots again,
--            gives what the hour's events alone decide, in any order, batching or slot.
--            Ranking is needed only where the cap can bite: an hour and dimension whose slot rows
--            (kind 0, counted with a LIMIT) plus the statement's values are more than `cap`;
--            elsewhere every value is admitted as it is and nothing is read back, ranked or
--            joined (a replay over two days touches ~150 hours and dimensions a statement, none
--            of them at the cap; docs/performance.md).
-- Locking:   every statement with events of a name and hour in this slot has already locked that
--            key's event_name_hourly row until its commit (event__count_hourly.sql, whose
--            statements run before these in the summarize trigger: triggers/__init__.py), so two
--            statements never write one name-hour of this slot at once; other slots are other
--            rows. The upsert sorts its keys (rollups compact locks rows in the same order).
WITH declared AS (
    SELECT p.workspace_id, p.name, p.key, p.kind, p.cap
    FROM event_property AS p
    WHERE (p.workspace_id, p.name) IN (SELECT workspace_id, name FROM new_events)
),
-- Text keys in COLLATE "C" from here on, like the table's: grouping, ranking and look-ups compare
-- bytes (the cap's order), not the database's locale, which costs several times more.
-- Per event of a declaring name and per declared measure (one row, measure '', when it declares
-- none): its hour and amount. The amount is read from the JSON once per event and measure, not
-- once per dimension, and the rows fanned out per dimension carry the property's text, not the
-- event's JSON: half the statement's CPU for an hour's events (docs/performance.md).
measured AS (
    SELECT e.workspace_id, e.name COLLATE "C" AS name, date_trunc('hour', e.occurred_at, 'UTC') AS bucket,
           e.properties, COALESCE(m.key, '') COLLATE "C" AS measure, m.key IS NOT NULL AS measured,
           CASE WHEN jsonb_typeof(e.properties -> m.key) = 'number' THEN (e.properties ->> m.key)::numeric END AS amount
    FROM new_events AS e
    LEFT JOIN declared AS m ON (m.workspace_id, m.name) = (e.workspace_id, e.name) AND m.kind = 'measure'
    WHERE (e.workspace_id, e.name) IN (SELECT workspace_id, name FROM declared)
),
-- Then per declared dimension (and '', no breakdown, for a declared measure) the property as text.
breakdowns AS (
    SELECT x.workspace_id, x.name, d.key COLLATE "C" AS dimension, x.bucket, x.measure, d.cap, x.amount,
           x.properties ->> d.key AS raw
    FROM measured AS x
    JOIN declared AS d ON (d.workspace_id, d.name) = (x.workspace_id, x.name) AND d.kind = 'dimension'
    UNION ALL
    SELECT workspace_id, name, '', bucket, measure, NULL, amount, ''
    FROM measured
    WHERE measured
),
counted AS (
    SELECT workspace_id, name, dimension, bucket, measure,
           CASE WHEN raw IS NULL THEN 1 WHEN length(raw) > 200 THEN 2 ELSE 0 END AS kind,
           (CASE WHEN length(raw) <= 200 THEN raw ELSE '' END) COLLATE "C" AS value,
           max(cap) AS cap, count(*) AS events, count(amount) AS amount_count, COALESCE(sum(amount), 0) AS amount_sum,
           min(amount) AS amount_min, max(amount) AS amount_max
    FROM breakdowns
    GROUP BY 1, 2, 3, 4, 5, 6, 7
),
-- The hours and dimensions where the cap can bite. Rows count a value once per measure, so rows
-- are at least the values: when the slot's kind 0 rows and the statement's together are no more
-- than the cap, neither are the values, no value passes the cap, and the group is not ranked.
-- The slot's rows are counted up to the first past the bound (LIMIT), through the primary key.
tight AS (
    SELECT t.workspace_id, t.name, t.dimension, t.bucket, t.cap
    FROM (
        SELECT workspace_id, name, dimension, bucket, max(cap) AS cap, count(*) FILTER (WHERE kind = 0) AS fresh
        FROM counted
        WHERE dimension <> ''
        GROUP BY 1, 2, 3, 4
    ) AS t
    WHERE CASE WHEN t.fresh > t.cap THEN true ELSE (
        SELECT count(*)
        FROM (
            SELECT
            FROM event_property_hourly_slot AS h
            WHERE (h.workspace_id, h.name, h.dimension, h.bucket) = (t.workspace_id, t.name, t.dimension, t.bucket)
              AND h.slot = tally_write_slot() AND h.kind = 0
            LIMIT t.cap - t.fresh + 1
        ) AS x
    ) > t.cap - t.fresh END
),
candidates AS (
    SELECT c.workspace_id, c.name, c.dimension, c.bucket, c.value, t.cap
    FROM counted AS c
    JOIN tight AS t USING (workspace_id, name, dimension, bucket)
    WHERE c.kind = 0
    UNION
    SELECT h.workspace_id, h.name, h.dimension, h.bucket, h.value, t.cap
    FROM tight AS t
    -- LATERAL: one index range scan of each hour and dimension, whatever the estimates (a join
    -- was planned as a scan of the whole table while it was small, and kept as it grew).
    CROSS JOIN LATERAL (
        SELECT h.workspace_id, h.name, h.dimension, h.bucket, h.value
        FROM event_property_hourly_slot AS h
        WHERE (h.workspace_id, h.name, h.dimension, h.bucket) = (t.workspace_id, t.name, t.dimension, t.bucket)
          AND h.slot = tally_write_slot() AND h.kind = 0
        OFFSET 0
    ) AS h
),
ranked AS (
    SELECT workspace_id, name, dimension, bucket, value,
           row_number() OVER (PARTITION BY workspace_id, name, dimension, bucket ORDER BY value) > cap AS over
    FROM candidates
),
evicted AS (
    DELETE FROM event_property_hourly_slot AS h
    -- The rows by their ctid, found through the primary key (LATERAL), so that no estimate makes
    -- this a scan of the table per evicted value.
    WHERE h.ctid = ANY (ARRAY(
        SELECT x.ctid
        FROM ranked AS r
        CROSS JOIN LATERAL (
            SELECT h.ctid
            FROM event_property_hourly_slot AS h
            WHERE (h.workspace_id, h.name, h.dimension, h.bucket) = (r.workspace_id, r.name, r.dimension, r.bucket)
              AND h.kind = 0 AND h.value = r.value AND h.slot = tally_write_slot()
            OFFSET 0
        ) AS x
        WHERE r.over
    ))
      -- Decided once, before any scan: a plan made while the table was small (a generic plan,
      -- cached for the connection) scans it whole for the ctids, even for none.
      AND EXISTS (SELECT FROM ranked WHERE over)
    RETURNING h.workspace_id, h.name, h.dimension, h.bucket, h.measure,
              h.events, h.amount_count, h.amount_sum, h.amount_min, h.amount_max
),
-- The rows of the groups nobody ranked as they are (an anti-join on the few tight groups, so the
-- statement's rows are not hashed to meet an empty ranking), the others with their over values
-- moved to `other`, and the evicted rows into `other`.
written AS (
    SELECT c.workspace_id, c.name, c.dimension, c.bucket, c.measure, c.kind, c.value,
           c.events, c.amount_count, c.amount_sum, c.amount_min, c.amount_max
    FROM counted AS c
    WHERE NOT EXISTS (
        SELECT FROM tight AS t
        WHERE (t.workspace_id, t.name, t.dimension, t.bucket) = (c.workspace_id, c.name, c.dimension, c.bucket)
    )
    UNION ALL
    SELECT c.workspace_id, c.name, c.dimension, c.bucket, c.measure,
           CASE WHEN c.kind = 0 AND r.over THEN 2 ELSE c.kind END AS kind,
           CASE WHEN c.kind = 0 AND r.over THEN '' ELSE c.value END AS value,
           c.events, c.amount_count, c.amount_sum, c.amount_min, c.amount_max
    FROM counted AS c
    JOIN tight AS t USING (workspace_id, name, dimension, bucket)
    LEFT JOIN ranked AS r USING (workspace_id, name, dimension, bucket, value)
    UNION ALL
    SELECT workspace_id, name, dimension, bucket, measure, 2, '', events, amount_count, amount_sum, amount_min, amount_max
    FROM evicted
)
INSERT INTO event_property_hourly_slot AS h
    (workspace_id, name, dimension, bucket, measure, kind, value, slot,
     events, amount_count, amount_sum, amount_min, amount_max)
SELECT workspace_id, name, dimension, bucket, measure, kind, value, tally_write_slot(),
       sum(events), sum(amount_count), sum(amount_sum), min(amount_min), max(amount_max)
FROM written
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT (workspace_id, name, dimension, bucket, measure, kind, value, slot) DO UPDATE SET
    events = h.events + EXCLUDED.events,
    amount_count = h.amount_count + EXCLUDED.amount_count,
    amount_sum = h.amount_sum + EXCLUDED.amount_sum,
    amount_min = LEAST(h.amount_min, EXCLUDED.amount_min),
    amount_max = GREATEST(h.amount_max, EXCLUDED.amount_max);
RETURN NULL;
