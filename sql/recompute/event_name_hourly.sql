-- View:      recompute_event_name_hourly
-- Recomputes event_name_hourly from the raw events: per workspace, UTC hour and name, the count,
-- the value's count/sum/min/max and the first and last occurred_at. Columns in the order of
-- event_name_hourly.
SELECT workspace_id,
       date_trunc('hour', occurred_at, 'UTC') AS bucket,
       name,
       count(*) AS events,
       count(value) AS value_count,
       COALESCE(sum(value), 0) AS value_sum,
       min(value) AS value_min,
       max(value) AS value_max,
       min(occurred_at) AS first_seen_at,
       max(occurred_at) AS last_seen_at
FROM event
GROUP BY 1, 2, 3;
