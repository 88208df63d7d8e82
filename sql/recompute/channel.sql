-- View:      recompute_channel
-- Recomputes channel from the raw event table: each attribute (name) from the
-- latest event (by occurred_at, then event_id) that carried it.
--
-- Retention (analytics/retention.py) keeps in channel_sealed each channel merged from the raw events
-- it dropped; the merge is associative, so the channel of all events = merge(sealed, retained
-- events), taken per attribute by the same rule (the latest carrying event wins).
WITH from_events AS (
    SELECT workspace_id,
           channel_id,
           (array_agg(channel_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE channel_name IS NOT NULL))[1] AS name,
           max(occurred_at) FILTER (WHERE channel_name IS NOT NULL) AS name_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE channel_name IS NOT NULL))[1] AS name_event_id,
           min(occurred_at) AS first_seen_at,
           max(occurred_at) AS last_seen_at
    FROM event
    WHERE channel_id IS NOT NULL
    GROUP BY 1, 2
),
parts AS (
    SELECT * FROM from_events
    UNION ALL
    SELECT workspace_id, channel_id, name, name_at, name_event_id, first_seen_at, last_seen_at
    FROM channel_sealed
)
SELECT workspace_id,
       channel_id,
       (array_agg(name ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1] AS name,
       max(name_at) AS name_at,
       (array_agg(name_event_id ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1] AS name_event_id,
       min(first_seen_at) AS first_seen_at,
       max(last_seen_at) AS last_seen_at
FROM parts
GROUP BY 1, 2;
