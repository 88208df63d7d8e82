-- View:      recompute_agent
-- Recomputes agent from the raw event table: each attribute (name, email) from the
-- latest event (by occurred_at, then event_id) that carried it.
SELECT workspace_id,
       agent_id,
       (array_agg(agent_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_name IS NOT NULL))[1] AS name,
       max(occurred_at) FILTER (WHERE agent_name IS NOT NULL) AS name_at,
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_name IS NOT NULL))[1] AS name_event_id,
       (array_agg(agent_email ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_email IS NOT NULL))[1] AS email,
       max(occurred_at) FILTER (WHERE agent_email IS NOT NULL) AS email_at,
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_email IS NOT NULL))[1] AS email_event_id,
       min(occurred_at) AS first_seen_at,
       max(occurred_at) AS last_seen_at
FROM event
WHERE agent_id IS NOT NULL
GROUP BY 1, 2;
