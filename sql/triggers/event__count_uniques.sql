-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that carry a user_id or a session_id.
-- Keeps:     event_unique_hourly = sql/recompute/event_unique_hourly.sql: the set of users
--            (kind 'user', member = user_id) and of sessions (kind 'session', member =
--            session_id) seen per UTC hour, per event name and over every name (name ''). A set
--            has no figure to add to: each (hour, name, member) is a row, inserted once and never
--            updated, so arrival order, batching and retries cannot change it. Unique counts of
--            any day, week or month are count(DISTINCT member) over its hours, read exactly.
-- Locking:   one INSERT .. ON CONFLICT DO NOTHING, keys sorted. An existing row is neither
--            updated nor locked; a new one is written by the first statement that brings its
--            member in its hour (another statement bringing the same member and hour waits for
--            that one's commit). No row is shared by the writers of a workspace-hour, so there
--            is no write slot. Runs after the session merge (triggers/__init__.py), the order in
--            which the erase trigger locks the same tables.
-- @when EXISTS (SELECT 1 FROM new_events WHERE user_id IS NOT NULL OR session_id IS NOT NULL)
INSERT INTO event_unique_hourly (workspace_id, kind, name, bucket, member)
SELECT DISTINCT e.workspace_id, m.kind, n.name, date_trunc('hour', e.occurred_at, 'UTC'), m.member
FROM new_events AS e
CROSS JOIN LATERAL (VALUES ('user', e.user_id), ('session', e.session_id)) AS m (kind, member)
CROSS JOIN LATERAL (VALUES (e.name), ('')) AS n (name)
WHERE m.member IS NOT NULL
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (workspace_id, kind, name, bucket, member) DO NOTHING;
RETURN NULL;
