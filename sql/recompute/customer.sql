-- View:      recompute_customer
-- Recomputes customer from the raw event table: each attribute (name, type, occupation) from the
-- latest event (by occurred_at, then event_id) that carried it.
--
-- Retention (analytics/retention.py) keeps in customer_sealed each customer merged from the raw events
-- it dropped; the merge is associative, so the customer of all events = merge(sealed, retained
-- events), taken per attribute by the same rule (the latest carrying event wins).
WITH from_events AS (
    SELECT workspace_id,
           customer_id,
           (array_agg(customer_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name,
           max(occurred_at) FILTER (WHERE customer_name IS NOT NULL) AS name_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name_event_id,
           (array_agg(customer_type ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type,
           max(occurred_at) FILTER (WHERE customer_type IS NOT NULL) AS type_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type_event_id,
           (array_agg(customer_occupation ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_occupation IS NOT NULL))[1] AS occupation,
           max(occurred_at) FILTER (WHERE customer_occupation IS NOT NULL) AS occupation_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_occupation IS NOT NULL))[1] AS occupation_event_id,
           min(occurred_at) AS first_seen_at,
           max(occurred_at) AS last_seen_at
    FROM event
    WHERE customer_id IS NOT NULL
    GROUP BY 1, 2
),
parts AS (
    SELECT * FROM from_events
    UNION ALL
    SELECT workspace_id, customer_id, name, name_at, name_event_id, type, type_at, type_event_id,
           occupation, occupation_at, occupation_event_id, first_seen_at, last_seen_at
    FROM customer_sealed
)
SELECT workspace_id,
       customer_id,
       (array_agg(name ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1] AS name,
       max(name_at) AS name_at,
       (array_agg(name_event_id ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1] AS name_event_id,
       (array_agg(type ORDER BY type_at DESC NULLS LAST, type_event_id DESC NULLS LAST))[1] AS type,
       max(type_at) AS type_at,
       (array_agg(type_event_id ORDER BY type_at DESC NULLS LAST, type_event_id DESC NULLS LAST))[1] AS type_event_id,
       (array_agg(occupation ORDER BY occupation_at DESC NULLS LAST, occupation_event_id DESC NULLS LAST))[1] AS occupation,
       max(occupation_at) AS occupation_at,
       (array_agg(occupation_event_id ORDER BY occupation_at DESC NULLS LAST, occupation_event_id DESC NULLS LAST))[1] AS occupation_event_id,
       min(first_seen_at) AS first_seen_at,
       max(last_seen_at) AS last_seen_at
FROM parts
GROUP BY 1, 2;
