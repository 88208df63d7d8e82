-- View:      recompute_event_property_hourly
-- Recomputes event_property_hourly (the view over event_property_hourly_slot) from the
-- raw events and the declarations in event_property: per UTC hour, name and declared dimension
-- (or '' for none, when the name declares a measure), each value's events (kind 0; kind 1: the
-- property absent or null), per declared measure (measure '' with events only when none is),
-- with the values past the hour's first `cap` (byte order; and any longer than 200 characters)
-- folded into kind 2, value ''. Columns in the order of event_property_hourly_slot.
WITH breakdowns AS (
    SELECT e.workspace_id, e.name, d.key AS dimension, date_trunc('hour', e.occurred_at, 'UTC') AS bucket, d.cap,
           CASE WHEN e.properties ->> d.key IS NULL THEN 1
                WHEN length(e.properties ->> d.key) > 200 THEN 2
                ELSE 0 END AS kind,
           CASE WHEN length(e.properties ->> d.key) <= 200 THEN e.properties ->> d.key ELSE '' END AS value,
           e.properties
    FROM event AS e
    JOIN event_property AS d ON (d.workspace_id, d.name) = (e.workspace_id, e.name) AND d.kind = 'dimension'
    UNION ALL
    SELECT e.workspace_id, e.name, '', date_trunc('hour', e.occurred_at, 'UTC'), NULL, 0, '', e.properties
    FROM event AS e
    WHERE (e.workspace_id, e.name) IN (SELECT workspace_id, name FROM event_property WHERE kind = 'measure')
),
amounts AS (
    SELECT b.workspace_id, b.name, b.dimension, b.bucket, b.cap, b.kind, b.value, m.key AS measure,
           CASE WHEN jsonb_typeof(b.properties -> m.key) = 'number' THEN (b.properties ->> m.key)::numeric END AS amount
    FROM breakdowns AS b
    JOIN event_property AS m ON (m.workspace_id, m.name) = (b.workspace_id, b.name) AND m.kind = 'measure'
    UNION ALL
    SELECT b.workspace_id, b.name, b.dimension, b.bucket, b.cap, b.kind, b.value, '', NULL
    FROM breakdowns AS b
    WHERE (b.workspace_id, b.name) NOT IN (SELECT workspace_id, name FROM event_property WHERE kind = 'measure')
),
counted AS (
    SELECT workspace_id, name, dimension, bucket, measure, kind, value, max(cap) AS cap,
           count(*) AS events, count(amount) AS amount_count, COALESCE(sum(amount), 0) AS amount_sum,
           min(amount) AS amount_min, max(amount) AS amount_max
    FROM amounts
    GROUP BY 1, 2, 3, 4, 5, 6, 7
),
ranked AS (
    SELECT c.*,
           c.kind = 0 AND c.dimension <> ''
           AND dense_rank() OVER (PARTITION BY workspace_id, name, dimension, bucket, kind ORDER BY value COLLATE "C") > cap
           AS over
    FROM counted AS c
)
SELECT workspace_id, name, dimension, bucket, measure,
       CASE WHEN over THEN 2 ELSE kind END::smallint AS kind,
       CASE WHEN over THEN '' ELSE value END AS value,
       sum(events)::bigint AS events,
       sum(amount_count)::bigint AS amount_count,
       sum(amount_sum) AS amount_sum,
       min(amount_min) AS amount_min,
       max(amount_max) AS amount_max
FROM ranked
GROUP BY 1, 2, 3, 4, 5, 6, 7;
