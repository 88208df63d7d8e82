-- View:      support_daily (materialized; unique key workspace_id, day, channel_id, agent_id)
-- Reads:     support_hourly, and workspace for its timezone. Never the raw event table.
-- Grain:     workspace x local day x channel x agent, every support_hourly column summed;
--            '' is "no channel" / "no agent", as in support_hourly. Averages at any grain are
--            first_response_seconds / NULLIF(first_response_count, 0), likewise resolution.
-- Day:       the calendar day, in the workspace's timezone, in which each UTC hour starts.
--            Buckets are whole UTC hours, so in a zone whose offset is not a whole number of
--            hours the day is approximate: for Asia/Kolkata (+05:30) a day runs from 00:30 to
--            00:30 local time (events of 00:00-00:30 count in the day before), for
--            Asia/Kathmandu (+05:45) from 00:45 to 00:45.
-- Freshness: as of rollup_refresh.refreshed_at of 'support_daily' (manage.py rollups refresh);
--            a workspace's new timezone also shows from the next refresh on.
SELECT h.workspace_id,
       date_trunc('day', h.bucket AT TIME ZONE w.timezone)::date AS day,
       h.channel_id,
       h.agent_id,
       sum(h.conversations_created)::bigint AS conversations_created,
       sum(h.conversations_assigned)::bigint AS conversations_assigned,
       sum(h.agent_replies)::bigint AS agent_replies,
       sum(h.customer_replies)::bigint AS customer_replies,
       sum(h.resolutions)::bigint AS resolutions,
       sum(h.reopens)::bigint AS reopens,
       sum(h.first_response_count)::bigint AS first_response_count,
       sum(h.first_response_seconds) AS first_response_seconds,
       sum(h.resolution_count)::bigint AS resolution_count,
       sum(h.resolution_seconds) AS resolution_seconds
FROM support_hourly AS h
JOIN workspace AS w ON w.id = h.workspace_id
GROUP BY 1, 2, 3, 4;
