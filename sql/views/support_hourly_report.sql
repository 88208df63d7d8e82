-- View:      support_hourly_report (plain view, computed when read)
-- Reads:     support_hourly, workspace, channel and agent.
-- Grain:     workspace x UTC hour x channel x agent (the write slots of support_hourly summed);
--            with the workspace's slug, the hour in the workspace's timezone, the channel and
--            agent names, and the averages computed (NULL when the count is 0).
-- Freshness: real time, like support_hourly (kept by triggers in the ingest transaction).
WITH h AS (
    SELECT workspace_id, bucket, channel_id, agent_id,
           sum(conversations_created)::bigint AS conversations_created,
           sum(conversations_assigned)::bigint AS conversations_assigned,
           sum(agent_replies)::bigint AS agent_replies,
           sum(customer_replies)::bigint AS customer_replies,
           sum(resolutions)::bigint AS resolutions,
           sum(reopens)::bigint AS reopens,
           sum(first_response_count)::bigint AS first_response_count,
           sum(first_response_seconds) AS first_response_seconds,
           sum(resolution_count)::bigint AS resolution_count,
           sum(resolution_seconds) AS resolution_seconds
    FROM support_hourly
    GROUP BY workspace_id, bucket, channel_id, agent_id
)
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
FROM h
JOIN workspace AS w ON w.id = h.workspace_id
LEFT JOIN channel AS c ON c.workspace_id = h.workspace_id AND c.channel_id = h.channel_id
LEFT JOIN agent AS a ON a.workspace_id = h.workspace_id AND a.agent_id = h.agent_id;
