-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that name a customer.
-- Keeps:     customer = sql/recompute/customer.sql: one row per customer id; first/last seen
--            are the min/max occurred_at; name and type come from the latest event (by
--            occurred_at, then event_id) that carried them.
-- Locking:   as event__merge_agents.sql.
INSERT INTO customer AS d (workspace_id, customer_id, first_seen_at, last_seen_at)
SELECT workspace_id, customer_id, min(occurred_at), max(occurred_at)
FROM new_events
WHERE customer_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, customer_id) DO UPDATE SET
    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);

UPDATE customer AS d
SET name = latest.customer_name,
    type = latest.customer_type,
    attributes_at = latest.occurred_at,
    attributes_event_id = latest.event_id
FROM (
    SELECT DISTINCT ON (workspace_id, customer_id) workspace_id, customer_id, customer_name, customer_type, occurred_at, event_id
    FROM new_events
    WHERE customer_id IS NOT NULL AND (customer_name IS NOT NULL OR customer_type IS NOT NULL)
    ORDER BY workspace_id, customer_id, occurred_at DESC, event_id DESC
) AS latest
WHERE d.workspace_id = latest.workspace_id
  AND d.customer_id = latest.customer_id
  AND (d.attributes_at IS NULL
       OR (latest.occurred_at, latest.event_id) > (d.attributes_at, d.attributes_event_id));
RETURN NULL;
