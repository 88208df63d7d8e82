-- View:      recompute_support_live
-- Recomputes support_live from recompute_conversation: per channel, conversations created and
-- open (not resolved since the last reopen), and of those the never-assigned and the unanswered;
-- sla_pending from recompute_conversation_due: the conversations with at least one pending SLA
-- target row (all of them open, so their channels are among the open ones).
WITH live AS (
    SELECT workspace_id,
           COALESCE(channel_id, '') AS channel_id,
           count(*) AS open,
           count(*) FILTER (WHERE first_assigned_at IS NULL) AS unassigned,
           count(*) FILTER (WHERE first_response_at IS NULL) AS unanswered
    FROM recompute_conversation
    WHERE created_at IS NOT NULL AND status = 'open'
    GROUP BY 1, 2
),
pending AS (
    SELECT workspace_id, channel_id, count(DISTINCT conversation_id) AS sla_pending
    FROM recompute_conversation_due
    GROUP BY 1, 2
)
SELECT l.workspace_id, l.channel_id, l.open, l.unassigned, l.unanswered, COALESCE(p.sla_pending, 0) AS sla_pending
FROM live AS l
LEFT JOIN pending AS p USING (workspace_id, channel_id);
