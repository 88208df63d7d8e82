-- View:      event_daily (materialized; unique key workspace_id, day, name)
-- Reads:     event_hourly, and workspace for its timezone.
-- Grain:     workspace x local day x event name, over every channel and agent: events, and the
--            count/sum/min/max of `value` (average = value_sum / NULLIF(value_count, 0)).
--            Every name is here, conversation.* included; product events alone are
--            `WHERE name NOT LIKE 'conversation.%'`.
-- Day:       as support_daily: the workspace-local day in which each UTC hour starts
--            (approximate by 30/45 minutes in zones with a non-whole-hour offset).
-- Freshness: as of rollup_refresh.refreshed_at of 'event_daily'.
SELECT h.workspace_id,
       date_trunc('day', h.bucket AT TIME ZONE w.timezone)::date AS day,
       h.name,
       sum(h.events)::bigint AS events,
       sum(h.value_count)::bigint AS value_count,
       sum(h.value_sum) AS value_sum,
       min(h.value_min) AS value_min,
       max(h.value_max) AS value_max
FROM event_hourly AS h
JOIN workspace AS w ON w.id = h.workspace_id
GROUP BY 1, 2, 3;
