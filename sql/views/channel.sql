-- View:      channel (plain view, computed when read)
-- Reads:     channel_slot.
-- Grain:     one row per channel of a workspace: its write slots merged. Each attribute
--            (name) is the one of the slot whose event carrying it is latest (by
--            occurred_at, then event_id); first/last seen are the min/max over the slots. This
--            is the same row every event of the channel merged at once would give
--            (= recompute_channel), since the merge is associative and commutative.
-- Freshness: real time (the slots are kept by triggers in the ingest transaction).
SELECT workspace_id,
       channel_id,
       (array_agg(name ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1] AS name,
       max(name_at) AS name_at,
       (array_agg(name_event_id ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1] AS name_event_id,
       min(first_seen_at) AS first_seen_at,
       max(last_seen_at) AS last_seen_at
FROM channel_slot
GROUP BY workspace_id, channel_id;
