-- View:      recompute_customer
-- Recomputes customer from the raw event table: name and type of the latest event (by
-- occurred_at, then event_id) that carried either.
SELECT workspace_id,
       customer_id,
       (array_agg(customer_name ORDER BY occurred_at DESC, event_id DESC)
            FILTER (WHERE customer_name IS NOT NULL OR customer_type IS NOT NULL))[1] AS name,
       min(occurred_at) AS first_seen_at,
       max(occurred_at) AS last_seen_at,
       max(occurred_at) FILTER (WHERE customer_name IS NOT NULL OR customer_type IS NOT NULL) AS attributes_at,
       (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC)
            FILTER (WHERE customer_name IS NOT NULL OR customer_type IS NOT NULL))[1] AS attributes_event_id,
       (array_agg(customer_type ORDER BY occurred_at DESC, event_id DESC)
            FILTER (WHERE customer_name IS NOT NULL OR customer_type IS NOT NULL))[1] AS type
FROM event
WHERE customer_id IS NOT NULL
GROUP BY 1, 2;
