-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that name both a customer and a channel.
-- Keeps:     customer_interaction_hourly = sql/recompute/customer_interaction_hourly.sql
--            (one interaction per such event, per UTC hour x customer x channel).
-- Locking:   one upsert, keys sorted, into this connection's write slot.
-- @when EXISTS (SELECT 1 FROM new_events WHERE customer_id IS NOT NULL AND channel_id IS NOT NULL)
INSERT INTO customer_interaction_hourly AS h (workspace_id, bucket, customer_id, channel_id, slot, interactions)
SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), customer_id, channel_id, tally_write_slot(), count(*)
FROM new_events
WHERE customer_id IS NOT NULL AND channel_id IS NOT NULL
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
ON CONFLICT (workspace_id, bucket, customer_id, channel_id, slot) DO UPDATE SET
    interactions = h.interactions + EXCLUDED.interactions;
RETURN NULL;
