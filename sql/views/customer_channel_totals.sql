-- View:      customer_channel_totals (materialized; unique key workspace_id, customer_id,
--            channel_id)
-- Reads:     customer_interaction_hourly.
-- Grain:     workspace x customer x channel, all time: interactions (events that name both the
--            customer and the channel), and the UTC hours of the first and the last of them.
-- Freshness: as of rollup_refresh.refreshed_at of 'customer_channel_totals'.
SELECT workspace_id,
       customer_id,
       channel_id,
       sum(interactions)::bigint AS interactions,
       min(bucket) AS first_interaction_hour,
       max(bucket) AS last_interaction_hour
FROM customer_interaction_hourly
GROUP BY 1, 2, 3;
