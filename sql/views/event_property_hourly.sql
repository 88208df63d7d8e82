-- View:      event_property_hourly
-- event_property_hourly_slot as every reader sees it: per UTC hour, name and dimension the
-- admitted values (kind 0) of all write slots ranked again by byte order (dense_rank: a value's
-- rows of every slot and measure share its rank), those past the dimension's cap folded into the
-- `other` row (kind 2, value ''), and the slots summed. A slot may hold a value that other
-- slots pushed past the cap; ranking the union of the slots' values again is what makes the
-- result the hour's first `cap` values whatever slot, order or batch the events came in
-- (docs/catalogue.md). One row per workspace, name, dimension, hour, measure, kind and value;
-- what the property stats read, and what rollups verify compares.
WITH ranked AS (
    SELECT s.*,
           s.kind = 0 AND s.dimension <> ''
           AND dense_rank() OVER (
               PARTITION BY s.workspace_id, s.name, s.dimension, s.bucket, s.kind ORDER BY s.value COLLATE "C"
           ) > p.cap AS over
    FROM event_property_hourly_slot AS s
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
