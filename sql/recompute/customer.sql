-- View:      recompute_customer
-- Recomputes customer from the raw event table: each attribute (name, type) from the
-- latest event (by occurred_at, then event_id) that carried it.
SELECT workspace_id,
       customer_id,
       (array_agg(customer_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name,
       max(occurred_at) FILTER (WHERE customer_name IS NOT NULL) AS name_at,
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name_event_id,
       (array_agg(customer_type ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type,
       max(occurred_at) FILTER (WHERE customer_type IS NOT NULL) AS type_at,
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type_event_id,
       min(occurred_at) AS first_seen_at,
       max(occurred_at) AS last_seen_at
FROM event
WHERE customer_id IS NOT NULL
GROUP BY 1, 2;
