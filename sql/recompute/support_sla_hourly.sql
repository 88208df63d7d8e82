-- View:      recompute_support_sla_hourly
-- Recomputes support_sla_hourly from recompute_conversation_measured: per workspace, hour, channel
-- and agent, the first responses (for the first responder) and current resolutions (for the
-- resolver) that fall in the hour, of conversations whose created_at is known and whose
-- sla_policy version in effect at created_at sets that target (`*_targeted`), and among them those
-- whose time exceeds the target (`*_breaches`): the calendar seconds from created_at, or with
-- `*_business` the seconds inside the business_schedule version in effect at created_at (the
-- breach columns of recompute_conversation_measured). Columns in the order of support_sla_hourly.
-- Columns named by the first branch, not by a list after the CTE's name: Citus inlines the CTE
-- without that list when a ranged rebuild writes this view into a distributed table.
WITH outcomes AS (
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC') AS bucket, channel_id, first_responder_id AS agent_id,
           1 AS first_response_targeted, first_response_breach AS first_response_breaches,
           0 AS resolution_targeted, 0 AS resolution_breaches
    FROM recompute_conversation_measured
    WHERE first_response_breach IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), channel_id, resolver_id,
           0, 0, 1, resolution_breach
    FROM recompute_conversation_measured
    WHERE resolution_breach IS NOT NULL
)
SELECT workspace_id, bucket, channel_id, agent_id,
       sum(first_response_targeted)::bigint AS first_response_targeted,
       sum(first_response_breaches)::bigint AS first_response_breaches,
       sum(resolution_targeted)::bigint AS resolution_targeted,
       sum(resolution_breaches)::bigint AS resolution_breaches
FROM outcomes
GROUP BY 1, 2, 3, 4;
