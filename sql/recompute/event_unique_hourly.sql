-- View:      recompute_event_unique_hourly
-- Recomputes event_unique_hourly from the raw events alone: each user_id and session_id per UTC
-- hour, per event name and over every name (name ''). Hours before the retention horizon are
-- sealed: verify and rebuild compare and write this view from the horizon on.
SELECT DISTINCT e.workspace_id,
       m.kind::varchar(7) AS kind,
       n.name::varchar(100) AS name,
       date_trunc('hour', e.occurred_at, 'UTC') AS bucket,
       m.member::varchar(128) AS member
FROM event AS e
CROSS JOIN LATERAL (VALUES ('user', e.user_id), ('session', e.session_id)) AS m (kind, member)
CROSS JOIN LATERAL (VALUES (e.name), ('')) AS n (name)
WHERE m.member IS NOT NULL;
