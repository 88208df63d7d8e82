-- View:      recompute_support_duration_hourly
-- Recomputes support_duration_hourly from recompute_conversation: each first response and
-- each current resolution falls in one bin; bins start at 0s, 1m, 5m, 15m, 30m, 1h, 2h, 4h,
-- 8h, 1d and 3d.
WITH durations AS (
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC') AS bucket, COALESCE(channel_id, '') AS channel_id,
           COALESCE(first_responder_id, '') AS agent_id, 'first_response' AS metric,
           EXTRACT(EPOCH FROM first_response_at - created_at) AS seconds
    FROM recompute_conversation
    WHERE created_at IS NOT NULL AND first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', last_resolved_at, 'UTC'), COALESCE(channel_id, ''),
           COALESCE(resolver_id, ''), 'resolution',
           EXTRACT(EPOCH FROM last_resolved_at - created_at)
    FROM recompute_conversation
    WHERE created_at IS NOT NULL AND status = 'resolved'
)
SELECT workspace_id, bucket, channel_id, agent_id, metric::varchar(16) AS metric,
       CASE
           WHEN seconds < 60 THEN 0
           WHEN seconds < 300 THEN 60
           WHEN seconds < 900 THEN 300
           WHEN seconds < 1800 THEN 900
           WHEN seconds < 3600 THEN 1800
           WHEN seconds < 7200 THEN 3600
           WHEN seconds < 14400 THEN 7200
           WHEN seconds < 28800 THEN 14400
           WHEN seconds < 86400 THEN 28800
           WHEN seconds < 259200 THEN 86400
           ELSE 259200
       END AS bin_start_seconds,
       count(*) AS conversations
FROM durations
GROUP BY 1, 2, 3, 4, 5, 6;
