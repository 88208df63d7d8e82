-- View:      recompute_support_hourly
-- Recomputes support_hourly from the raw events: counting metrics count conversation.* events
-- in their hour, by their channel and agent; conversations_created, first response and
-- resolution are derived from recompute_conversation (created_at known; first response in the
-- hour of first_response_at by the first responder; resolution while resolved, in the hour of
-- last_resolved_at by the resolver; durations from created_at, never negative).
WITH event_counts AS (
    SELECT workspace_id,
           date_trunc('hour', occurred_at, 'UTC') AS bucket,
           COALESCE(channel_id, '') AS channel_id,
           COALESCE(agent_id, '') AS agent_id,
           count(*) FILTER (WHERE name = 'conversation.assigned') AS conversations_assigned,
           count(*) FILTER (WHERE name = 'conversation.agent_replied') AS agent_replies,
           count(*) FILTER (WHERE name = 'conversation.customer_replied') AS customer_replies,
           count(*) FILTER (WHERE name = 'conversation.resolved') AS resolutions,
           count(*) FILTER (WHERE name = 'conversation.reopened') AS reopens
    FROM event
    WHERE name LIKE 'conversation.%'
    GROUP BY 1, 2, 3, 4
),
created AS (
    SELECT workspace_id, date_trunc('hour', created_at, 'UTC') AS bucket, COALESCE(channel_id, '') AS channel_id,
           '' AS agent_id, count(*) AS conversations_created
    FROM recompute_conversation
    WHERE created_at IS NOT NULL
    GROUP BY 1, 2, 3, 4
),
first_responses AS (
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC') AS bucket, COALESCE(channel_id, '') AS channel_id,
           COALESCE(first_responder_id, '') AS agent_id,
           count(*) AS first_response_count,
           sum(GREATEST(0, EXTRACT(EPOCH FROM first_response_at - created_at))) AS first_response_seconds
    FROM recompute_conversation
    WHERE created_at IS NOT NULL AND first_response_at IS NOT NULL
    GROUP BY 1, 2, 3, 4
),
resolutions AS (
    SELECT workspace_id, date_trunc('hour', last_resolved_at, 'UTC') AS bucket, COALESCE(channel_id, '') AS channel_id,
           COALESCE(resolver_id, '') AS agent_id,
           count(*) AS resolution_count,
           sum(GREATEST(0, EXTRACT(EPOCH FROM last_resolved_at - created_at))) AS resolution_seconds
    FROM recompute_conversation
    WHERE created_at IS NOT NULL AND status = 'resolved'
    GROUP BY 1, 2, 3, 4
)
SELECT workspace_id, bucket, channel_id, agent_id,
       COALESCE(c.conversations_created, 0) AS conversations_created,
       COALESCE(e.conversations_assigned, 0) AS conversations_assigned,
       COALESCE(e.agent_replies, 0) AS agent_replies,
       COALESCE(e.customer_replies, 0) AS customer_replies,
       COALESCE(e.resolutions, 0) AS resolutions,
       COALESCE(e.reopens, 0) AS reopens,
       COALESCE(f.first_response_count, 0) AS first_response_count,
       COALESCE(f.first_response_seconds, 0) AS first_response_seconds,
       COALESCE(r.resolution_count, 0) AS resolution_count,
       COALESCE(r.resolution_seconds, 0) AS resolution_seconds
FROM event_counts AS e
FULL JOIN created AS c USING (workspace_id, bucket, channel_id, agent_id)
FULL JOIN first_responses AS f USING (workspace_id, bucket, channel_id, agent_id)
FULL JOIN resolutions AS r USING (workspace_id, bucket, channel_id, agent_id);
