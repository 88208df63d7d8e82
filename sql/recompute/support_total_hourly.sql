-- View:      recompute_support_total_hourly
-- Recomputes support_total_hourly: recompute_support_hourly summed over channels and agents,
-- and recompute_support_duration_hourly summed likewise, each metric's bins as one array whose
-- element i counts the i-th bin (starting at 0s, 1m, 5m, 15m, 30m, 1h, 2h, 4h, 8h, 1d, 3d).
-- Reply times and CSAT: recompute_support_reply_hourly and recompute_support_csat_hourly summed
-- to the same grain (the quality CTE).
WITH bins (bin_start_seconds, position) AS (
    SELECT * FROM unnest('{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) WITH ORDINALITY
),
counts AS (
    SELECT workspace_id, bucket,
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
    GROUP BY 1, 2
),
bin_counts AS (
    SELECT workspace_id, bucket, metric, bin_start_seconds, sum(conversations)::bigint AS conversations
    FROM recompute_support_duration_hourly
    GROUP BY 1, 2, 3, 4
),
histograms AS (
    SELECT k.workspace_id, k.bucket,
           array_agg(COALESCE(f.conversations, 0) ORDER BY b.position) AS first_response_bins,
           array_agg(COALESCE(r.conversations, 0) ORDER BY b.position) AS resolution_bins
    FROM (SELECT DISTINCT workspace_id, bucket FROM bin_counts) AS k
    CROSS JOIN bins AS b
    LEFT JOIN bin_counts AS f
           ON (f.workspace_id, f.bucket, f.metric, f.bin_start_seconds)
            = (k.workspace_id, k.bucket, 'first_response', b.bin_start_seconds)
    LEFT JOIN bin_counts AS r
           ON (r.workspace_id, r.bucket, r.metric, r.bin_start_seconds)
            = (k.workspace_id, k.bucket, 'resolution', b.bin_start_seconds)
    GROUP BY 1, 2
),
quality AS (
    -- Reply times (recompute_support_reply_hourly), CSAT (recompute_support_csat_hourly) and SLA
    -- outcomes (recompute_support_sla_hourly) summed to this grain.
    SELECT workspace_id, bucket,
           sum(reply_count)::bigint AS reply_count,
           sum(reply_seconds) AS reply_seconds,
           ARRAY[sum(reply_bins[1]), sum(reply_bins[2]), sum(reply_bins[3]), sum(reply_bins[4]),
                 sum(reply_bins[5]), sum(reply_bins[6]), sum(reply_bins[7]), sum(reply_bins[8]),
                 sum(reply_bins[9]), sum(reply_bins[10]), sum(reply_bins[11])]::bigint[] AS reply_bins,
           sum(score_1)::bigint AS score_1, sum(score_2)::bigint AS score_2, sum(score_3)::bigint AS score_3,
           sum(score_4)::bigint AS score_4, sum(score_5)::bigint AS score_5,
           sum(first_response_targeted)::bigint AS first_response_targeted,
           sum(first_response_breaches)::bigint AS first_response_breaches,
           sum(resolution_targeted)::bigint AS resolution_targeted,
           sum(resolution_breaches)::bigint AS resolution_breaches
    FROM (
        SELECT workspace_id, bucket, reply_count, reply_seconds, reply_bins,
               0 AS score_1, 0 AS score_2, 0 AS score_3, 0 AS score_4, 0 AS score_5,
               0 AS first_response_targeted, 0 AS first_response_breaches, 0 AS resolution_targeted,
               0 AS resolution_breaches
        FROM recompute_support_reply_hourly
        UNION ALL
        SELECT workspace_id, bucket, 0, 0, array_fill(0::bigint, ARRAY[11]),
               score_1, score_2, score_3, score_4, score_5, 0, 0, 0, 0
        FROM recompute_support_csat_hourly
        UNION ALL
        SELECT workspace_id, bucket, 0, 0, array_fill(0::bigint, ARRAY[11]), 0, 0, 0, 0, 0,
               first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches
        FROM recompute_support_sla_hourly
    ) AS q
    GROUP BY 1, 2
)
SELECT workspace_id, bucket,
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
       COALESCE(h.resolution_bins, array_fill(0::bigint, ARRAY[11])) AS resolution_bins,
       COALESCE(q.reply_count, 0) AS reply_count,
       COALESCE(q.reply_seconds, 0) AS reply_seconds,
       COALESCE(q.reply_bins, array_fill(0::bigint, ARRAY[11])) AS reply_bins,
       COALESCE(q.score_1, 0) AS score_1, COALESCE(q.score_2, 0) AS score_2, COALESCE(q.score_3, 0) AS score_3,
       COALESCE(q.score_4, 0) AS score_4, COALESCE(q.score_5, 0) AS score_5,
       COALESCE(q.first_response_targeted, 0) AS first_response_targeted,
       COALESCE(q.first_response_breaches, 0) AS first_response_breaches,
       COALESCE(q.resolution_targeted, 0) AS resolution_targeted,
       COALESCE(q.resolution_breaches, 0) AS resolution_breaches
FROM counts AS c
FULL JOIN histograms AS h USING (workspace_id, bucket)
FULL JOIN quality AS q USING (workspace_id, bucket);
