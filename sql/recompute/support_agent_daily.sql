-- View:      recompute_support_agent_daily
-- Recomputes support_agent_daily, which is not a summary of the raw events of its own but the
-- folded part of support_agent_hourly: per workspace, UTC day and agent, the sum of the day's
-- slot 0 rows (what `rollups compact` folded and rebuild wrote). support_agent_hourly itself is
-- compared with the raw events (recompute_support_agent_hourly), so a reader that adds these
-- days, the unfolded slots and the edge hours gets figures equal to the events.
SELECT workspace_id,
       date_trunc('day', bucket, 'UTC') AS bucket,
       agent_id,
       sum(conversations_created)::bigint AS conversations_created,
       sum(conversations_assigned)::bigint AS conversations_assigned,
       sum(agent_replies)::bigint AS agent_replies,
       sum(customer_replies)::bigint AS customer_replies,
       sum(resolutions)::bigint AS resolutions,
       sum(reopens)::bigint AS reopens,
       sum(first_response_count)::bigint AS first_response_count,
       sum(first_response_seconds) AS first_response_seconds,
       sum(resolution_count)::bigint AS resolution_count,
       sum(resolution_seconds) AS resolution_seconds,
       ARRAY[sum(first_response_bins[1]), sum(first_response_bins[2]), sum(first_response_bins[3]),
             sum(first_response_bins[4]), sum(first_response_bins[5]), sum(first_response_bins[6]),
             sum(first_response_bins[7]), sum(first_response_bins[8]), sum(first_response_bins[9]),
             sum(first_response_bins[10]), sum(first_response_bins[11])]::bigint[] AS first_response_bins,
       ARRAY[sum(resolution_bins[1]), sum(resolution_bins[2]), sum(resolution_bins[3]),
             sum(resolution_bins[4]), sum(resolution_bins[5]), sum(resolution_bins[6]),
             sum(resolution_bins[7]), sum(resolution_bins[8]), sum(resolution_bins[9]),
             sum(resolution_bins[10]), sum(resolution_bins[11])]::bigint[] AS resolution_bins,
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
FROM support_agent_hourly
WHERE slot = 0
GROUP BY workspace_id, date_trunc('day', bucket, 'UTC'), agent_id;
