-- View:      recompute_channel
-- Recomputes channel from the raw event table: each attribute (name) from the
-- latest event (by occurred_at, then event_id) that carried it.
SELECT workspace_id,
       channel_id,
       (array_agg(channel_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE channel_name IS NOT NULL))[1] AS name,
       max(occurred_at) FILTER (WHERE channel_name IS NOT NULL) AS name_at,
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE channel_name IS NOT NULL))[1] AS name_event_id,
       min(occurred_at) AS first_seen_at,
       max(occurred_at) AS last_seen_at
FROM event
WHERE channel_id IS NOT NULL
GROUP BY 1, 2;
