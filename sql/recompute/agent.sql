-- View:      recompute_agent
-- Recomputes agent from the raw event table: name and email of the latest event (by
-- occurred_at, then event_id) that carried either.
SELECT workspace_id,
       agent_id,
       (array_agg(agent_name ORDER BY occurred_at DESC, event_id DESC)
            FILTER (WHERE agent_name IS NOT NULL OR agent_email IS NOT NULL))[1] AS name,
       min(occurred_at) AS first_seen_at,
       max(occurred_at) AS last_seen_at,
       max(occurred_at) FILTER (WHERE agent_name IS NOT NULL OR agent_email IS NOT NULL) AS attributes_at,
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC)
            FILTER (WHERE agent_name IS NOT NULL OR agent_email IS NOT NULL))[1] AS attributes_event_id,
       (array_agg(agent_email ORDER BY occurred_at DESC, event_id DESC)
            FILTER (WHERE agent_name IS NOT NULL OR agent_email IS NOT NULL))[1] AS email
FROM event
WHERE agent_id IS NOT NULL
GROUP BY 1, 2;
