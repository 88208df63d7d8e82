-- View:      support_live_totals (plain view, computed when read)
-- Reads:     support_live.
-- Grain:     one row per workspace with conversations: open (created, not resolved since the
--            last reopen), unassigned (open, never assigned) and unanswered (open, no agent
--            reply yet), over all channels.
-- Freshness: real time, like support_live (kept by triggers in the ingest transaction).
SELECT workspace_id,
       sum(open)::bigint AS open,
       sum(unassigned)::bigint AS unassigned,
       sum(unanswered)::bigint AS unanswered
FROM support_live
GROUP BY workspace_id;
