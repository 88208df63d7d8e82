-- View:      event_property_hourly
-- event_property_hourly_slot as every reader sees it: write slots summed per key, then per UTC hour,
-- name and dimension the admitted values (kind 0) of all slots ranked again by byte order, and
-- those past the dimension's cap folded into the `other` row (kind 2, value ''). A slot may
-- hold a value that other slots pushed past the cap; ranking the union of the slots' values
-- again is what makes the result the hour's first `cap` values whatever slot, order or batch
-- the events came in (docs/catalogue.md). One row per workspace, name, dimension, hour,
-- measure, kind and value; what the property stats read, and what rollups verify compares.
WITH summed AS (
    SELECT workspace_id, name, dimension, bucket, measure, kind, value,
           sum(events) AS events, sum(amount_count) AS amount_count, sum(amount_sum) AS amount_sum,
           min(amount_min) AS amount_min, max(amount_max) AS amount_max
    FROM event_property_hourly_slot
    GROUP BY 1, 2, 3, 4, 5, 6, 7
),
ranked AS (
    SELECT s.*,
           s.kind = 0 AND s.dimension <> ''
           AND dense_rank() OVER (
               PARTITION BY s.workspace_id, s.name, s.dimension, s.bucket, s.kind ORDER BY s.value COLLATE "C"
           ) > p.cap AS over
    FROM summed AS s
    LEFT JOIN event_property AS p ON (p.workspace_id, p.name, p.key) = (s.workspace_id, s.name, s.dimension)
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
