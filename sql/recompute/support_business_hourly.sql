-- View:      recompute_support_business_hourly
-- Recomputes support_business_hourly from recompute_conversation_measured: per workspace, hour,
-- channel and agent, the first responses (for the first responder) and current resolutions (for
-- the resolver) that fall in the hour, of conversations whose created_at is known, each measured
-- as the seconds of [created_at, first response or resolution) inside the open hours of the
-- business_schedule version in effect at created_at (calendar seconds without one); count,
-- seconds and each duration's bin as one array whose element i counts the i-th bin (starting at
-- 0s, 1m, 5m, 15m, 30m, 1h, 2h, 4h, 8h, 1d, 3d). Columns in the order of support_business_hourly.
-- Columns named by the first branch, not by a list after the CTE's name: Citus inlines the CTE
-- without that list when a ranged rebuild writes this view into a distributed table.
WITH figures AS (
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC') AS bucket, channel_id, first_responder_id AS agent_id,
           'first_response' AS metric, business_first_response_seconds AS seconds
    FROM recompute_conversation_measured
    WHERE first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), channel_id, resolver_id, 'resolution',
           business_resolution_seconds
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
SELECT workspace_id, bucket, channel_id, agent_id,
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
       ] AS resolution_bins
FROM binned
GROUP BY 1, 2, 3, 4;
