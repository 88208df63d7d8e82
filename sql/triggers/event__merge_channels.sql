-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that name a channel.
-- Keeps:     channel_slot, whose slots merged (the view channel) = sql/recompute/channel.sql;
--            one row per channel id and write slot; first/last seen are
--            the min/max occurred_at; the name comes from the latest event (by occurred_at,
--            then event_id) that carried one.
-- Locking:   as event__merge_agents.sql.
INSERT INTO channel_slot AS d (workspace_id, channel_id, slot, first_seen_at, last_seen_at)
SELECT workspace_id, channel_id, tally_write_slot(), min(occurred_at), max(occurred_at)
FROM new_events
WHERE channel_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, channel_id, slot) DO UPDATE SET
    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);

UPDATE channel_slot AS d
SET name = latest.channel_name,
    name_at = latest.occurred_at,
    name_event_id = latest.event_id
FROM (
    SELECT DISTINCT ON (workspace_id, channel_id) workspace_id, channel_id, channel_name, occurred_at, event_id
    FROM new_events
    WHERE channel_id IS NOT NULL AND channel_name IS NOT NULL
    ORDER BY workspace_id, channel_id, occurred_at DESC, event_id DESC
) AS latest
WHERE d.workspace_id = latest.workspace_id
  AND d.channel_id = latest.channel_id
  AND d.slot = tally_write_slot()
  AND (d.name_at IS NULL
       OR (latest.occurred_at, latest.event_id) > (d.name_at, d.name_event_id));
RETURN NULL;
