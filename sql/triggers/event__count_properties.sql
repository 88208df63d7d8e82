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
breakdowns AS (
    SELECT e.workspace_id, e.name COLLATE "C" AS name, d.key COLLATE "C" AS dimension,
           date_trunc('hour', e.occurred_at, 'UTC') AS bucket, d.cap,
           CASE WHEN e.properties ->> d.key IS NULL THEN 1
                WHEN length(e.properties ->> d.key) > 200 THEN 2
                ELSE 0 END AS kind,
           (CASE WHEN length(e.properties ->> d.key) <= 200 THEN e.properties ->> d.key ELSE '' END) COLLATE "C" AS value,
           e.properties
    FROM new_events AS e
    JOIN declared AS d ON (d.workspace_id, d.name) = (e.workspace_id, e.name) AND d.kind = 'dimension'
    UNION ALL
    SELECT e.workspace_id, e.name COLLATE "C", '', date_trunc('hour', e.occurred_at, 'UTC'), NULL, 0, '',
           e.properties
    FROM new_events AS e
    WHERE (e.workspace_id, e.name) IN (SELECT workspace_id, name FROM declared WHERE kind = 'measure')
),
amounts AS (
    SELECT b.workspace_id, b.name, b.dimension, b.bucket, b.cap, b.kind, b.value, m.key COLLATE "C" AS measure,
           CASE WHEN jsonb_typeof(b.properties -> m.key) = 'number' THEN (b.properties ->> m.key)::numeric END AS amount
    FROM breakdowns AS b
    JOIN declared AS m ON (m.workspace_id, m.name) = (b.workspace_id, b.name) AND m.kind = 'measure'
    UNION ALL
    SELECT b.workspace_id, b.name, b.dimension, b.bucket, b.cap, b.kind, b.value, '', NULL
    FROM breakdowns AS b
    WHERE (b.workspace_id, b.name) NOT IN (SELECT workspace_id, name FROM declared WHERE kind = 'measure')
),
counted AS (
    SELECT workspace_id, name, dimension, bucket, measure, kind, value, max(cap) AS cap,
           count(*) AS events, count(amount) AS amount_count, COALESCE(sum(amount), 0) AS amount_sum,
           min(amount) AS amount_min, max(amount) AS amount_max
    FROM amounts
    GROUP BY 1, 2, 3, 4, 5, 6, 7
),
candidates AS (
    SELECT workspace_id, name, dimension, bucket, value, cap
    FROM counted
    WHERE kind = 0 AND dimension <> ''
    UNION
    SELECT h.workspace_id, h.name, h.dimension, h.bucket, h.value, t.cap
    FROM event_property_hourly_slot AS h
    JOIN (SELECT DISTINCT workspace_id, name, dimension, bucket, cap FROM counted WHERE dimension <> '') AS t
      ON (h.workspace_id, h.name, h.dimension, h.bucket) = (t.workspace_id, t.name, t.dimension, t.bucket)
    WHERE h.slot = tally_write_slot() AND h.kind = 0
),
ranked AS (
    SELECT workspace_id, name, dimension, bucket, value,
           row_number() OVER (PARTITION BY workspace_id, name, dimension, bucket ORDER BY value) > cap AS over
    FROM candidates
),
evicted AS (
    DELETE FROM event_property_hourly_slot AS h
    USING ranked AS r
    WHERE r.over AND h.slot = tally_write_slot() AND h.kind = 0
      AND (h.workspace_id, h.name, h.dimension, h.bucket, h.value) = (r.workspace_id, r.name, r.dimension, r.bucket, r.value)
    RETURNING h.workspace_id, h.name, h.dimension, h.bucket, h.measure,
              h.events, h.amount_count, h.amount_sum, h.amount_min, h.amount_max
),
written AS (
    SELECT c.workspace_id, c.name, c.dimension, c.bucket, c.measure,
           CASE WHEN c.kind = 0 AND r.over THEN 2 ELSE c.kind END AS kind,
           CASE WHEN c.kind = 0 AND r.over THEN '' ELSE c.value END AS value,
           c.events, c.amount_count, c.amount_sum, c.amount_min, c.amount_max
    FROM counted AS c
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
