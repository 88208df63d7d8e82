-- View:      recompute_support_csat_hourly
-- Recomputes support_csat_hourly from recompute_conversation: each rated conversation counts
-- once, for the score of its latest rating, in that rating's hour, for the conversation's
-- channel, assignee and team ('' for none).
SELECT workspace_id,
       date_trunc('hour', rated_at, 'UTC') AS bucket,
       COALESCE(channel_id, '') AS channel_id,
       COALESCE(assignee_id, '') AS agent_id,
       COALESCE(team_id, '') AS team_id,
       count(*) FILTER (WHERE rating = 1) AS score_1,
       count(*) FILTER (WHERE rating = 2) AS score_2,
       count(*) FILTER (WHERE rating = 3) AS score_3,
       count(*) FILTER (WHERE rating = 4) AS score_4,
       count(*) FILTER (WHERE rating = 5) AS score_5
FROM recompute_conversation
WHERE rated_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
