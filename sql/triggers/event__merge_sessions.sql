-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that carry a session_id.
-- Keeps:     session = sql/recompute/session.sql: per session, the first and last occurred_at, the
--            number of events, and the user of its first event that carries a user_id (least
--            occurred_at, then event id). A min, a max, a sum and the value of the least event
--            merge the same in any arrival order, batching or retry (a retried event is not in
--            new_events), so the row is the session's events merged, like a conversation's.
-- Locking:   one upsert, the statement's sessions in key order. A session row is written only by
--            the events of that session (as a conversation row is), not by every transaction of
--            the workspace-hour, so it has no write slot: writers wait for each other only within
--            one session. Runs after the conversation merge (triggers/__init__.py), the order in
--            which the erase trigger locks the same tables.
-- @when EXISTS (SELECT 1 FROM new_events WHERE session_id IS NOT NULL)
INSERT INTO session AS s (workspace_id, session_id, first_event_at, last_event_at, events, user_id, user_at, user_event_id)
SELECT workspace_id, session_id, min(occurred_at), max(occurred_at), count(*),
       (array_agg(user_id ORDER BY occurred_at, event_id) FILTER (WHERE user_id IS NOT NULL))[1],
       min(occurred_at) FILTER (WHERE user_id IS NOT NULL),
       (array_agg(event_id ORDER BY occurred_at, event_id) FILTER (WHERE user_id IS NOT NULL))[1]
FROM new_events
WHERE session_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, session_id) DO UPDATE SET
    first_event_at = LEAST(s.first_event_at, EXCLUDED.first_event_at),
    last_event_at = GREATEST(s.last_event_at, EXCLUDED.last_event_at),
    events = s.events + EXCLUDED.events,
    -- The user of the least (occurred_at, event_id) of the two, when the batch has one at all.
    user_id = CASE WHEN s.user_at IS NULL OR (EXCLUDED.user_at, EXCLUDED.user_event_id) < (s.user_at, s.user_event_id)
                   THEN COALESCE(EXCLUDED.user_id, s.user_id) ELSE s.user_id END,
    user_at = CASE WHEN s.user_at IS NULL OR (EXCLUDED.user_at, EXCLUDED.user_event_id) < (s.user_at, s.user_event_id)
                   THEN COALESCE(EXCLUDED.user_at, s.user_at) ELSE s.user_at END,
    user_event_id = CASE WHEN s.user_at IS NULL OR (EXCLUDED.user_at, EXCLUDED.user_event_id) < (s.user_at, s.user_event_id)
                         THEN COALESCE(EXCLUDED.user_event_id, s.user_event_id) ELSE s.user_event_id END;
RETURN NULL;
