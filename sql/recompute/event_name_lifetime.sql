-- View:      recompute_event_name_lifetime
-- Recomputes event_name_lifetime from event_name_hourly: every hour of the name, the sealed
-- ones before the retention horizon included (their raw events are gone, their hourly rows are
-- the record), write slots merged. event_name_hourly itself is compared with the raw events by
-- recompute_event_name_hourly, so the chain reaches the raw events for every retained hour.
SELECT workspace_id,
       name,
       sum(events)::bigint AS events,
       min(first_seen_at) AS first_seen_at,
       max(last_seen_at) AS last_seen_at
FROM event_name_hourly
GROUP BY 1, 2;
