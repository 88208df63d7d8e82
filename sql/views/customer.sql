-- View:      customer (plain view, computed when read)
-- Reads:     customer_slot.
-- Grain:     one row per customer of a workspace: its write slots merged. Each attribute
--            (name, type, occupation) is the one of the slot whose event carrying it is latest (by
--            occurred_at, then event_id); first/last seen are the min/max over the slots. This
--            is the same row every event of the customer merged at once would give
--            (= recompute_customer), since the merge is associative and commutative.
-- Freshness: real time (the slots are kept by triggers in the ingest transaction).
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
FROM customer_slot
GROUP BY workspace_id, customer_id;
