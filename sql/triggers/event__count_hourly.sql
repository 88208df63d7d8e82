-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
--            Rows skipped by INSERT .. ON CONFLICT DO NOTHING are not in new_events, so a
--            retried event counts nothing.
-- Reads:     new_events.
-- Keeps:     event_hourly = sql/recompute/event_hourly.sql (every event, per UTC hour x name x
--            channel x agent, with count/sum/min/max of value);
--            event_name_hourly = sql/recompute/event_name_hourly.sql (the same summed over
--            channels and agents, per UTC hour x name, with the hour's first and last
--            occurred_at: what the event trend, frequency and unfiltered stats read);
--            event_name_lifetime = sql/recompute/event_name_lifetime.sql (per name over all
--            time: count, first and last seen, what the event catalogue reads).
-- Locking:   one upsert per table and statement, keys sorted, tables always in the same order
--            (event_hourly, event_name_hourly, event_name_lifetime), so concurrent statements lock rows in the same
--            order and cannot deadlock each other; into this connection's write slot
--            (sql/functions/tally_write_slot.sql), so concurrent connections do not queue on
--            one row per workspace-hour.
WITH counts AS (
    SELECT workspace_id,
           date_trunc('hour', occurred_at, 'UTC') AS bucket,
           name,
           COALESCE(channel_id, '') AS channel_id,
           COALESCE(agent_id, '') AS agent_id,
           count(*) AS events,
           count(value) AS value_count,
           COALESCE(sum(value), 0) AS value_sum,
           min(value) AS value_min,
           max(value) AS value_max,
           min(occurred_at) AS first_seen_at,
           max(occurred_at) AS last_seen_at
    FROM new_events
    GROUP BY 1, 2, 3, 4, 5
),
event_upsert AS (
    INSERT INTO event_hourly AS h
        (workspace_id, bucket, name, channel_id, agent_id, slot, events, value_count, value_sum, value_min, value_max)
    SELECT workspace_id, bucket, name, channel_id, agent_id, tally_write_slot(),
           events, value_count, value_sum, value_min, value_max
    FROM counts
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, bucket, name, channel_id, agent_id, slot) DO UPDATE SET
        events = h.events + EXCLUDED.events,
        value_count = h.value_count + EXCLUDED.value_count,
        value_sum = h.value_sum + EXCLUDED.value_sum,
        value_min = LEAST(h.value_min, EXCLUDED.value_min),
        value_max = GREATEST(h.value_max, EXCLUDED.value_max)
)
INSERT INTO event_name_hourly AS n
    (workspace_id, bucket, name, slot, events, value_count, value_sum, value_min, value_max,
     first_seen_at, last_seen_at)
SELECT workspace_id, bucket, name, tally_write_slot(),
       sum(events), sum(value_count), sum(value_sum), min(value_min), max(value_max),
       min(first_seen_at), max(last_seen_at)
FROM counts
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
ON CONFLICT (workspace_id, bucket, name, slot) DO UPDATE SET
    events = n.events + EXCLUDED.events,
    value_count = n.value_count + EXCLUDED.value_count,
    value_sum = n.value_sum + EXCLUDED.value_sum,
    value_min = LEAST(n.value_min, EXCLUDED.value_min),
    value_max = GREATEST(n.value_max, EXCLUDED.value_max),
    first_seen_at = LEAST(n.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(n.last_seen_at, EXCLUDED.last_seen_at);

INSERT INTO event_name_lifetime AS l (workspace_id, name, slot, events, first_seen_at, last_seen_at)
SELECT workspace_id, name, tally_write_slot(), count(*), min(occurred_at), max(occurred_at)
FROM new_events
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, name, slot) DO UPDATE SET
    events = l.events + EXCLUDED.events,
    first_seen_at = LEAST(l.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(l.last_seen_at, EXCLUDED.last_seen_at);
RETURN NULL;
