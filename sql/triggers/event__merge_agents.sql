-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that name an agent.
-- Keeps:     agent_slot, whose slots merged (the view agent) = sql/recompute/agent.sql;
--            first/last seen are the min/max occurred_at. Each attribute (name, email) is merged on its own: it
--            comes from the latest event (by occurred_at, then event_id) that carried it, so an
--            event without it leaves it alone and the row does not depend on arrival order.
--            Each slot row is the merge of the events written through its slot; merging is
--            associative, so the view agent merges the slots into the same row.
-- Locking:   one upsert, which locks the statement's agents in key order in this connection's
--            write slot (sql/functions/tally_write_slot.sql), so concurrent connections never
--            wait for each other's row of one agent; the attributes are merged in its
--            ON CONFLICT, against the row it holds.
-- @when EXISTS (SELECT 1 FROM new_events WHERE agent_id IS NOT NULL)
INSERT INTO agent_slot AS d
    (workspace_id, agent_id, slot, first_seen_at, last_seen_at,
     name, name_at, name_event_id,
     email, email_at, email_event_id)
SELECT workspace_id, agent_id, tally_write_slot(), min(occurred_at), max(occurred_at),
       (array_agg(agent_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_name IS NOT NULL))[1],
       max(occurred_at) FILTER (WHERE agent_name IS NOT NULL),
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_name IS NOT NULL))[1],
       (array_agg(agent_email ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_email IS NOT NULL))[1],
       max(occurred_at) FILTER (WHERE agent_email IS NOT NULL),
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_email IS NOT NULL))[1]
FROM new_events
WHERE agent_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, agent_id, slot) DO UPDATE SET
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
        THEN EXCLUDED.name_event_id ELSE d.name_event_id END,
    email = CASE WHEN (EXCLUDED.email_at, EXCLUDED.email_event_id)
                  > (COALESCE(d.email_at, '-infinity'), COALESCE(d.email_event_id, ''))
        THEN EXCLUDED.email ELSE d.email END,
    email_at = CASE WHEN (EXCLUDED.email_at, EXCLUDED.email_event_id)
                  > (COALESCE(d.email_at, '-infinity'), COALESCE(d.email_event_id, ''))
        THEN EXCLUDED.email_at ELSE d.email_at END,
    email_event_id = CASE WHEN (EXCLUDED.email_at, EXCLUDED.email_event_id)
                  > (COALESCE(d.email_at, '-infinity'), COALESCE(d.email_event_id, ''))
        THEN EXCLUDED.email_event_id ELSE d.email_event_id END;
RETURN NULL;
