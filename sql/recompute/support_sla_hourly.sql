-- View:      recompute_support_sla_hourly
-- Recomputes support_sla_hourly from recompute_conversation: per workspace, hour, channel and
-- agent, the first responses (for the first responder) and current resolutions (for the
-- resolver) that fall in the hour, of conversations whose created_at is known and whose
-- sla_policy version in effect at created_at (the latest effective_from at or before it) sets that
-- target (`*_targeted`), and among them those whose time exceeds the target (`*_breaches`): the
-- calendar seconds from created_at (never negative), or with `*_business` the seconds inside the
-- business_schedule version in effect at created_at (sql/functions/tally_business_seconds.sql,
-- the function the trigger calls). Columns in the order of support_sla_hourly.
WITH measured AS (
    SELECT c.workspace_id, COALESCE(c.channel_id, '') AS channel_id,
           c.first_response_at, COALESCE(c.first_responder_id, '') AS first_responder_id,
           CASE WHEN c.status = 'resolved' THEN c.last_resolved_at END AS resolved_at,
           COALESCE(c.resolver_id, '') AS resolver_id,
           p.first_response_seconds AS first_response_target,
           p.resolution_seconds AS resolution_target,
           CASE WHEN c.first_response_at IS NULL OR p.first_response_seconds IS NULL THEN NULL
                WHEN p.first_response_business
                THEN tally_business_seconds(c.created_at, c.first_response_at, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays)
                ELSE GREATEST(0, EXTRACT(EPOCH FROM c.first_response_at - c.created_at)) END AS first_response_seconds,
           CASE WHEN c.status <> 'resolved' OR p.resolution_seconds IS NULL THEN NULL
                WHEN p.resolution_business
                THEN tally_business_seconds(c.created_at, c.last_resolved_at, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays)
                ELSE GREATEST(0, EXTRACT(EPOCH FROM c.last_resolved_at - c.created_at)) END AS resolution_seconds
    FROM recompute_conversation AS c
    LEFT JOIN LATERAL (
        SELECT p.first_response_seconds, p.first_response_business, p.resolution_seconds, p.resolution_business
        FROM sla_policy AS p
        WHERE p.workspace_id = c.workspace_id AND p.effective_from <= c.created_at
        ORDER BY p.effective_from DESC
        LIMIT 1
    ) AS p ON true
    LEFT JOIN LATERAL (
        SELECT s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays
        FROM business_schedule AS s
        WHERE s.workspace_id = c.workspace_id AND s.effective_from <= c.created_at
        ORDER BY s.effective_from DESC
        LIMIT 1
    ) AS s ON true
    WHERE c.created_at IS NOT NULL
),
-- Columns named by the first branch, not by a list after the CTE's name: Citus inlines the CTE
-- without that list when a ranged rebuild writes this view into a distributed table.
outcomes AS (
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC') AS bucket, channel_id, first_responder_id AS agent_id,
           1 AS first_response_targeted, (first_response_seconds > first_response_target)::int AS first_response_breaches,
           0 AS resolution_targeted, 0 AS resolution_breaches
    FROM measured
    WHERE first_response_seconds IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), channel_id, resolver_id,
           0, 0, 1, (resolution_seconds > resolution_target)::int
    FROM measured
    WHERE resolution_seconds IS NOT NULL
)
SELECT workspace_id, bucket, channel_id, agent_id,
       sum(first_response_targeted)::bigint AS first_response_targeted,
       sum(first_response_breaches)::bigint AS first_response_breaches,
       sum(resolution_targeted)::bigint AS resolution_targeted,
       sum(resolution_breaches)::bigint AS resolution_breaches
FROM outcomes
GROUP BY 1, 2, 3, 4;
