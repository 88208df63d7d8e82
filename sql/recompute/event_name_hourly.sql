-- View:      recompute_event_name_hourly
-- Recomputes event_name_hourly: recompute_event_hourly summed over channels and agents per
-- workspace, hour and name. Columns in the order of event_name_hourly.
SELECT workspace_id,
       bucket,
       name,
       sum(events)::bigint AS events,
       sum(value_count)::bigint AS value_count,
       sum(value_sum) AS value_sum,
       min(value_min) AS value_min,
       max(value_max) AS value_max
FROM recompute_event_hourly
GROUP BY 1, 2, 3;
