-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that name a customer.
-- Keeps:     customer_slot, whose slots merged (the view customer) = sql/recompute/customer.sql;
--            first/last seen are the min/max occurred_at. Each attribute (name, type) is merged on its own: it
--            comes from the latest event (by occurred_at, then event_id) that carried it, so an
--            event without it leaves it alone and the row does not depend on arrival order.
--            Each slot row is the merge of the events written through its slot; merging is
--            associative, so the view customer merges the slots into the same row.
-- Locking:   the upsert locks the statement's customers in key order, in this connection's write
--            slot (sql/functions/tally_write_slot.sql), so concurrent connections never wait
--            for each other's row of one customer; the attribute UPDATE then touches only rows
--            this transaction already holds.
INSERT INTO customer_slot AS d (workspace_id, customer_id, slot, first_seen_at, last_seen_at)
SELECT workspace_id, customer_id, tally_write_slot(), min(occurred_at), max(occurred_at)
FROM new_events
WHERE customer_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, customer_id, slot) DO UPDATE SET
    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);

WITH latest AS (
    -- Per attribute: the value, occurred_at and event_id of the batch's latest event carrying it.
    SELECT workspace_id,
           customer_id,
           (array_agg(customer_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name,
           max(occurred_at) FILTER (WHERE customer_name IS NOT NULL) AS name_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name_event_id,
           (array_agg(customer_type ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type,
           max(occurred_at) FILTER (WHERE customer_type IS NOT NULL) AS type_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type_event_id
    FROM new_events
    WHERE customer_id IS NOT NULL AND (customer_name IS NOT NULL OR customer_type IS NOT NULL)
    GROUP BY 1, 2
),
merged AS (
    -- takes_<attribute>: the batch's value is later than the stored one.
    SELECT l.*,
           l.name_at IS NOT NULL
               AND (d.name_at IS NULL OR (l.name_at, l.name_event_id) > (d.name_at, d.name_event_id)) AS takes_name,
           l.type_at IS NOT NULL
               AND (d.type_at IS NULL OR (l.type_at, l.type_event_id) > (d.type_at, d.type_event_id)) AS takes_type
    FROM latest AS l
    JOIN customer_slot AS d USING (workspace_id, customer_id)
    WHERE d.slot = tally_write_slot()
)
UPDATE customer_slot AS d SET
    name = CASE WHEN m.takes_name THEN m.name ELSE d.name END,
    name_at = CASE WHEN m.takes_name THEN m.name_at ELSE d.name_at END,
    name_event_id = CASE WHEN m.takes_name THEN m.name_event_id ELSE d.name_event_id END,
    type = CASE WHEN m.takes_type THEN m.type ELSE d.type END,
    type_at = CASE WHEN m.takes_type THEN m.type_at ELSE d.type_at END,
    type_event_id = CASE WHEN m.takes_type THEN m.type_event_id ELSE d.type_event_id END
FROM merged AS m
WHERE d.workspace_id = m.workspace_id
  AND d.customer_id = m.customer_id
  AND d.slot = tally_write_slot()
  AND (m.takes_name OR m.takes_type);
RETURN NULL;
