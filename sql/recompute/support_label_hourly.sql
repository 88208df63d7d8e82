-- View:      recompute_support_label_hourly
-- Recomputes support_label_hourly from recompute_conversation (and, for business time and SLA
-- outcomes, recompute_conversation_measured): per workspace, hour and label,
-- every conversation counted under each label it has now (labels; a conversation without labels
-- counts under none): the conversations created in that hour, the first responses and current
-- resolutions that fall in it (created_at known; count, seconds from created_at, never negative,
-- and each duration's bin as one array whose element i counts the i-th bin, starting at 0s, 1m,
-- 5m, 15m, 30m, 1h, 2h, 4h, 8h, 1d, 3d), and the rated conversations by the score of their latest
-- rating, in its hour. Columns in the order of support_label_hourly. The same two durations in
-- business time and their SLA outcomes, as recompute_support_team_hourly reads them.
WITH conversations AS (
    SELECT c.workspace_id, l.label, c.created_at, c.first_response_at, c.rated_at, c.rating,
           CASE WHEN c.status = 'resolved' THEN c.last_resolved_at END AS resolved_at,
           GREATEST(0, EXTRACT(EPOCH FROM c.first_response_at - c.created_at)) AS first_response_seconds,
           GREATEST(0, EXTRACT(EPOCH FROM c.last_resolved_at - c.created_at)) AS resolution_seconds
    FROM recompute_conversation AS c
    CROSS JOIN unnest(c.labels) AS l (label)
),
measured AS (
    SELECT m.workspace_id, l.label, m.first_response_at, m.resolved_at, m.business_first_response_seconds,
           m.business_resolution_seconds, m.first_response_breach, m.resolution_breach
    FROM recompute_conversation_measured AS m
    CROSS JOIN unnest(m.labels) AS l (label)
),
-- Columns named by the first branch, not by a list after the CTE's name: Citus inlines the CTE
-- without that list when a ranged rebuild writes this view into a distributed table.
figures AS (
    SELECT workspace_id, date_trunc('hour', created_at, 'UTC') AS bucket, label, 1 AS created, NULL AS metric,
           NULL::numeric AS seconds, NULL::smallint AS rating, NULL::int AS breach
    FROM conversations
    WHERE created_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), label, 0, 'first_response',
           first_response_seconds, NULL, NULL
    FROM conversations
    WHERE created_at IS NOT NULL AND first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), label, 0, 'resolution', resolution_seconds, NULL, NULL
    FROM conversations
    WHERE created_at IS NOT NULL AND resolved_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', rated_at, 'UTC'), label, 0, 'rating', NULL, rating, NULL
    FROM conversations
    WHERE rated_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), label, 0, 'business_first_response',
           business_first_response_seconds, NULL, first_response_breach
    FROM measured
    WHERE first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), label, 0, 'business_resolution',
           business_resolution_seconds, NULL, resolution_breach
    FROM measured
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
SELECT workspace_id, bucket, label::varchar(64) AS label,
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
       count(*) FILTER (WHERE metric = 'rating' AND rating = 1) AS score_1,
       count(*) FILTER (WHERE metric = 'rating' AND rating = 2) AS score_2,
       count(*) FILTER (WHERE metric = 'rating' AND rating = 3) AS score_3,
       count(*) FILTER (WHERE metric = 'rating' AND rating = 4) AS score_4,
       count(*) FILTER (WHERE metric = 'rating' AND rating = 5) AS score_5,
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
