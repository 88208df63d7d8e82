-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that name a customer.
-- Keeps:     customer_slot, whose slots merged (the view customer) = sql/recompute/customer.sql;
--            first/last seen are the min/max occurred_at. Each attribute (name, type, occupation) is merged
--            on its own: it
--            comes from the latest event (by occurred_at, then event_id) that carried it, so an
--            event without it leaves it alone and the row does not depend on arrival order.
--            Each slot row is the merge of the events written through its slot; merging is
--            associative, so the view customer merges the slots into the same row.
-- Locking:   one upsert, which locks the statement's customers in key order in this connection's
--            write slot (sql/functions/tally_write_slot.sql), so concurrent connections never
--            wait for each other's row of one customer; the attributes are merged in its
--            ON CONFLICT, against the row it holds.
-- @when EXISTS (SELECT 1 FROM new_events WHERE customer_id IS NOT NULL)
INSERT INTO customer_slot AS d
    (workspace_id, customer_id, slot, first_seen_at, last_seen_at,
     name, name_at, name_event_id,
     type, type_at, type_event_id,
     occupation, occupation_at, occupation_event_id)
SELECT workspace_id, customer_id, tally_write_slot(), min(occurred_at), max(occurred_at),
       (array_agg(customer_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1],
       max(occurred_at) FILTER (WHERE customer_name IS NOT NULL),
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1],
       (array_agg(customer_type ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1],
       max(occurred_at) FILTER (WHERE customer_type IS NOT NULL),
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1],
       (array_agg(customer_occupation ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_occupation IS NOT NULL))[1],
       max(occurred_at) FILTER (WHERE customer_occupation IS NOT NULL),
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_occupation IS NOT NULL))[1]
FROM new_events
WHERE customer_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, customer_id, slot) DO UPDATE SET
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
    type = CASE WHEN (EXCLUDED.type_at, EXCLUDED.type_event_id)
                  > (COALESCE(d.type_at, '-infinity'), COALESCE(d.type_event_id, ''))
        THEN EXCLUDED.type ELSE d.type END,
    type_at = CASE WHEN (EXCLUDED.type_at, EXCLUDED.type_event_id)
                  > (COALESCE(d.type_at, '-infinity'), COALESCE(d.type_event_id, ''))
        THEN EXCLUDED.type_at ELSE d.type_at END,
    type_event_id = CASE WHEN (EXCLUDED.type_at, EXCLUDED.type_event_id)
                  > (COALESCE(d.type_at, '-infinity'), COALESCE(d.type_event_id, ''))
        THEN EXCLUDED.type_event_id ELSE d.type_event_id END,
    occupation = CASE WHEN (EXCLUDED.occupation_at, EXCLUDED.occupation_event_id)
                  > (COALESCE(d.occupation_at, '-infinity'), COALESCE(d.occupation_event_id, ''))
        THEN EXCLUDED.occupation ELSE d.occupation END,
    occupation_at = CASE WHEN (EXCLUDED.occupation_at, EXCLUDED.occupation_event_id)
                  > (COALESCE(d.occupation_at, '-infinity'), COALESCE(d.occupation_event_id, ''))
        THEN EXCLUDED.occupation_at ELSE d.occupation_at END,
    occupation_event_id = CASE WHEN (EXCLUDED.occupation_at, EXCLUDED.occupation_event_id)
                  > (COALESCE(d.occupation_at, '-infinity'), COALESCE(d.occupation_event_id, ''))
        THEN EXCLUDED.occupation_event_id ELSE d.occupation_event_id END;
RETURN NULL;
