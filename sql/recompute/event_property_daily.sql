-- View:      recompute_event_property_daily
-- Recomputes event_property_daily, which is not a summary of the raw events of its own but the
-- folded part of event_property_hourly_slot by UTC day: each hour's slot 0 rows (what
-- `rollups compact` folded, and rebuild, erasure or a change of the declarations wrote) with the
-- hour's cap applied as the view event_property_hourly applies it (the admitted values ranked by
-- byte order, those past the dimension's cap folded into `other`: kind 2, value ''), then summed
-- by UTC day (min of the minima, max of the maxima). A day whose hours hold slot 0 rows only
-- therefore gives what event_property_hourly gives for its hours, summed. Columns in the order of
-- event_property_daily.
WITH ranked AS (
    SELECT s.*,
           s.kind = 0 AND s.dimension <> ''
           AND dense_rank() OVER (
               PARTITION BY s.workspace_id, s.name, s.dimension, s.bucket, s.kind ORDER BY s.value COLLATE "C"
           ) > p.cap AS over
    FROM event_property_hourly_slot AS s
    LEFT JOIN event_property AS p ON (p.workspace_id, p.name, p.key) = (s.workspace_id, s.name, s.dimension)
    WHERE s.slot = 0
)
SELECT workspace_id, name, dimension, date_trunc('day', bucket, 'UTC') AS bucket, measure,
       CASE WHEN over THEN 2 ELSE kind END::smallint AS kind,
       CASE WHEN over THEN '' ELSE value END AS value,
       sum(events)::bigint AS events,
       sum(amount_count)::bigint AS amount_count,
       sum(amount_sum) AS amount_sum,
       min(amount_min) AS amount_min,
       max(amount_max) AS amount_max
FROM ranked
GROUP BY 1, 2, 3, 4, 5, 6, 7;
