-- View:      recompute_support_team_hourly
-- Recomputes support_team_hourly from recompute_conversation_measured: per workspace, hour and team (the
-- team of the conversation's latest assignment, '' for none), the conversations created in that
-- hour, the first responses and current resolutions that fall in it (created_at known; count,
-- seconds from created_at, never negative), and each duration's bin as one array whose element i
-- counts the i-th bin (starting at 0s, 1m, 5m, 15m, 30m, 1h, 2h, 4h, 8h, 1d, 3d). Columns in the
-- order of support_team_hourly. The same two durations measured in business time, and their SLA
-- outcomes: held to a target of the sla_policy version in effect at created_at (`*_targeted`) and
-- over it (`*_breaches`), measured in calendar or business time as the policy says.
-- Columns named by the first branch, not by a list after the CTE's name: Citus inlines the CTE
-- without that list when a ranged rebuild writes this view into a distributed table.
WITH figures AS (
    SELECT workspace_id, date_trunc('hour', created_at, 'UTC') AS bucket, team_id, 1 AS created, NULL AS metric,
           NULL::numeric AS seconds, NULL::int AS breach
    FROM recompute_conversation_measured
    UNION ALL
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), team_id, 0, 'first_response', first_response_seconds,
           NULL
    FROM recompute_conversation_measured
    WHERE first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), team_id, 0, 'resolution', resolution_seconds, NULL
    FROM recompute_conversation_measured
    WHERE resolved_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), team_id, 0, 'business_first_response',
           business_first_response_seconds, first_response_breach
    FROM recompute_conversation_measured
    WHERE first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), team_id, 0, 'business_resolution',
           business_resolution_seconds, resolution_breach
    FROM recompute_conversation_measured
    WHERE resolved_at IS NOT NULL
),
binned AS (
    SELECT f.*, b.position
    FROM figures AS f
    LEFT JOIN LATERAL (
        SELECT max(o.position) AS position
        FROM unnest('{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) WITH ORDINALITY AS o (lo, position)
        WHERE o.lo <= f.seconds
    ) AS b ON true
)
SELECT workspace_id, bucket, team_id,
       sum(created)::bigint AS conversations_created,
       count(*) FILTER (WHERE metric = 'first_response') AS first_response_count,
       COALESCE(sum(seconds) FILTER (WHERE metric = 'first_response'), 0) AS first_response_seconds,
       count(*) FILTER (WHERE metric = 'resolution') AS resolution_count,
       COALESCE(sum(seconds) FILTER (WHERE metric = 'resolution'), 0) AS resolution_seconds,
       ARRAY[
           count(*) FILTER (WHERE metric = 'first_response' AND position = 1),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 2),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 3),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 4),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 5),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 6),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 7),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 8),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 9),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 10),
           count(*) FILTER (WHERE metric = 'first_response' AND position = 11)
       ] AS first_response_bins,
       ARRAY[
           count(*) FILTER (WHERE metric = 'resolution' AND position = 1),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 2),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 3),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 4),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 5),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 6),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 7),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 8),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 9),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 10),
           count(*) FILTER (WHERE metric = 'resolution' AND position = 11)
       ] AS resolution_bins,
       count(*) FILTER (WHERE metric = 'business_first_response') AS business_first_response_count,
       COALESCE(sum(seconds) FILTER (WHERE metric = 'business_first_response'), 0) AS business_first_response_seconds,
       count(*) FILTER (WHERE metric = 'business_resolution') AS business_resolution_count,
       COALESCE(sum(seconds) FILTER (WHERE metric = 'business_resolution'), 0) AS business_resolution_seconds,
       ARRAY[
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 1),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 2),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 3),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 4),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 5),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 6),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 7),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 8),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 9),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 10),
           count(*) FILTER (WHERE metric = 'business_first_response' AND position = 11)
       ] AS business_first_response_bins,
       ARRAY[
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 1),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 2),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 3),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 4),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 5),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 6),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 7),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 8),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 9),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 10),
           count(*) FILTER (WHERE metric = 'business_resolution' AND position = 11)
       ] AS business_resolution_bins,
       count(*) FILTER (WHERE metric = 'business_first_response' AND breach IS NOT NULL) AS first_response_targeted,
       COALESCE(sum(breach) FILTER (WHERE metric = 'business_first_response'), 0)::bigint AS first_response_breaches,
       count(*) FILTER (WHERE metric = 'business_resolution' AND breach IS NOT NULL) AS resolution_targeted,
       COALESCE(sum(breach) FILTER (WHERE metric = 'business_resolution'), 0)::bigint AS resolution_breaches
FROM binned
GROUP BY 1, 2, 3;
