-- View:      recompute_support_agent_hourly
-- Recomputes support_agent_hourly: recompute_support_hourly summed over channels per workspace,
-- hour and agent, and recompute_support_duration_hourly summed likewise, each metric's bins as
-- one array whose element i counts the i-th bin (starting at 0s, 1m, 5m, 15m, 30m, 1h, 2h, 4h,
-- 8h, 1d, 3d). Columns in the order of support_agent_hourly.
WITH bins (bin_start_seconds, position) AS (
    SELECT * FROM unnest('{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) WITH ORDINALITY
),
counts AS (
    SELECT workspace_id, bucket, agent_id,
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
    FROM recompute_support_hourly
    GROUP BY 1, 2, 3
),
bin_counts AS (
    SELECT workspace_id, bucket, agent_id, metric, bin_start_seconds, sum(conversations)::bigint AS conversations
    FROM recompute_support_duration_hourly
    GROUP BY 1, 2, 3, 4, 5
),
histograms AS (
    SELECT k.workspace_id, k.bucket, k.agent_id,
           array_agg(COALESCE(f.conversations, 0) ORDER BY b.position) AS first_response_bins,
           array_agg(COALESCE(r.conversations, 0) ORDER BY b.position) AS resolution_bins
    FROM (SELECT DISTINCT workspace_id, bucket, agent_id FROM bin_counts) AS k
    CROSS JOIN bins AS b
    LEFT JOIN bin_counts AS f
           ON (f.workspace_id, f.bucket, f.agent_id, f.metric, f.bin_start_seconds)
            = (k.workspace_id, k.bucket, k.agent_id, 'first_response', b.bin_start_seconds)
    LEFT JOIN bin_counts AS r
           ON (r.workspace_id, r.bucket, r.agent_id, r.metric, r.bin_start_seconds)
            = (k.workspace_id, k.bucket, k.agent_id, 'resolution', b.bin_start_seconds)
    GROUP BY 1, 2, 3
)
SELECT workspace_id, bucket, agent_id,
       COALESCE(c.conversations_created, 0) AS conversations_created,
       COALESCE(c.conversations_assigned, 0) AS conversations_assigned,
       COALESCE(c.agent_replies, 0) AS agent_replies,
       COALESCE(c.customer_replies, 0) AS customer_replies,
       COALESCE(c.resolutions, 0) AS resolutions,
       COALESCE(c.reopens, 0) AS reopens,
       COALESCE(c.first_response_count, 0) AS first_response_count,
       COALESCE(c.first_response_seconds, 0) AS first_response_seconds,
       COALESCE(c.resolution_count, 0) AS resolution_count,
       COALESCE(c.resolution_seconds, 0) AS resolution_seconds,
       COALESCE(h.first_response_bins, array_fill(0::bigint, ARRAY[11])) AS first_response_bins,
       COALESCE(h.resolution_bins, array_fill(0::bigint, ARRAY[11])) AS resolution_bins
FROM counts AS c
FULL JOIN histograms AS h USING (workspace_id, bucket, agent_id);
