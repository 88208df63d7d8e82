-- View:      recompute_customer_interaction_hourly
-- Recomputes customer_interaction_hourly from the raw event table: every event that names both
-- a customer and a channel is one interaction.
SELECT workspace_id,
       date_trunc('hour', occurred_at, 'UTC') AS bucket,
       customer_id,
       channel_id,
       count(*) AS interactions
FROM event
WHERE customer_id IS NOT NULL AND channel_id IS NOT NULL
GROUP BY 1, 2, 3, 4;
