-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that name an agent.
-- Keeps:     agent = sql/recompute/agent.sql: one row per agent id; first/last seen are the
--            min/max occurred_at; name and email come from the latest event (by occurred_at,
--            then event_id) that carried them, so the row does not depend on arrival order.
-- Locking:   the upsert locks the statement's agents in key order; the attribute UPDATE then
--            touches only rows this transaction already holds.
INSERT INTO agent AS d (workspace_id, agent_id, first_seen_at, last_seen_at)
SELECT workspace_id, agent_id, min(occurred_at), max(occurred_at)
FROM new_events
WHERE agent_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, agent_id) DO UPDATE SET
    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);

UPDATE agent AS d
SET name = latest.agent_name,
    email = latest.agent_email,
    attributes_at = latest.occurred_at,
    attributes_event_id = latest.event_id
FROM (
    SELECT DISTINCT ON (workspace_id, agent_id) workspace_id, agent_id, agent_name, agent_email, occurred_at, event_id
    FROM new_events
    WHERE agent_id IS NOT NULL AND (agent_name IS NOT NULL OR agent_email IS NOT NULL)
    ORDER BY workspace_id, agent_id, occurred_at DESC, event_id DESC
) AS latest
WHERE d.workspace_id = latest.workspace_id
  AND d.agent_id = latest.agent_id
  AND (d.attributes_at IS NULL
       OR (latest.occurred_at, latest.event_id) > (d.attributes_at, d.attributes_event_id));
RETURN NULL;
