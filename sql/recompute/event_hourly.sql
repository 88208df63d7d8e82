-- View:      recompute_event_hourly
-- Recomputes event_hourly from the raw event table alone (rollups verify/rebuild compare and
-- replace with it). Columns in the order of event_hourly.
SELECT workspace_id,
       date_trunc('hour', occurred_at, 'UTC') AS bucket,
       name,
       COALESCE(channel_id, '') AS channel_id,
       COALESCE(agent_id, '') AS agent_id,
       count(*) AS events,
       count(value) AS value_count,
       COALESCE(sum(value), 0) AS value_sum,
       min(value) AS value_min,
       max(value) AS value_max
FROM event
GROUP BY 1, 2, 3, 4, 5;
