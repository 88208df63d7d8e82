-- View:      agent_leaderboard_30d (materialized; unique key workspace_id, agent_id)
-- Reads:     support_hourly, and agent for the name.
-- Grain:     workspace x agent, over the 720 UTC hours (30 days) that end with the hour of the
--            refresh (window_start is the first of them): assignments, replies, resolutions,
--            first response and resolution count, seconds and average (NULL when the count
--            is 0). Rows without an agent ('') are left out.
-- Freshness: as of rollup_refresh.refreshed_at of 'agent_leaderboard_30d'; the window moves
--            with each refresh.
WITH bounds AS (
    SELECT date_trunc('hour', now(), 'UTC') - INTERVAL '719 hours' AS window_start
)
SELECT h.workspace_id,
       h.agent_id,
       a.name AS agent_name,
       sum(h.conversations_assigned)::bigint AS conversations_assigned,
       sum(h.agent_replies)::bigint AS agent_replies,
       sum(h.resolutions)::bigint AS resolutions,
       sum(h.first_response_count)::bigint AS first_response_count,
       sum(h.first_response_seconds) AS first_response_seconds,
       sum(h.first_response_seconds) / NULLIF(sum(h.first_response_count), 0) AS avg_first_response_seconds,
       sum(h.resolution_count)::bigint AS resolution_count,
       sum(h.resolution_seconds) AS resolution_seconds,
       sum(h.resolution_seconds) / NULLIF(sum(h.resolution_count), 0) AS avg_resolution_seconds,
       b.window_start
FROM support_hourly AS h
CROSS JOIN bounds AS b
LEFT JOIN agent AS a ON a.workspace_id = h.workspace_id AND a.agent_id = h.agent_id
WHERE h.bucket >= b.window_start
  AND h.agent_id <> ''
GROUP BY h.workspace_id, h.agent_id, a.name, b.window_start;
