-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that carry a session_id.
-- Keeps:     session = sql/recompute/session.sql: per session, the first and last occurred_at and
--            the number of events. A min, a max and a sum merge the same in any arrival order,
--            batching or retry (a retried event is not in new_events), so the row is the session's
--            events merged, like a conversation's.
-- Locking:   one upsert, the statement's sessions in key order. A session row is written only by
--            the events of that session (as a conversation row is), not by every transaction of
--            the workspace-hour, so it has no write slot: writers wait for each other only within
--            one session. Runs after the conversation merge (triggers/__init__.py), the order in
--            which the erase trigger locks the same tables.
-- @when EXISTS (SELECT 1 FROM new_events WHERE session_id IS NOT NULL)
INSERT INTO session AS s (workspace_id, session_id, first_event_at, last_event_at, events)
SELECT workspace_id, session_id, min(occurred_at), max(occurred_at), count(*)
FROM new_events
WHERE session_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, session_id) DO UPDATE SET
    first_event_at = LEAST(s.first_event_at, EXCLUDED.first_event_at),
    last_event_at = GREATEST(s.last_event_at, EXCLUDED.last_event_at),
    events = s.events + EXCLUDED.events;
RETURN NULL;
