-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
--            Rows skipped by INSERT .. ON CONFLICT DO NOTHING are not in new_events, so a
--            retried event counts nothing.
-- Reads:     new_events.
-- Keeps:     event_hourly = sql/recompute/event_hourly.sql (every event, per UTC hour x name x
--            channel x agent, with count/sum/min/max of value).
-- Locking:   one upsert per statement, keys sorted, so concurrent statements lock rows in the
--            same order and cannot deadlock each other; into this connection's write slot
--            (sql/functions/tally_write_slot.sql), so concurrent connections do not queue on
--            one row per workspace-hour.
INSERT INTO event_hourly AS h
    (workspace_id, bucket, name, channel_id, agent_id, slot, events, value_count, value_sum, value_min, value_max)
SELECT workspace_id,
       date_trunc('hour', occurred_at, 'UTC'),
       name,
       COALESCE(channel_id, ''),
       COALESCE(agent_id, ''),
       tally_write_slot(),
       count(*),
       count(value),
       COALESCE(sum(value), 0),
       min(value),
       max(value)
FROM new_events
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (workspace_id, bucket, name, channel_id, agent_id, slot) DO UPDATE SET
    events = h.events + EXCLUDED.events,
    value_count = h.value_count + EXCLUDED.value_count,
    value_sum = h.value_sum + EXCLUDED.value_sum,
    value_min = LEAST(h.value_min, EXCLUDED.value_min),
    value_max = GREATEST(h.value_max, EXCLUDED.value_max);
RETURN NULL;
