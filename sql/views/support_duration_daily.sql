-- View:      support_duration_daily (materialized; unique key workspace_id, day, channel_id,
--            agent_id, metric, bin_start_seconds)
-- Reads:     support_duration_hourly, and workspace for its timezone.
-- Grain:     workspace x local day x channel x agent x metric ('first_response', 'resolution')
--            x histogram bin; conversations summed. Bins start at 0s, 1m, 5m, 15m, 30m, 1h, 2h,
--            4h, 8h, 1d and 3d, so the median and p90 of a day are read from the cumulative
--            count (see sql/README.md).
-- Day:       as support_daily: the workspace-local day in which each UTC hour starts
--            (approximate by 30/45 minutes in zones with a non-whole-hour offset).
-- Freshness: as of rollup_refresh.refreshed_at of 'support_duration_daily'.
SELECT h.workspace_id,
       date_trunc('day', h.bucket AT TIME ZONE w.timezone)::date AS day,
       h.channel_id,
       h.agent_id,
       h.metric,
       h.bin_start_seconds,
       sum(h.conversations)::bigint AS conversations
FROM support_duration_hourly AS h
JOIN workspace AS w ON w.id = h.workspace_id
GROUP BY 1, 2, 3, 4, 5, 6;
