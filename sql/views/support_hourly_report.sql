-- View:      support_hourly_report (plain view, computed when read)
-- Reads:     support_hourly, workspace, channel and agent.
-- Grain:     as support_hourly: workspace x UTC hour x channel x agent; with the workspace's
--            slug, the hour in the workspace's timezone, the channel and agent names, and the
--            averages computed (NULL when the count is 0).
-- Freshness: real time, like support_hourly (kept by triggers in the ingest transaction).
SELECT h.workspace_id,
       w.slug AS workspace_slug,
       h.bucket,
       h.bucket AT TIME ZONE w.timezone AS local_hour,
       h.channel_id,
       c.name AS channel_name,
       h.agent_id,
       a.name AS agent_name,
       h.conversations_created,
       h.conversations_assigned,
       h.agent_replies,
       h.customer_replies,
       h.resolutions,
       h.reopens,
       h.first_response_count,
       h.first_response_seconds,
       h.first_response_seconds / NULLIF(h.first_response_count, 0) AS avg_first_response_seconds,
       h.resolution_count,
       h.resolution_seconds,
       h.resolution_seconds / NULLIF(h.resolution_count, 0) AS avg_resolution_seconds
FROM support_hourly AS h
JOIN workspace AS w ON w.id = h.workspace_id
LEFT JOIN channel AS c ON c.workspace_id = h.workspace_id AND c.channel_id = h.channel_id
LEFT JOIN agent AS a ON a.workspace_id = h.workspace_id AND a.agent_id = h.agent_id;
