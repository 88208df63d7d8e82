-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that name a channel.
-- Keeps:     channel_slot, whose slots merged (the view channel) = sql/recompute/channel.sql;
--            one row per channel id and write slot; first/last seen are
--            the min/max occurred_at; the name comes from the latest event (by occurred_at,
--            then event_id) that carried one.
-- Locking:   as event__merge_agents.sql.
-- @when EXISTS (SELECT 1 FROM new_events WHERE channel_id IS NOT NULL)
INSERT INTO channel_slot AS d
    (workspace_id, channel_id, slot, first_seen_at, last_seen_at,
     name, name_at, name_event_id)
SELECT workspace_id, channel_id, tally_write_slot(), min(occurred_at), max(occurred_at),
       (array_agg(channel_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE channel_name IS NOT NULL))[1],
       max(occurred_at) FILTER (WHERE channel_name IS NOT NULL),
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE channel_name IS NOT NULL))[1]
FROM new_events
WHERE channel_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, channel_id, slot) DO UPDATE SET
    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at),
    -- Each attribute's (value, _at, _event_id) is the batch's when the batch's latest event
    -- carrying it is later than the stored one (a NULL _at: the batch has none, keep).
    name = CASE WHEN (EXCLUDED.name_at, EXCLUDED.name_event_id)
                  > (COALESCE(d.name_at, '-infinity'), COALESCE(d.name_event_id, ''))
        THEN EXCLUDED.name ELSE d.name END,
    name_at = CASE WHEN (EXCLUDED.name_at, EXCLUDED.name_event_id)
                  > (COALESCE(d.name_at, '-infinity'), COALESCE(d.name_event_id, ''))
        THEN EXCLUDED.name_at ELSE d.name_at END,
    name_event_id = CASE WHEN (EXCLUDED.name_at, EXCLUDED.name_event_id)
                  > (COALESCE(d.name_at, '-infinity'), COALESCE(d.name_event_id, ''))
        THEN EXCLUDED.name_event_id ELSE d.name_event_id END;
RETURN NULL;
