-- View:      recompute_support_live
-- Recomputes support_live from recompute_conversation: per channel, conversations created and
-- open (not resolved since the last reopen), and of those the never-assigned and the unanswered.
SELECT workspace_id,
       COALESCE(channel_id, '') AS channel_id,
       count(*) AS open,
       count(*) FILTER (WHERE first_assigned_at IS NULL) AS unassigned,
       count(*) FILTER (WHERE first_response_at IS NULL) AS unanswered
FROM recompute_conversation
WHERE created_at IS NOT NULL AND status = 'open'
GROUP BY 1, 2;
