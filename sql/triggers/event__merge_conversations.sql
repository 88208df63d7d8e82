-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events named conversation.*, the conversation rows they touch,
--            business_schedule and sla_policy (the versions in effect at each changed row's
--            created_at), and the conversation_due rows of the changed conversations that had a
--            pending target.
-- Keeps:     conversation            = sql/recompute/conversation.sql
--            support_hourly          = sql/recompute/support_hourly.sql
--            support_duration_hourly = sql/recompute/support_duration_hourly.sql
--            support_live            = sql/recompute/support_live.sql
--            support_total_hourly    = sql/recompute/support_total_hourly.sql
--            support_channel_hourly  = sql/recompute/support_channel_hourly.sql
--            support_agent_hourly    = sql/recompute/support_agent_hourly.sql
--            support_csat_hourly     = sql/recompute/support_csat_hourly.sql
--            support_reply_hourly    = sql/recompute/support_reply_hourly.sql
--            support_team_hourly     = sql/recompute/support_team_hourly.sql
--            conversation_label      = sql/recompute/conversation_label.sql
--            support_label_hourly    = sql/recompute/support_label_hourly.sql
--            support_business_hourly = sql/recompute/support_business_hourly.sql
--            support_sla_hourly      = sql/recompute/support_sla_hourly.sql
--            conversation_due        = sql/recompute/conversation_due.sql
--
-- How: each conversation row is a merge of its events in which every column is a min, a max,
-- or the value of the least/greatest event by (occurred_at, event_id), so merging the batch
-- into the row gives the same row for any arrival order. Per-conversation metrics (created,
-- first response, resolution, live counters) are functions of that row: the statement
-- subtracts the contribution of each row before the merge and adds the one after it, so the
-- hourly metrics follow the row exactly. Counting metrics count the events themselves.
--
-- Why everything conversation-related is one trigger: support_hourly gets both the event
-- counts and the row deltas, and doing that in a single upsert per statement keeps one sorted
-- lock pass over support_hourly; two statements that each sort their own keys can deadlock
-- against another transaction doing the same.
--
-- Locking: (1) new conversations are inserted empty in key order (an empty row contributes
-- nothing); (2) all touched rows are locked in key order; (2b) with the rows held, the labels
-- of the statement's labeled/unlabeled events are merged into conversation_label (only writers
-- of the conversation write its rows, and they hold its row lock); (3) with the rows held, one
-- statement merges them and upserts each summary once, keys sorted, tables always in the same
-- order (support_reply_hourly, support_hourly, support_duration_hourly, support_csat_hourly,
-- support_total_hourly, support_channel_hourly, support_team_hourly, support_label_hourly,
-- support_business_hourly, support_sla_hourly, conversation_due, support_agent_hourly,
-- support_live). The same statement pairs the touched conversations' messages (reply times)
-- and adds them, with CSAT and the SLA outcomes, to the per-total, channel and agent rows. The
-- summaries are written in this connection's write slot (sql/functions/tally_write_slot.sql):
-- concurrent connections touch different rows of the same workspace-hour and channel, so only
-- writers of the same conversation wait for each other.
-- @when EXISTS (SELECT 1 FROM new_events WHERE name LIKE 'conversation.%')

INSERT INTO conversation (workspace_id, conversation_id)
SELECT DISTINCT workspace_id, conversation_id
FROM new_events
WHERE name LIKE 'conversation.%'
ORDER BY 1, 2
ON CONFLICT (workspace_id, conversation_id) DO NOTHING;

PERFORM 1
FROM conversation AS c
WHERE (c.workspace_id, c.conversation_id) IN (
    SELECT workspace_id, conversation_id FROM new_events WHERE name LIKE 'conversation.%'
)
ORDER BY c.workspace_id, c.conversation_id
FOR UPDATE;

-- Labels: per conversation and label, the latest of the statement's labeled/unlabeled events by
-- (occurred_at, event_id) replaces the row when it is later than the event that decided it.
-- Rows that are off stay, so an older event arriving later loses against them. The next
-- statement reads the rows that are on into conversation.labels.
INSERT INTO conversation_label AS l (workspace_id, conversation_id, label, labeled, decided_at, decided_event_id)
SELECT workspace_id, conversation_id, label, labeled, decided_at, decided_event_id
FROM (
    SELECT DISTINCT ON (workspace_id, conversation_id, properties ->> 'label')
           workspace_id, conversation_id, properties ->> 'label' AS label, name = 'conversation.labeled' AS labeled,
           occurred_at AS decided_at, event_id AS decided_event_id
    FROM new_events
    WHERE name IN ('conversation.labeled', 'conversation.unlabeled') AND properties ->> 'label' IS NOT NULL
    ORDER BY workspace_id, conversation_id, properties ->> 'label', occurred_at DESC, event_id DESC
) AS latest
ORDER BY 1, 2, 3
ON CONFLICT (workspace_id, conversation_id, label) DO UPDATE SET
    labeled = EXCLUDED.labeled,
    decided_at = EXCLUDED.decided_at,
    decided_event_id = EXCLUDED.decided_event_id
WHERE (EXCLUDED.decided_at, EXCLUDED.decided_event_id) > (l.decided_at, l.decided_event_id);

-- Lean form (triggers/shards.py): a statement whose conversation events are all messages that
-- move no conversation's channel (an earlier message than the event it was taken from, when the
-- conversation has no conversation.created yet) and no first response (an agent reply earlier
-- than the counted one, or the first) changes none of the columns the CSAT, business-hours, SLA,
-- team and label figures are functions of (channel, created_at, first response and responder,
-- resolution, status, assignee, team, labels, rating): each of their -1 and +1 would cancel out.
-- Such a statement runs without those spans (-- @full-only), so a single message, the most
-- common event of a desk, does not pay their executor start-up. The rows are locked above.
-- @lean-when NOT EXISTS (
-- @lean-when     SELECT 1
-- @lean-when     FROM new_events AS e
-- @lean-when     LEFT JOIN conversation AS c
-- @lean-when       ON c.workspace_id = e.workspace_id AND c.conversation_id = e.conversation_id
-- @lean-when     WHERE e.name LIKE 'conversation.%'
-- @lean-when       AND (e.name NOT IN ('conversation.customer_replied', 'conversation.agent_replied')
-- @lean-when            OR c.channel_at IS NULL
-- @lean-when            OR (1, e.occurred_at, e.event_id) < (c.channel_rank, c.channel_at, c.channel_event_id)
-- @lean-when            OR (e.name = 'conversation.agent_replied'
-- @lean-when                AND (c.first_response_at IS NULL
-- @lean-when                     OR (e.occurred_at, e.event_id) < (c.first_response_at, c.first_response_event_id))))
-- @lean-when )
WITH conversation_events AS (
    -- weight: what each event counts for in the support summaries (the erase trigger,
    -- event__erase.sql, includes the part below with its deleted events at -1).
    SELECT *, (name <> 'conversation.created')::int AS source_rank, 1 AS weight
    FROM new_events
    WHERE name LIKE 'conversation.%'
),
-- One GROUP BY pass: every column is a min/max, or the value of the least/greatest event by
-- (occurred_at, event_id) taken with array_agg(.. ORDER BY ..)[1]. (Separate DISTINCT ON
-- subqueries joined back were rescanned once per conversation: the planner cannot know the
-- size of a transition table.) The channel and customer come from conversation.created
-- (source_rank 0) and, until it arrives, from the earliest event.
batch AS (
    SELECT workspace_id,
           conversation_id,
           (array_agg(channel_id ORDER BY source_rank, occurred_at, event_id))[1] AS channel_id,
           min(source_rank) AS channel_rank,
           (array_agg(occurred_at ORDER BY source_rank, occurred_at, event_id))[1] AS channel_at,
           (array_agg(event_id ORDER BY source_rank, occurred_at, event_id))[1] AS channel_event_id,
           (array_agg(customer_id ORDER BY source_rank, occurred_at, event_id)
                FILTER (WHERE customer_id IS NOT NULL))[1] AS customer_id,
           min(source_rank) FILTER (WHERE customer_id IS NOT NULL) AS customer_rank,
           (array_agg(occurred_at ORDER BY source_rank, occurred_at, event_id)
                FILTER (WHERE customer_id IS NOT NULL))[1] AS customer_at,
           (array_agg(event_id ORDER BY source_rank, occurred_at, event_id)
                FILTER (WHERE customer_id IS NOT NULL))[1] AS customer_event_id,
           min(occurred_at) FILTER (WHERE name = 'conversation.created') AS created_at,
           min(occurred_at) FILTER (WHERE name = 'conversation.assigned') AS first_assigned_at,
           (array_agg(agent_id ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.assigned'))[1] AS assignee_id,
           max(occurred_at) FILTER (WHERE name = 'conversation.assigned') AS assigned_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.assigned'))[1] AS assigned_event_id,
           (array_agg(properties ->> 'team' ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.assigned'))[1] AS team_id,
           min(occurred_at) FILTER (WHERE name = 'conversation.agent_replied') AS first_response_at,
           (array_agg(agent_id ORDER BY occurred_at, event_id)
                FILTER (WHERE name = 'conversation.agent_replied'))[1] AS first_responder_id,
           (array_agg(event_id ORDER BY occurred_at, event_id)
                FILTER (WHERE name = 'conversation.agent_replied'))[1] AS first_response_event_id,
           min(occurred_at) FILTER (WHERE name = 'conversation.resolved') AS first_resolved_at,
           max(occurred_at) FILTER (WHERE name = 'conversation.resolved') AS resolved_at,
           (array_agg(agent_id ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.resolved'))[1] AS resolver_id,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.resolved'))[1] AS resolved_event_id,
           max(occurred_at) FILTER (WHERE name = 'conversation.reopened') AS last_reopened_at,
           (array_agg(value::smallint ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.rated'))[1] AS rating,
           max(occurred_at) FILTER (WHERE name = 'conversation.rated') AS rated_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.rated'))[1] AS rated_event_id,
           count(*) FILTER (WHERE name = 'conversation.agent_replied') AS agent_replies,
           count(*) FILTER (WHERE name = 'conversation.customer_replied') AS customer_replies,
           count(*) FILTER (WHERE name IN ('conversation.labeled', 'conversation.unlabeled')) AS label_events,
           max(occurred_at) AS last_event_at
    FROM conversation_events
    GROUP BY workspace_id, conversation_id
),
merged AS (
    SELECT b.*,
           c AS before_row,
           c.channel_at IS NULL
               OR (b.channel_rank, b.channel_at, b.channel_event_id)
                  < (c.channel_rank, c.channel_at, c.channel_event_id) AS takes_channel,
           b.customer_at IS NOT NULL
               AND (c.customer_at IS NULL
                    OR (b.customer_rank, b.customer_at, b.customer_event_id)
                       < (c.customer_rank, c.customer_at, c.customer_event_id)) AS takes_customer,
           b.assigned_at IS NOT NULL
               AND (c.assigned_at IS NULL
                    OR (b.assigned_at, b.assigned_event_id) > (c.assigned_at, c.assigned_event_id)) AS takes_assignee,
           b.first_response_at IS NOT NULL
               AND (c.first_response_at IS NULL
                    OR (b.first_response_at, b.first_response_event_id)
                       < (c.first_response_at, c.first_response_event_id)) AS takes_first_response,
           b.resolved_at IS NOT NULL
               AND (c.last_resolved_at IS NULL
                    OR (b.resolved_at, b.resolved_event_id) > (c.last_resolved_at, c.resolved_event_id)) AS takes_resolver,
           b.rated_at IS NOT NULL
               AND (c.rated_at IS NULL
                    OR (b.rated_at, b.rated_event_id) > (c.rated_at, c.rated_event_id)) AS takes_rating
    FROM batch AS b
    JOIN conversation AS c USING (workspace_id, conversation_id)
),
changed AS (
    UPDATE conversation AS c SET
        channel_id = CASE WHEN m.takes_channel THEN m.channel_id ELSE c.channel_id END,
        channel_rank = CASE WHEN m.takes_channel THEN m.channel_rank ELSE c.channel_rank END,
        channel_at = CASE WHEN m.takes_channel THEN m.channel_at ELSE c.channel_at END,
        channel_event_id = CASE WHEN m.takes_channel THEN m.channel_event_id ELSE c.channel_event_id END,
        customer_id = CASE WHEN m.takes_customer THEN m.customer_id ELSE c.customer_id END,
        customer_rank = CASE WHEN m.takes_customer THEN m.customer_rank ELSE c.customer_rank END,
        customer_at = CASE WHEN m.takes_customer THEN m.customer_at ELSE c.customer_at END,
        customer_event_id = CASE WHEN m.takes_customer THEN m.customer_event_id ELSE c.customer_event_id END,
        created_at = LEAST(c.created_at, m.created_at),
        first_assigned_at = LEAST(c.first_assigned_at, m.first_assigned_at),
        assignee_id = CASE WHEN m.takes_assignee THEN m.assignee_id ELSE c.assignee_id END,
        assigned_at = CASE WHEN m.takes_assignee THEN m.assigned_at ELSE c.assigned_at END,
        assigned_event_id = CASE WHEN m.takes_assignee THEN m.assigned_event_id ELSE c.assigned_event_id END,
        team_id = CASE WHEN m.takes_assignee THEN m.team_id ELSE c.team_id END,
        first_response_at = CASE WHEN m.takes_first_response THEN m.first_response_at ELSE c.first_response_at END,
        first_responder_id = CASE WHEN m.takes_first_response THEN m.first_responder_id ELSE c.first_responder_id END,
        first_response_event_id = CASE WHEN m.takes_first_response THEN m.first_response_event_id ELSE c.first_response_event_id END,
        first_resolved_at = LEAST(c.first_resolved_at, m.first_resolved_at),
        last_resolved_at = CASE WHEN m.takes_resolver THEN m.resolved_at ELSE c.last_resolved_at END,
        resolver_id = CASE WHEN m.takes_resolver THEN m.resolver_id ELSE c.resolver_id END,
        resolved_event_id = CASE WHEN m.takes_resolver THEN m.resolved_event_id ELSE c.resolved_event_id END,
        last_reopened_at = GREATEST(c.last_reopened_at, m.last_reopened_at),
        rating = CASE WHEN m.takes_rating THEN m.rating ELSE c.rating END,
        rated_at = CASE WHEN m.takes_rating THEN m.rated_at ELSE c.rated_at END,
        rated_event_id = CASE WHEN m.takes_rating THEN m.rated_event_id ELSE c.rated_event_id END,
        agent_replies = c.agent_replies + m.agent_replies,
        customer_replies = c.customer_replies + m.customer_replies,
        last_event_at = GREATEST(c.last_event_at, m.last_event_at),
        -- The labels that are on, as the statement before left conversation_label.
        labels = CASE WHEN m.label_events = 0 THEN c.labels ELSE COALESCE((
            SELECT array_agg(cl.label::text ORDER BY cl.label COLLATE "C")
            FROM conversation_label AS cl
            WHERE cl.workspace_id = c.workspace_id AND cl.conversation_id = c.conversation_id AND cl.labeled
        ), '{}') END
    FROM merged AS m
    WHERE c.workspace_id = m.workspace_id AND c.conversation_id = m.conversation_id
    RETURNING m.before_row, c AS after_row
),
-- Reply times. A customer message's wait ends at the next agent reply of its conversation, so an
-- event arriving late can change pairings made before: each conversation with a message in this
-- statement is paired twice from its raw messages (the partial index event_ws_conversation_idx
-- reads them), without this statement's events (sign -1, what earlier statements counted) and
-- with them (+1), and the difference is added. The conversation rows locked above serialize
-- writers of one conversation, and this statement's snapshot is taken after that lock, so it
-- sees every message committed before. Customer messages of retired history still waiting for a
-- reply come from conversation_sealed.
reply_touched AS (
    SELECT workspace_id, conversation_id, min(occurred_at) AS first_at
    FROM new_events
    WHERE name IN ('conversation.customer_replied', 'conversation.agent_replied')
    GROUP BY 1, 2
),
-- since: the latest agent reply already counted before this statement's first message of the
-- conversation. A message before it is answered at or before it whatever the statement adds, so
-- both versions pair only the messages from there on (typically the last few); with no such
-- reply, all of them, and the sealed ones still waiting. One backward index scan each.
reply_bounds AS (
    SELECT t.workspace_id, t.conversation_id, b.since
    FROM reply_touched AS t
    CROSS JOIN LATERAL (
        SELECT max(e.occurred_at) AS since
        FROM event AS e
        WHERE e.workspace_id = t.workspace_id AND e.conversation_id = t.conversation_id
          AND e.conversation_id IS NOT NULL AND e.name = 'conversation.agent_replied'
          AND e.occurred_at < t.first_at
          AND e.id NOT IN (SELECT id FROM new_events)
    ) AS b
),
reply_kept AS (
    SELECT k.*
    FROM reply_bounds AS t
    -- LATERAL ... OFFSET 0: one range scan of the conversation's index entries each. Without the
    -- OFFSET the subquery is flattened into a join, planned as a scan of the whole table (the
    -- planner cannot know how few conversations a statement has).
    CROSS JOIN LATERAL (
        SELECT e.workspace_id, e.conversation_id, e.name = 'conversation.agent_replied' AS from_agent,
               e.occurred_at, e.event_id, e.channel_id, e.agent_id
        FROM event AS e
        WHERE e.workspace_id = t.workspace_id AND e.conversation_id = t.conversation_id
          AND e.conversation_id IS NOT NULL
          AND e.name IN ('conversation.customer_replied', 'conversation.agent_replied')
          AND e.occurred_at >= COALESCE(t.since, '-infinity')
          AND e.id NOT IN (SELECT id FROM new_events)
        OFFSET 0
    ) AS k
    UNION ALL
    SELECT t.workspace_id, t.conversation_id, false, w.waiting_at, '', NULL, NULL
    FROM reply_bounds AS t
    CROSS JOIN LATERAL (
        SELECT s.waiting_customer_at
        FROM conversation_sealed AS s
        WHERE s.workspace_id = t.workspace_id AND s.conversation_id = t.conversation_id
        OFFSET 0
    ) AS s
    CROSS JOIN unnest(s.waiting_customer_at) AS w (waiting_at)
    WHERE t.since IS NULL
),
reply_streams AS (
    SELECT -1 AS sign, * FROM reply_kept
    UNION ALL
    SELECT 1, * FROM reply_kept
    UNION ALL
    SELECT 1, workspace_id, conversation_id, name = 'conversation.agent_replied', occurred_at, event_id, channel_id, agent_id
    FROM new_events
    WHERE name IN ('conversation.customer_replied', 'conversation.agent_replied')
),
-- @begin reply times: from reply_streams (sign, workspace_id, conversation_id, from_agent,
-- occurred_at, event_id, channel_id, agent_id: each version of each conversation's messages, -1
-- as counted before and +1 as it is now), the reply-time deltas, upserted into this
-- connection's write slot.
-- replies_up_to: the agent replies up to this message, in the order of the conversation
-- (occurred_at, a customer message before a reply at the same moment, then event id), so a
-- customer message is answered by reply number replies_up_to + 1.
reply_ordered AS (
    SELECT *,
           count(*) FILTER (WHERE from_agent) OVER (
               PARTITION BY sign, workspace_id, conversation_id COLLATE "C"
               ORDER BY occurred_at, from_agent, event_id
               ROWS UNBOUNDED PRECEDING
           ) AS replies_up_to
    FROM reply_streams
),
reply_pairs AS (
    SELECT m.sign, m.workspace_id, date_trunc('hour', a.occurred_at, 'UTC') AS bucket,
           COALESCE(a.channel_id, '') AS channel_id, COALESCE(a.agent_id, '') AS agent_id,
           EXTRACT(EPOCH FROM a.occurred_at - m.occurred_at) AS seconds
    FROM reply_ordered AS m
    -- The conversation compared in "C", the order the window above sorted it in: the join then
    -- keeps to each conversation's few messages. (With the database's collation PostgreSQL 17 and
    -- later merge-joined on sign and workspace only, every message against every message of the
    -- statement: 46,000 rows for 354 in a statement of 1000 events.) Equality is the same in both.
    JOIN reply_ordered AS a
      ON a.sign = m.sign AND a.workspace_id = m.workspace_id
     AND a.conversation_id COLLATE "C" = m.conversation_id COLLATE "C"
     AND a.from_agent AND a.replies_up_to = m.replies_up_to + 1
    WHERE NOT m.from_agent
),
reply_binned AS (
    SELECT p.*, width_bucket(p.seconds, '{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) AS position
    FROM reply_pairs AS p
),
reply_sums AS (
    SELECT workspace_id, bucket, channel_id, agent_id,
           sum(sign) AS reply_count,
           sum(sign * seconds) AS reply_seconds,
           ARRAY[
           COALESCE(sum(sign) FILTER (WHERE position = 1), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 2), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 3), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 4), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 5), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 6), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 7), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 8), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 9), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 10), 0),
           COALESCE(sum(sign) FILTER (WHERE position = 11), 0)
           ] AS reply_bins
    FROM reply_binned
    GROUP BY 1, 2, 3, 4
),
reply_upsert AS (
    INSERT INTO support_reply_hourly AS r (workspace_id, bucket, channel_id, agent_id, slot, reply_count, reply_seconds, reply_bins)
    SELECT workspace_id, bucket, channel_id, agent_id, tally_write_slot(), reply_count, reply_seconds, reply_bins
    FROM reply_sums
    WHERE reply_count <> 0 OR reply_seconds <> 0 OR 0 <> ANY (reply_bins)
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (workspace_id, bucket, channel_id, agent_id, slot) DO UPDATE SET
        reply_count = r.reply_count + EXCLUDED.reply_count,
        reply_seconds = r.reply_seconds + EXCLUDED.reply_seconds,
        reply_bins = tally_add_bins(r.reply_bins, EXCLUDED.reply_bins)
),
-- @end reply times
-- @begin support summaries: from the conversation rows changed (before_row, after_row) and the
-- events counted (conversation_events, each with its weight), every support summary's deltas,
-- upserted into this connection's write slot.
-- Each changed row once as it was (sign -1) and once as it is now (sign +1).
versions AS (
    SELECT -1 AS sign, (before_row).* FROM changed
    UNION ALL
    SELECT 1 AS sign, (after_row).* FROM changed
),
timed AS (
    SELECT v.sign, v.workspace_id, COALESCE(v.channel_id, '') AS channel_id, v.created_at,
           v.first_assigned_at, v.first_response_at, v.first_responder_id, v.last_resolved_at,
           v.resolver_id, v.status, COALESCE(v.team_id, '') AS team_id,
           GREATEST(0, EXTRACT(EPOCH FROM v.first_response_at - v.created_at)) AS first_response_seconds,
           GREATEST(0, EXTRACT(EPOCH FROM v.last_resolved_at - v.created_at)) AS resolution_seconds
    FROM versions AS v
    WHERE v.created_at IS NOT NULL
),
support_deltas (workspace_id, bucket, channel_id, agent_id,
                conversations_created, conversations_assigned, agent_replies, customer_replies,
                resolutions, reopens, first_response_count, first_response_seconds,
                resolution_count, resolution_seconds) AS (
    SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), COALESCE(channel_id, ''), COALESCE(agent_id, ''),
           0,
           weight * (name = 'conversation.assigned')::int,
           weight * (name = 'conversation.agent_replied')::int,
           weight * (name = 'conversation.customer_replied')::int,
           weight * (name = 'conversation.resolved')::int,
           weight * (name = 'conversation.reopened')::int,
           0, 0, 0, 0
    FROM conversation_events
    UNION ALL
    SELECT workspace_id, date_trunc('hour', created_at, 'UTC'), channel_id, '',
           sign, 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM timed
    UNION ALL
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), channel_id, COALESCE(first_responder_id, ''),
           0, 0, 0, 0, 0, 0, sign, sign * first_response_seconds, 0, 0
    FROM timed
    WHERE first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', last_resolved_at, 'UTC'), channel_id, COALESCE(resolver_id, ''),
           0, 0, 0, 0, 0, 0, 0, 0, sign, sign * resolution_seconds
    FROM timed
    WHERE status = 'resolved'
),
-- Net deltas per support_hourly row; rows whose deltas cancel out are left alone.
support_sums AS (
    SELECT workspace_id, bucket, channel_id, agent_id,
           sum(conversations_created) AS conversations_created,
           sum(conversations_assigned) AS conversations_assigned,
           sum(agent_replies) AS agent_replies,
           sum(customer_replies) AS customer_replies,
           sum(resolutions) AS resolutions,
           sum(reopens) AS reopens,
           sum(first_response_count) AS first_response_count,
           sum(first_response_seconds) AS first_response_seconds,
           sum(resolution_count) AS resolution_count,
           sum(resolution_seconds) AS resolution_seconds
    FROM support_deltas
    GROUP BY 1, 2, 3, 4
    HAVING sum(conversations_created) <> 0 OR sum(conversations_assigned) <> 0
        OR sum(agent_replies) <> 0 OR sum(customer_replies) <> 0
        OR sum(resolutions) <> 0 OR sum(reopens) <> 0
        OR sum(first_response_count) <> 0 OR sum(first_response_seconds) <> 0
        OR sum(resolution_count) <> 0 OR sum(resolution_seconds) <> 0
),
support_upsert AS (
    INSERT INTO support_hourly AS h
        (workspace_id, bucket, channel_id, agent_id, slot,
         conversations_created, conversations_assigned, agent_replies, customer_replies,
         resolutions, reopens, first_response_count, first_response_seconds,
         resolution_count, resolution_seconds)
    SELECT workspace_id, bucket, channel_id, agent_id, tally_write_slot(),
           conversations_created, conversations_assigned, agent_replies, customer_replies,
           resolutions, reopens, first_response_count, first_response_seconds,
           resolution_count, resolution_seconds
    FROM support_sums
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (workspace_id, bucket, channel_id, agent_id, slot) DO UPDATE SET
        conversations_created = h.conversations_created + EXCLUDED.conversations_created,
        conversations_assigned = h.conversations_assigned + EXCLUDED.conversations_assigned,
        agent_replies = h.agent_replies + EXCLUDED.agent_replies,
        customer_replies = h.customer_replies + EXCLUDED.customer_replies,
        resolutions = h.resolutions + EXCLUDED.resolutions,
        reopens = h.reopens + EXCLUDED.reopens,
        first_response_count = h.first_response_count + EXCLUDED.first_response_count,
        first_response_seconds = h.first_response_seconds + EXCLUDED.first_response_seconds,
        resolution_count = h.resolution_count + EXCLUDED.resolution_count,
        resolution_seconds = h.resolution_seconds + EXCLUDED.resolution_seconds
),
duration_deltas (workspace_id, bucket, channel_id, agent_id, metric, seconds, sign) AS (
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), channel_id,
           COALESCE(first_responder_id, ''), 'first_response', first_response_seconds, sign
    FROM timed
    WHERE first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', last_resolved_at, 'UTC'), channel_id,
           COALESCE(resolver_id, ''), 'resolution', resolution_seconds, sign
    FROM timed
    WHERE status = 'resolved'
),
-- position: 1-based index of the duration's bin in bins.starts.
binned AS (
    SELECT d.*, width_bucket(d.seconds, bins.starts) AS position, bins.starts
    FROM duration_deltas AS d
    CROSS JOIN (SELECT '{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[] AS starts) AS bins
),
duration_sums AS (
    SELECT workspace_id, bucket, channel_id, agent_id, metric, position, starts[position] AS bin_start_seconds,
           sum(sign) AS conversations
    FROM binned
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(sign) <> 0
),
duration_upsert AS (
    INSERT INTO support_duration_hourly AS h
        (workspace_id, bucket, channel_id, agent_id, metric, bin_start_seconds, slot, conversations)
    SELECT workspace_id, bucket, channel_id, agent_id, metric, bin_start_seconds, tally_write_slot(), conversations
    FROM duration_sums
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (workspace_id, bucket, channel_id, agent_id, metric, bin_start_seconds, slot) DO UPDATE SET
        conversations = h.conversations + EXCLUDED.conversations
),
-- @full-only {
-- CSAT: each rated conversation as it was (-1) and as it is (+1), for its latest rating's score
-- and hour, its channel, assignee and team. Unlike the figures above it needs no created_at.
csat_deltas AS (
    SELECT workspace_id, date_trunc('hour', rated_at, 'UTC') AS bucket, COALESCE(channel_id, '') AS channel_id,
           COALESCE(assignee_id, '') AS agent_id, COALESCE(team_id, '') AS team_id,
           COALESCE(sum(sign) FILTER (WHERE rating = 1), 0) AS score_1,
           COALESCE(sum(sign) FILTER (WHERE rating = 2), 0) AS score_2,
           COALESCE(sum(sign) FILTER (WHERE rating = 3), 0) AS score_3,
           COALESCE(sum(sign) FILTER (WHERE rating = 4), 0) AS score_4,
           COALESCE(sum(sign) FILTER (WHERE rating = 5), 0) AS score_5
    FROM versions
    WHERE rated_at IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(sign) FILTER (WHERE rating = 1) <> 0 OR sum(sign) FILTER (WHERE rating = 2) <> 0
        OR sum(sign) FILTER (WHERE rating = 3) <> 0 OR sum(sign) FILTER (WHERE rating = 4) <> 0
        OR sum(sign) FILTER (WHERE rating = 5) <> 0
),
csat_upsert AS (
    INSERT INTO support_csat_hourly AS r
        (workspace_id, bucket, channel_id, agent_id, team_id, slot, score_1, score_2, score_3, score_4, score_5)
    SELECT workspace_id, bucket, channel_id, agent_id, team_id, tally_write_slot(),
           score_1, score_2, score_3, score_4, score_5
    FROM csat_deltas
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, bucket, channel_id, agent_id, team_id, slot) DO UPDATE SET
        score_1 = r.score_1 + EXCLUDED.score_1,
        score_2 = r.score_2 + EXCLUDED.score_2,
        score_3 = r.score_3 + EXCLUDED.score_3,
        score_4 = r.score_4 + EXCLUDED.score_4,
        score_5 = r.score_5 + EXCLUDED.score_5
),
-- Business hours (support_business_hourly): the first response and resolution of each changed
-- row measured in the open hours of the schedule version in effect at its created_at
-- (sql/functions/tally_business_seconds.sql; calendar time without a version), -1 as the row
-- was and +1 as it is, in the same hours, channels and agents as support_hourly's durations.
-- The versions are append-only and never dated before an event that may exist, so the version
-- a row was measured with is still the one found for it here. A row whose created_at, channel,
-- first response, resolution, their agents, team and labels are unchanged would add what it
-- takes back: it is skipped before the measuring; so is each of the two figures whose own inputs
-- are unchanged (first_response_moved, resolution_moved: a resolution leaves the first response
-- as it was) and whose groups did not move (team_moved, labels_moved: a reassignment or a label
-- moves the figures between the per-team or per-label rows), for business time and SLAs alike,
-- which share the measuring below. The per-channel and agent deltas skip the rows whose figure
-- did not move: their -1 and +1 would cancel out.
business_changed AS (
    SELECT before_row, after_row,
           ROW((before_row).created_at, (before_row).channel_id, (before_row).first_response_at, (before_row).first_responder_id)
               IS DISTINCT FROM
               ROW((after_row).created_at, (after_row).channel_id, (after_row).first_response_at, (after_row).first_responder_id)
               AS first_response_moved,
           ROW((before_row).created_at, (before_row).channel_id, (before_row).status, (before_row).last_resolved_at, (before_row).resolver_id)
               IS DISTINCT FROM
               ROW((after_row).created_at, (after_row).channel_id, (after_row).status, (after_row).last_resolved_at, (after_row).resolver_id)
               AS resolution_moved,
           (before_row).team_id IS DISTINCT FROM (after_row).team_id AS team_moved,
           (before_row).labels IS DISTINCT FROM (after_row).labels AS labels_moved
    FROM changed
    WHERE ROW((before_row).created_at, (before_row).channel_id, (before_row).first_response_at, (before_row).first_responder_id, (before_row).status, (before_row).last_resolved_at, (before_row).resolver_id, (before_row).team_id, (before_row).labels)
          IS DISTINCT FROM
          ROW((after_row).created_at, (after_row).channel_id, (after_row).first_response_at, (after_row).first_responder_id, (after_row).status, (after_row).last_resolved_at, (after_row).resolver_id, (after_row).team_id, (after_row).labels)
),
business_versions AS (
    SELECT -1 AS sign, first_response_moved, resolution_moved, team_moved, labels_moved, (before_row).*
    FROM business_changed
    UNION ALL
    SELECT 1 AS sign, first_response_moved, resolution_moved, team_moved, labels_moved, (after_row).*
    FROM business_changed
),
-- Each version once with its schedule and SLA policy versions (one look-up each), the first
-- response and resolution in business time where a figure moved (each duration measured once,
-- for support_business_hourly and for an SLA target in business time), and, as the row is, the
-- instant each pending target falls due.
business_timed AS (
    SELECT v.sign, v.workspace_id, v.conversation_id, COALESCE(v.channel_id, '') AS channel_id,
           v.first_response_at, COALESCE(v.first_responder_id, '') AS first_responder_id,
           CASE WHEN v.status = 'resolved' THEN v.last_resolved_at END AS resolved_at,
           COALESCE(v.resolver_id, '') AS resolver_id,
           COALESCE(v.team_id, '') AS team_id, v.labels,
           v.first_response_moved, v.resolution_moved, v.team_moved, v.labels_moved,
           CASE WHEN v.first_response_moved OR v.team_moved OR v.labels_moved
                THEN tally_business_seconds(v.created_at, v.first_response_at, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays) END AS first_response_seconds,
           CASE WHEN (v.resolution_moved OR v.team_moved OR v.labels_moved) AND v.status = 'resolved'
                THEN tally_business_seconds(v.created_at, v.last_resolved_at, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays) END AS resolution_seconds,
           GREATEST(0, EXTRACT(EPOCH FROM v.first_response_at - v.created_at)) AS first_response_calendar_seconds,
           GREATEST(0, EXTRACT(EPOCH FROM v.last_resolved_at - v.created_at)) AS resolution_calendar_seconds,
           v.status = 'open' AND v.first_response_at IS NULL AND p.first_response_seconds IS NOT NULL
               AS first_response_pending,
           v.status = 'open' AND p.resolution_seconds IS NOT NULL AS resolution_pending,
           p.first_response_seconds AS first_response_target,
           p.first_response_business,
           p.resolution_seconds AS resolution_target,
           p.resolution_business,
           CASE WHEN v.sign = 1 AND v.status = 'open' AND v.first_response_at IS NULL
                     AND p.first_response_seconds IS NOT NULL
                THEN CASE WHEN p.first_response_business
                          THEN tally_business_due(v.created_at, p.first_response_seconds, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays)
                          ELSE v.created_at + make_interval(secs => p.first_response_seconds) END
           END AS first_response_due_at,
           CASE WHEN v.sign = 1 AND v.status = 'open' AND p.resolution_seconds IS NOT NULL
                THEN CASE WHEN p.resolution_business
                          THEN tally_business_due(v.created_at, p.resolution_seconds, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays)
                          ELSE v.created_at + make_interval(secs => p.resolution_seconds) END
           END AS resolution_due_at
    FROM business_versions AS v
    LEFT JOIN LATERAL (
        SELECT s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays
        FROM business_schedule AS s
        WHERE s.workspace_id = v.workspace_id AND s.effective_from <= v.created_at
        ORDER BY s.effective_from DESC
        LIMIT 1
    ) AS s ON true
    LEFT JOIN LATERAL (
        SELECT p.first_response_seconds, p.first_response_business, p.resolution_seconds, p.resolution_business
        FROM sla_policy AS p
        WHERE p.workspace_id = v.workspace_id AND p.effective_from <= v.created_at
        ORDER BY p.effective_from DESC
        LIMIT 1
    ) AS p ON true
    WHERE v.created_at IS NOT NULL
),
-- SLA outcomes (support_sla_hourly, support_team_hourly, support_label_hourly, and summed below
-- to the per-total, channel and agent rows): the same changed rows (business_timed), held to the
-- SLA policy version in effect at created_at, each target measured in calendar or business time
-- (the business schedule version in effect at created_at) as the policy says. A first response
-- (a resolution, while resolved) with a target counts as targeted in its hour, channel and agent,
-- team and labels, and as a breach (first_response_breach, resolution_breach: 1 or 0, null
-- without a target) when its time exceeds the target; -1 as the row was, +1 as it is.
business_outcomes AS (
    SELECT t.*,
           CASE WHEN t.first_response_at IS NOT NULL AND t.first_response_target IS NOT NULL
                THEN ((CASE WHEN t.first_response_business THEN t.first_response_seconds
                            ELSE t.first_response_calendar_seconds END) > t.first_response_target)::int
           END AS first_response_breach,
           CASE WHEN t.resolved_at IS NOT NULL AND t.resolution_target IS NOT NULL
                THEN ((CASE WHEN t.resolution_business THEN t.resolution_seconds
                            ELSE t.resolution_calendar_seconds END) > t.resolution_target)::int
           END AS resolution_breach
    FROM business_timed AS t
),
sla_deltas (workspace_id, bucket, channel_id, agent_id, first_response_targeted, first_response_breaches,
            resolution_targeted, resolution_breaches) AS (
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), channel_id, first_responder_id,
           sign, sign * first_response_breach, 0, 0
    FROM business_outcomes
    WHERE first_response_breach IS NOT NULL AND first_response_moved
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), channel_id, resolver_id,
           0, 0, sign, sign * resolution_breach
    FROM business_outcomes
    WHERE resolution_breach IS NOT NULL AND resolution_moved
),
-- @full-only }
-- Reply times (reply_sums), CSAT (csat_deltas) and SLA outcomes (sla_deltas) per hour, channel
-- and agent, summed below to the grains of support_total_hourly, support_channel_hourly and
-- support_agent_hourly, so their reads need no scan of every channel x agent row of the reply,
-- CSAT and SLA tables.
quality_deltas AS (
    SELECT workspace_id, bucket, channel_id, agent_id, reply_count, reply_seconds, reply_bins,
           0 AS score_1, 0 AS score_2, 0 AS score_3, 0 AS score_4, 0 AS score_5,
           0 AS first_response_targeted, 0 AS first_response_breaches, 0 AS resolution_targeted,
           0 AS resolution_breaches
    FROM reply_sums
-- @full-only {
    UNION ALL
    SELECT workspace_id, bucket, channel_id, agent_id, 0, 0, array_fill(0::bigint, ARRAY[11]),
           score_1, score_2, score_3, score_4, score_5, 0, 0, 0, 0
    FROM csat_deltas
    UNION ALL
    SELECT workspace_id, bucket, channel_id, agent_id, 0, 0, array_fill(0::bigint, ARRAY[11]),
           0, 0, 0, 0, 0, first_response_targeted, first_response_breaches, resolution_targeted,
           resolution_breaches
    FROM sla_deltas
-- @full-only }
),
dimension_quality AS (
    SELECT workspace_id, bucket,
           CASE WHEN GROUPING(channel_id) = 0 THEN 'channel' WHEN GROUPING(agent_id) = 0 THEN 'agent' ELSE 'total' END
               AS dimension,
           COALESCE(channel_id, agent_id, '') AS dimension_id,
           sum(reply_count) AS reply_count, sum(reply_seconds) AS reply_seconds,
           ARRAY[sum(reply_bins[1]), sum(reply_bins[2]), sum(reply_bins[3]), sum(reply_bins[4]),
                 sum(reply_bins[5]), sum(reply_bins[6]), sum(reply_bins[7]), sum(reply_bins[8]),
                 sum(reply_bins[9]), sum(reply_bins[10]), sum(reply_bins[11])]::bigint[] AS reply_bins,
           sum(score_1) AS score_1, sum(score_2) AS score_2, sum(score_3) AS score_3,
           sum(score_4) AS score_4, sum(score_5) AS score_5,
           sum(first_response_targeted) AS first_response_targeted,
           sum(first_response_breaches) AS first_response_breaches,
           sum(resolution_targeted) AS resolution_targeted, sum(resolution_breaches) AS resolution_breaches
    FROM quality_deltas
    GROUP BY GROUPING SETS ((workspace_id, bucket), (workspace_id, bucket, channel_id), (workspace_id, bucket, agent_id))
),
-- The net deltas summed over channels and agents (dimension 'total': one row per hour, for
-- support_total_hourly), over agents (one row per channel and hour) and over channels (one row
-- per agent and hour), each histogram as an array of 11 counts (element i = bin i): what the
-- unfiltered, channel- and agent-filtered reads and the channel and agent lists read. One pass
-- of grouping sets over each delta relation serves the three grains.
dimension_counts AS (
    SELECT workspace_id, bucket,
           CASE WHEN GROUPING(channel_id) = 0 THEN 'channel' WHEN GROUPING(agent_id) = 0 THEN 'agent' ELSE 'total' END
               AS dimension,
           COALESCE(channel_id, agent_id, '') AS dimension_id,
           sum(conversations_created) AS conversations_created,
           sum(conversations_assigned) AS conversations_assigned,
           sum(agent_replies) AS agent_replies,
           sum(customer_replies) AS customer_replies,
           sum(resolutions) AS resolutions,
           sum(reopens) AS reopens,
           sum(first_response_count) AS first_response_count,
           sum(first_response_seconds) AS first_response_seconds,
           sum(resolution_count) AS resolution_count,
           sum(resolution_seconds) AS resolution_seconds
    FROM support_sums
    GROUP BY GROUPING SETS ((workspace_id, bucket), (workspace_id, bucket, channel_id), (workspace_id, bucket, agent_id))
),
-- Each key's bins as two arrays of 11 counts, in one pass over the bin deltas (a join of keys x
-- positions against the bin counts is planned as nested loops over the CTEs: quadratic in the
-- statement's keys).
dimension_histograms AS (
    SELECT workspace_id, bucket,
           CASE WHEN GROUPING(channel_id) = 0 THEN 'channel' WHEN GROUPING(agent_id) = 0 THEN 'agent' ELSE 'total' END
               AS dimension,
           COALESCE(channel_id, agent_id, '') AS dimension_id,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 11), 0)
           ] AS first_response_bins,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 11), 0)
           ] AS resolution_bins
    FROM duration_sums
    GROUP BY GROUPING SETS ((workspace_id, bucket), (workspace_id, bucket, channel_id), (workspace_id, bucket, agent_id))
),
dimension_rows AS (
    SELECT workspace_id, bucket, dimension, dimension_id,
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
           COALESCE(q.reply_count, 0) AS reply_count, COALESCE(q.reply_seconds, 0) AS reply_seconds,
           COALESCE(q.reply_bins, array_fill(0::bigint, ARRAY[11])) AS reply_bins,
           COALESCE(q.score_1, 0) AS score_1, COALESCE(q.score_2, 0) AS score_2, COALESCE(q.score_3, 0) AS score_3,
           COALESCE(q.score_4, 0) AS score_4, COALESCE(q.score_5, 0) AS score_5,
           COALESCE(q.first_response_targeted, 0) AS first_response_targeted,
           COALESCE(q.first_response_breaches, 0) AS first_response_breaches,
           COALESCE(q.resolution_targeted, 0) AS resolution_targeted,
           COALESCE(q.resolution_breaches, 0) AS resolution_breaches
    FROM dimension_counts AS c
    FULL JOIN dimension_histograms AS h USING (workspace_id, bucket, dimension, dimension_id)
    FULL JOIN dimension_quality AS q USING (workspace_id, bucket, dimension, dimension_id)
    WHERE c.conversations_created <> 0 OR c.conversations_assigned <> 0
       OR c.agent_replies <> 0 OR c.customer_replies <> 0
       OR c.resolutions <> 0 OR c.reopens <> 0
       OR c.first_response_count <> 0 OR c.first_response_seconds <> 0
       OR c.resolution_count <> 0 OR c.resolution_seconds <> 0
       OR 0 <> ANY (h.first_response_bins) OR 0 <> ANY (h.resolution_bins)
       OR q.reply_count <> 0 OR q.reply_seconds <> 0 OR 0 <> ANY (q.reply_bins)
       OR q.score_1 <> 0 OR q.score_2 <> 0 OR q.score_3 <> 0 OR q.score_4 <> 0 OR q.score_5 <> 0
       OR q.first_response_targeted <> 0 OR q.first_response_breaches <> 0
       OR q.resolution_targeted <> 0 OR q.resolution_breaches <> 0
),
total_upsert AS (
    INSERT INTO support_total_hourly AS t
        (workspace_id, bucket, slot, conversations_created, conversations_assigned, agent_replies,
         customer_replies, resolutions, reopens, first_response_count, first_response_seconds,
         resolution_count, resolution_seconds, first_response_bins, resolution_bins,
         reply_count, reply_seconds, reply_bins, score_1, score_2, score_3, score_4, score_5,
         first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches)
    SELECT workspace_id, bucket, tally_write_slot(), conversations_created, conversations_assigned, agent_replies,
           customer_replies, resolutions, reopens, first_response_count, first_response_seconds,
           resolution_count, resolution_seconds, first_response_bins, resolution_bins,
           reply_count, reply_seconds, reply_bins, score_1, score_2, score_3, score_4, score_5,
           first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches
    FROM dimension_rows
    WHERE dimension = 'total'
    ORDER BY 1, 2
    ON CONFLICT (workspace_id, bucket, slot) DO UPDATE SET
        conversations_created = t.conversations_created + EXCLUDED.conversations_created,
        conversations_assigned = t.conversations_assigned + EXCLUDED.conversations_assigned,
        agent_replies = t.agent_replies + EXCLUDED.agent_replies,
        customer_replies = t.customer_replies + EXCLUDED.customer_replies,
        resolutions = t.resolutions + EXCLUDED.resolutions,
        reopens = t.reopens + EXCLUDED.reopens,
        first_response_count = t.first_response_count + EXCLUDED.first_response_count,
        first_response_seconds = t.first_response_seconds + EXCLUDED.first_response_seconds,
        resolution_count = t.resolution_count + EXCLUDED.resolution_count,
        resolution_seconds = t.resolution_seconds + EXCLUDED.resolution_seconds,
        first_response_bins = tally_add_bins(t.first_response_bins, EXCLUDED.first_response_bins),
        resolution_bins = tally_add_bins(t.resolution_bins, EXCLUDED.resolution_bins),
        reply_count = t.reply_count + EXCLUDED.reply_count,
        reply_seconds = t.reply_seconds + EXCLUDED.reply_seconds,
        reply_bins = tally_add_bins(t.reply_bins, EXCLUDED.reply_bins),
        score_1 = t.score_1 + EXCLUDED.score_1,
        score_2 = t.score_2 + EXCLUDED.score_2,
        score_3 = t.score_3 + EXCLUDED.score_3,
        score_4 = t.score_4 + EXCLUDED.score_4,
        score_5 = t.score_5 + EXCLUDED.score_5,
        first_response_targeted = t.first_response_targeted + EXCLUDED.first_response_targeted,
        first_response_breaches = t.first_response_breaches + EXCLUDED.first_response_breaches,
        resolution_targeted = t.resolution_targeted + EXCLUDED.resolution_targeted,
        resolution_breaches = t.resolution_breaches + EXCLUDED.resolution_breaches
),
channel_upsert AS (
    INSERT INTO support_channel_hourly AS ch
        (workspace_id, bucket, channel_id, slot, conversations_created, conversations_assigned, agent_replies,
         customer_replies, resolutions, reopens, first_response_count, first_response_seconds,
         resolution_count, resolution_seconds, first_response_bins, resolution_bins,
         reply_count, reply_seconds, reply_bins, score_1, score_2, score_3, score_4, score_5,
         first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches)
    SELECT workspace_id, bucket, dimension_id, tally_write_slot(), conversations_created, conversations_assigned, agent_replies,
           customer_replies, resolutions, reopens, first_response_count,
           first_response_seconds, resolution_count, resolution_seconds, first_response_bins, resolution_bins,
           reply_count, reply_seconds, reply_bins, score_1, score_2, score_3, score_4, score_5,
           first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches
    FROM dimension_rows
    WHERE dimension = 'channel'
    ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, bucket, channel_id, slot) DO UPDATE SET
        conversations_created = ch.conversations_created + EXCLUDED.conversations_created,
        conversations_assigned = ch.conversations_assigned + EXCLUDED.conversations_assigned,
        agent_replies = ch.agent_replies + EXCLUDED.agent_replies,
        customer_replies = ch.customer_replies + EXCLUDED.customer_replies,
        resolutions = ch.resolutions + EXCLUDED.resolutions,
        reopens = ch.reopens + EXCLUDED.reopens,
        first_response_count = ch.first_response_count + EXCLUDED.first_response_count,
        first_response_seconds = ch.first_response_seconds + EXCLUDED.first_response_seconds,
        resolution_count = ch.resolution_count + EXCLUDED.resolution_count,
        resolution_seconds = ch.resolution_seconds + EXCLUDED.resolution_seconds,
        first_response_bins = tally_add_bins(ch.first_response_bins, EXCLUDED.first_response_bins),
        resolution_bins = tally_add_bins(ch.resolution_bins, EXCLUDED.resolution_bins),
        reply_count = ch.reply_count + EXCLUDED.reply_count,
        reply_seconds = ch.reply_seconds + EXCLUDED.reply_seconds,
        reply_bins = tally_add_bins(ch.reply_bins, EXCLUDED.reply_bins),
        score_1 = ch.score_1 + EXCLUDED.score_1,
        score_2 = ch.score_2 + EXCLUDED.score_2,
        score_3 = ch.score_3 + EXCLUDED.score_3,
        score_4 = ch.score_4 + EXCLUDED.score_4,
        score_5 = ch.score_5 + EXCLUDED.score_5,
        first_response_targeted = ch.first_response_targeted + EXCLUDED.first_response_targeted,
        first_response_breaches = ch.first_response_breaches + EXCLUDED.first_response_breaches,
        resolution_targeted = ch.resolution_targeted + EXCLUDED.resolution_targeted,
        resolution_breaches = ch.resolution_breaches + EXCLUDED.resolution_breaches
),
-- @full-only {
-- Per team (of the conversation's latest assignment, '' for none): each changed conversation as
-- it was (-1) and as it is (+1), created in its created hour, first response and resolution
-- (while resolved) in theirs, so a reassignment to another team moves all of it; the bins as
-- arrays, as in support_channel_hourly. The same two durations in business time with their SLA
-- outcomes (business_outcomes: one row per figure, breach null without a target) where the
-- figure or the team moved.
team_deltas (workspace_id, bucket, team_id, sign, metric, seconds, breach) AS (
    SELECT workspace_id, date_trunc('hour', created_at, 'UTC'), team_id, sign, 'created', NULL::numeric, NULL::int
    FROM timed
    UNION ALL
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), team_id, sign, 'first_response',
           first_response_seconds, NULL
    FROM timed
    WHERE first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', last_resolved_at, 'UTC'), team_id, sign, 'resolution', resolution_seconds,
           NULL
    FROM timed
    WHERE status = 'resolved'
    UNION ALL
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), team_id, sign, 'business_first_response',
           first_response_seconds, first_response_breach
    FROM business_outcomes
    WHERE first_response_at IS NOT NULL AND (first_response_moved OR team_moved)
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), team_id, sign, 'business_resolution',
           resolution_seconds, resolution_breach
    FROM business_outcomes
    WHERE resolved_at IS NOT NULL AND (resolution_moved OR team_moved)
),
-- Summed in two steps (as label_sums and business_sums): per key, metric and bin first, then
-- pivoted into the columns, so that the pivot's many FILTER clauses run over a few rows per key
-- rather than over every delta (half the CPU of one step for a statement of 1000 events).
team_sums AS (
    SELECT workspace_id, bucket, team_id,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'created'), 0) AS conversations_created,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response'), 0) AS first_response_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'first_response'), 0) AS first_response_seconds,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution'), 0) AS resolution_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'resolution'), 0) AS resolution_seconds,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 11), 0)
           ] AS first_response_bins,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 11), 0)
           ] AS resolution_bins,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response'), 0) AS business_first_response_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'business_first_response'), 0)
               AS business_first_response_seconds,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution'), 0) AS business_resolution_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'business_resolution'), 0)
               AS business_resolution_seconds,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 11), 0)
           ] AS business_first_response_bins,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 11), 0)
           ] AS business_resolution_bins,
           COALESCE(sum(targeted) FILTER (WHERE metric = 'business_first_response'), 0)
               AS first_response_targeted,
           COALESCE(sum(breaches) FILTER (WHERE metric = 'business_first_response'), 0) AS first_response_breaches,
           COALESCE(sum(targeted) FILTER (WHERE metric = 'business_resolution'), 0)
               AS resolution_targeted,
           COALESCE(sum(breaches) FILTER (WHERE metric = 'business_resolution'), 0) AS resolution_breaches
    FROM (
        SELECT workspace_id, bucket, team_id, metric,
               width_bucket(seconds, '{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) AS position,
               sum(sign)::int AS conversations, sum(sign * seconds) AS seconds,
               (sum(sign) FILTER (WHERE breach IS NOT NULL))::int AS targeted, sum(sign * breach)::int AS breaches
        FROM team_deltas
        GROUP BY 1, 2, 3, 4, 5
    ) AS binned
    GROUP BY 1, 2, 3
),
team_upsert AS (
    INSERT INTO support_team_hourly AS tm
        (workspace_id, bucket, team_id, slot, conversations_created, first_response_count, first_response_seconds,
         resolution_count, resolution_seconds, first_response_bins, resolution_bins,
         business_first_response_count, business_first_response_seconds, business_resolution_count,
         business_resolution_seconds, business_first_response_bins, business_resolution_bins,
         first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches)
    SELECT workspace_id, bucket, team_id, tally_write_slot(), conversations_created, first_response_count,
           first_response_seconds, resolution_count, resolution_seconds, first_response_bins, resolution_bins,
           business_first_response_count, business_first_response_seconds, business_resolution_count,
           business_resolution_seconds, business_first_response_bins, business_resolution_bins,
           first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches
    FROM team_sums
    WHERE conversations_created <> 0 OR first_response_count <> 0 OR first_response_seconds <> 0
       OR resolution_count <> 0 OR resolution_seconds <> 0
       OR 0 <> ANY (first_response_bins) OR 0 <> ANY (resolution_bins)
       OR business_first_response_count <> 0 OR business_first_response_seconds <> 0
       OR business_resolution_count <> 0 OR business_resolution_seconds <> 0
       OR 0 <> ANY (business_first_response_bins) OR 0 <> ANY (business_resolution_bins)
       OR first_response_targeted <> 0 OR first_response_breaches <> 0
       OR resolution_targeted <> 0 OR resolution_breaches <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, bucket, team_id, slot) DO UPDATE SET
        conversations_created = tm.conversations_created + EXCLUDED.conversations_created,
        first_response_count = tm.first_response_count + EXCLUDED.first_response_count,
        first_response_seconds = tm.first_response_seconds + EXCLUDED.first_response_seconds,
        resolution_count = tm.resolution_count + EXCLUDED.resolution_count,
        resolution_seconds = tm.resolution_seconds + EXCLUDED.resolution_seconds,
        first_response_bins = tally_add_bins(tm.first_response_bins, EXCLUDED.first_response_bins),
        resolution_bins = tally_add_bins(tm.resolution_bins, EXCLUDED.resolution_bins),
        business_first_response_count = tm.business_first_response_count + EXCLUDED.business_first_response_count,
        business_first_response_seconds = tm.business_first_response_seconds + EXCLUDED.business_first_response_seconds,
        business_resolution_count = tm.business_resolution_count + EXCLUDED.business_resolution_count,
        business_resolution_seconds = tm.business_resolution_seconds + EXCLUDED.business_resolution_seconds,
        business_first_response_bins = tally_add_bins(tm.business_first_response_bins, EXCLUDED.business_first_response_bins),
        business_resolution_bins = tally_add_bins(tm.business_resolution_bins, EXCLUDED.business_resolution_bins),
        first_response_targeted = tm.first_response_targeted + EXCLUDED.first_response_targeted,
        first_response_breaches = tm.first_response_breaches + EXCLUDED.first_response_breaches,
        resolution_targeted = tm.resolution_targeted + EXCLUDED.resolution_targeted,
        resolution_breaches = tm.resolution_breaches + EXCLUDED.resolution_breaches
),
-- Per label: each changed conversation as it was (-1) and as it is (+1), under every label it
-- has in that version (labels; none when it has none), created in its created hour, first
-- response and resolution (while resolved) in theirs, its latest rating's score in the rating's
-- hour; so labeling or unlabeling moves the whole conversation, past hours included. Business
-- time and SLA outcomes as for teams, where the figure or the labels moved.
label_deltas (workspace_id, bucket, label, sign, metric, seconds, rating, breach) AS (
    SELECT v.workspace_id, date_trunc('hour', v.created_at, 'UTC'), l.label, v.sign, 'created', NULL::numeric,
           NULL::smallint, NULL::int
    FROM versions AS v
    CROSS JOIN unnest(v.labels) AS l (label)
    WHERE v.created_at IS NOT NULL
    UNION ALL
    SELECT v.workspace_id, date_trunc('hour', v.first_response_at, 'UTC'), l.label, v.sign, 'first_response',
           GREATEST(0, EXTRACT(EPOCH FROM v.first_response_at - v.created_at)), NULL, NULL
    FROM versions AS v
    CROSS JOIN unnest(v.labels) AS l (label)
    WHERE v.created_at IS NOT NULL AND v.first_response_at IS NOT NULL
    UNION ALL
    SELECT v.workspace_id, date_trunc('hour', v.last_resolved_at, 'UTC'), l.label, v.sign, 'resolution',
           GREATEST(0, EXTRACT(EPOCH FROM v.last_resolved_at - v.created_at)), NULL, NULL
    FROM versions AS v
    CROSS JOIN unnest(v.labels) AS l (label)
    WHERE v.created_at IS NOT NULL AND v.status = 'resolved'
    UNION ALL
    SELECT v.workspace_id, date_trunc('hour', v.rated_at, 'UTC'), l.label, v.sign, 'rating', NULL, v.rating, NULL
    FROM versions AS v
    CROSS JOIN unnest(v.labels) AS l (label)
    WHERE v.rated_at IS NOT NULL
    UNION ALL
    SELECT o.workspace_id, date_trunc('hour', o.first_response_at, 'UTC'), l.label, o.sign, 'business_first_response',
           o.first_response_seconds, NULL, o.first_response_breach
    FROM business_outcomes AS o
    CROSS JOIN unnest(o.labels) AS l (label)
    WHERE o.first_response_at IS NOT NULL AND (o.first_response_moved OR o.labels_moved)
    UNION ALL
    SELECT o.workspace_id, date_trunc('hour', o.resolved_at, 'UTC'), l.label, o.sign, 'business_resolution',
           o.resolution_seconds, NULL, o.resolution_breach
    FROM business_outcomes AS o
    CROSS JOIN unnest(o.labels) AS l (label)
    WHERE o.resolved_at IS NOT NULL AND (o.resolution_moved OR o.labels_moved)
),
label_sums AS (
    SELECT workspace_id, bucket, label,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'created'), 0) AS conversations_created,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response'), 0) AS first_response_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'first_response'), 0) AS first_response_seconds,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution'), 0) AS resolution_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'resolution'), 0) AS resolution_seconds,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 11), 0)
           ] AS first_response_bins,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 11), 0)
           ] AS resolution_bins,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'rating' AND rating = 1), 0) AS score_1,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'rating' AND rating = 2), 0) AS score_2,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'rating' AND rating = 3), 0) AS score_3,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'rating' AND rating = 4), 0) AS score_4,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'rating' AND rating = 5), 0) AS score_5,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response'), 0) AS business_first_response_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'business_first_response'), 0)
               AS business_first_response_seconds,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution'), 0) AS business_resolution_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'business_resolution'), 0)
               AS business_resolution_seconds,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_first_response' AND position = 11), 0)
           ] AS business_first_response_bins,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'business_resolution' AND position = 11), 0)
           ] AS business_resolution_bins,
           COALESCE(sum(targeted) FILTER (WHERE metric = 'business_first_response'), 0)
               AS first_response_targeted,
           COALESCE(sum(breaches) FILTER (WHERE metric = 'business_first_response'), 0) AS first_response_breaches,
           COALESCE(sum(targeted) FILTER (WHERE metric = 'business_resolution'), 0)
               AS resolution_targeted,
           COALESCE(sum(breaches) FILTER (WHERE metric = 'business_resolution'), 0) AS resolution_breaches
    FROM (
        SELECT workspace_id, bucket, label, metric, rating,
               width_bucket(seconds, '{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) AS position,
               sum(sign)::int AS conversations, sum(sign * seconds) AS seconds,
               (sum(sign) FILTER (WHERE breach IS NOT NULL))::int AS targeted, sum(sign * breach)::int AS breaches
        FROM label_deltas
        GROUP BY 1, 2, 3, 4, 5, 6
    ) AS binned
    GROUP BY 1, 2, 3
),
label_upsert AS (
    INSERT INTO support_label_hourly AS lb
        (workspace_id, bucket, label, slot, conversations_created, first_response_count, first_response_seconds,
         resolution_count, resolution_seconds, first_response_bins, resolution_bins,
         score_1, score_2, score_3, score_4, score_5,
         business_first_response_count, business_first_response_seconds, business_resolution_count,
         business_resolution_seconds, business_first_response_bins, business_resolution_bins,
         first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches)
    SELECT workspace_id, bucket, label, tally_write_slot(), conversations_created, first_response_count,
           first_response_seconds, resolution_count, resolution_seconds, first_response_bins, resolution_bins,
           score_1, score_2, score_3, score_4, score_5,
           business_first_response_count, business_first_response_seconds, business_resolution_count,
           business_resolution_seconds, business_first_response_bins, business_resolution_bins,
           first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches
    FROM label_sums
    WHERE conversations_created <> 0 OR first_response_count <> 0 OR first_response_seconds <> 0
       OR resolution_count <> 0 OR resolution_seconds <> 0
       OR 0 <> ANY (first_response_bins) OR 0 <> ANY (resolution_bins)
       OR score_1 <> 0 OR score_2 <> 0 OR score_3 <> 0 OR score_4 <> 0 OR score_5 <> 0
       OR business_first_response_count <> 0 OR business_first_response_seconds <> 0
       OR business_resolution_count <> 0 OR business_resolution_seconds <> 0
       OR 0 <> ANY (business_first_response_bins) OR 0 <> ANY (business_resolution_bins)
       OR first_response_targeted <> 0 OR first_response_breaches <> 0
       OR resolution_targeted <> 0 OR resolution_breaches <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, bucket, label, slot) DO UPDATE SET
        conversations_created = lb.conversations_created + EXCLUDED.conversations_created,
        first_response_count = lb.first_response_count + EXCLUDED.first_response_count,
        first_response_seconds = lb.first_response_seconds + EXCLUDED.first_response_seconds,
        resolution_count = lb.resolution_count + EXCLUDED.resolution_count,
        resolution_seconds = lb.resolution_seconds + EXCLUDED.resolution_seconds,
        first_response_bins = tally_add_bins(lb.first_response_bins, EXCLUDED.first_response_bins),
        resolution_bins = tally_add_bins(lb.resolution_bins, EXCLUDED.resolution_bins),
        score_1 = lb.score_1 + EXCLUDED.score_1,
        score_2 = lb.score_2 + EXCLUDED.score_2,
        score_3 = lb.score_3 + EXCLUDED.score_3,
        score_4 = lb.score_4 + EXCLUDED.score_4,
        score_5 = lb.score_5 + EXCLUDED.score_5,
        business_first_response_count = lb.business_first_response_count + EXCLUDED.business_first_response_count,
        business_first_response_seconds = lb.business_first_response_seconds + EXCLUDED.business_first_response_seconds,
        business_resolution_count = lb.business_resolution_count + EXCLUDED.business_resolution_count,
        business_resolution_seconds = lb.business_resolution_seconds + EXCLUDED.business_resolution_seconds,
        business_first_response_bins = tally_add_bins(lb.business_first_response_bins, EXCLUDED.business_first_response_bins),
        business_resolution_bins = tally_add_bins(lb.business_resolution_bins, EXCLUDED.business_resolution_bins),
        first_response_targeted = lb.first_response_targeted + EXCLUDED.first_response_targeted,
        first_response_breaches = lb.first_response_breaches + EXCLUDED.first_response_breaches,
        resolution_targeted = lb.resolution_targeted + EXCLUDED.resolution_targeted,
        resolution_breaches = lb.resolution_breaches + EXCLUDED.resolution_breaches
),
-- Business hours (support_business_hourly): business_timed (above) as deltas per hour, channel
-- and agent, -1 as the row was and +1 as it is, in the same hours, channels and agents as
-- support_hourly's durations.
business_deltas (workspace_id, bucket, channel_id, agent_id, metric, seconds, sign) AS (
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), channel_id, first_responder_id,
           'first_response', first_response_seconds, sign
    FROM business_timed
    WHERE first_response_at IS NOT NULL AND first_response_moved
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), channel_id, resolver_id,
           'resolution', resolution_seconds, sign
    FROM business_timed
    WHERE resolved_at IS NOT NULL AND resolution_moved
),
business_sums AS (
    SELECT workspace_id, bucket, channel_id, agent_id,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response'), 0) AS first_response_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'first_response'), 0) AS first_response_seconds,
           COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution'), 0) AS resolution_count,
           COALESCE(sum(seconds) FILTER (WHERE metric = 'resolution'), 0) AS resolution_seconds,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'first_response' AND position = 11), 0)
           ] AS first_response_bins,
           ARRAY[
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 1), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 2), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 3), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 4), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 5), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 6), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 7), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 8), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 9), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 10), 0),
               COALESCE(sum(conversations) FILTER (WHERE metric = 'resolution' AND position = 11), 0)
           ] AS resolution_bins
    FROM (
        SELECT workspace_id, bucket, channel_id, agent_id, metric,
               width_bucket(seconds, '{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) AS position,
               sum(sign)::int AS conversations, sum(sign * seconds) AS seconds
        FROM business_deltas
        GROUP BY 1, 2, 3, 4, 5, 6
    ) AS binned
    GROUP BY 1, 2, 3, 4
),
business_upsert AS (
    INSERT INTO support_business_hourly AS bh
        (workspace_id, bucket, channel_id, agent_id, slot, first_response_count, first_response_seconds,
         resolution_count, resolution_seconds, first_response_bins, resolution_bins)
    SELECT workspace_id, bucket, channel_id, agent_id, tally_write_slot(), first_response_count, first_response_seconds,
           resolution_count, resolution_seconds, first_response_bins, resolution_bins
    FROM business_sums
    WHERE first_response_count <> 0 OR first_response_seconds <> 0 OR resolution_count <> 0 OR resolution_seconds <> 0
       OR 0 <> ANY (first_response_bins) OR 0 <> ANY (resolution_bins)
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (workspace_id, bucket, channel_id, agent_id, slot) DO UPDATE SET
        first_response_count = bh.first_response_count + EXCLUDED.first_response_count,
        first_response_seconds = bh.first_response_seconds + EXCLUDED.first_response_seconds,
        resolution_count = bh.resolution_count + EXCLUDED.resolution_count,
        resolution_seconds = bh.resolution_seconds + EXCLUDED.resolution_seconds,
        first_response_bins = tally_add_bins(bh.first_response_bins, EXCLUDED.first_response_bins),
        resolution_bins = tally_add_bins(bh.resolution_bins, EXCLUDED.resolution_bins)
),
-- End of business hours.
-- SLAs (support_sla_hourly, conversation_due): sla_deltas (above) per hour, channel and agent;
-- conversation_due holds the targets still pending (no agent reply yet; open) with the instant
-- the time reaches the target: the row as it is replaces the row as it was.
sla_upsert AS (
    INSERT INTO support_sla_hourly AS sl
        (workspace_id, bucket, channel_id, agent_id, slot, first_response_targeted, first_response_breaches,
         resolution_targeted, resolution_breaches)
    SELECT workspace_id, bucket, channel_id, agent_id, tally_write_slot(), sum(first_response_targeted),
           sum(first_response_breaches), sum(resolution_targeted), sum(resolution_breaches)
    FROM sla_deltas
    GROUP BY 1, 2, 3, 4
    HAVING sum(first_response_targeted) <> 0 OR sum(first_response_breaches) <> 0
        OR sum(resolution_targeted) <> 0 OR sum(resolution_breaches) <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (workspace_id, bucket, channel_id, agent_id, slot) DO UPDATE SET
        first_response_targeted = sl.first_response_targeted + EXCLUDED.first_response_targeted,
        first_response_breaches = sl.first_response_breaches + EXCLUDED.first_response_breaches,
        resolution_targeted = sl.resolution_targeted + EXCLUDED.resolution_targeted,
        resolution_breaches = sl.resolution_breaches + EXCLUDED.resolution_breaches
),
sla_pending (workspace_id, conversation_id, kind, channel_id, due_at) AS (
    SELECT workspace_id, conversation_id, 'first_response', channel_id, first_response_due_at
    FROM business_timed
    WHERE sign = 1 AND first_response_due_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, conversation_id, 'resolution', channel_id, resolution_due_at
    FROM business_timed
    WHERE sign = 1 AND resolution_due_at IS NOT NULL
),
-- Targets pending as the row was and no longer as it is (a reply, a resolution, a later created
-- event moving it under a policy without the target): their rows go. Pending ones are upserted.
sla_gone AS (
    DELETE FROM conversation_due AS d
    WHERE (d.workspace_id, d.conversation_id, d.kind) IN (
        SELECT workspace_id, conversation_id, 'first_response' FROM business_timed
        WHERE sign = -1 AND first_response_pending
        UNION ALL
        SELECT workspace_id, conversation_id, 'resolution' FROM business_timed
        WHERE sign = -1 AND resolution_pending
        EXCEPT
        SELECT workspace_id, conversation_id, kind FROM sla_pending
    )
),
sla_due_upsert AS (
    INSERT INTO conversation_due AS cd (workspace_id, conversation_id, kind, channel_id, due_at)
    SELECT workspace_id, conversation_id, kind, channel_id, due_at
    FROM sla_pending
    ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, conversation_id, kind) DO UPDATE SET
        channel_id = EXCLUDED.channel_id,
        due_at = EXCLUDED.due_at
),
-- Conversations with a pending target (support_live.sla_pending, what the overdue read subtracts
-- from): -1 for each changed conversation that conversation_due holds before this statement (every
-- part of one statement sees the table as it was), in the channel stored there, and +1 for each
-- that sla_pending writes. Read from conversation_due rather than from first_response_pending and
-- resolution_pending: a target in business time whose schedule never opens long enough is
-- pending without a row, and the counter must count exactly the conversations of the rows.
sla_holders (workspace_id, channel_id, conversation_id, sign) AS (
    SELECT DISTINCT d.workspace_id, d.channel_id, d.conversation_id, -1
    FROM conversation_due AS d
    WHERE (d.workspace_id, d.conversation_id) IN (
        SELECT workspace_id, conversation_id FROM business_timed
        WHERE sign = -1 AND (first_response_pending OR resolution_pending)
    )
    UNION ALL
    SELECT DISTINCT workspace_id, channel_id, conversation_id, 1
    FROM sla_pending
),
-- End of SLAs.
-- @full-only }
agent_upsert AS (
    INSERT INTO support_agent_hourly AS ag
        (workspace_id, bucket, agent_id, slot, conversations_created, conversations_assigned, agent_replies,
         customer_replies, resolutions, reopens, first_response_count, first_response_seconds,
         resolution_count, resolution_seconds, first_response_bins, resolution_bins,
         reply_count, reply_seconds, reply_bins, score_1, score_2, score_3, score_4, score_5,
         first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches)
    SELECT workspace_id, bucket, dimension_id, tally_write_slot(), conversations_created, conversations_assigned, agent_replies,
           customer_replies, resolutions, reopens, first_response_count,
           first_response_seconds, resolution_count, resolution_seconds, first_response_bins, resolution_bins,
           reply_count, reply_seconds, reply_bins, score_1, score_2, score_3, score_4, score_5,
           first_response_targeted, first_response_breaches, resolution_targeted, resolution_breaches
    FROM dimension_rows
    WHERE dimension = 'agent'
    ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, bucket, agent_id, slot) DO UPDATE SET
        conversations_created = ag.conversations_created + EXCLUDED.conversations_created,
        conversations_assigned = ag.conversations_assigned + EXCLUDED.conversations_assigned,
        agent_replies = ag.agent_replies + EXCLUDED.agent_replies,
        customer_replies = ag.customer_replies + EXCLUDED.customer_replies,
        resolutions = ag.resolutions + EXCLUDED.resolutions,
        reopens = ag.reopens + EXCLUDED.reopens,
        first_response_count = ag.first_response_count + EXCLUDED.first_response_count,
        first_response_seconds = ag.first_response_seconds + EXCLUDED.first_response_seconds,
        resolution_count = ag.resolution_count + EXCLUDED.resolution_count,
        resolution_seconds = ag.resolution_seconds + EXCLUDED.resolution_seconds,
        first_response_bins = tally_add_bins(ag.first_response_bins, EXCLUDED.first_response_bins),
        resolution_bins = tally_add_bins(ag.resolution_bins, EXCLUDED.resolution_bins),
        reply_count = ag.reply_count + EXCLUDED.reply_count,
        reply_seconds = ag.reply_seconds + EXCLUDED.reply_seconds,
        reply_bins = tally_add_bins(ag.reply_bins, EXCLUDED.reply_bins),
        score_1 = ag.score_1 + EXCLUDED.score_1,
        score_2 = ag.score_2 + EXCLUDED.score_2,
        score_3 = ag.score_3 + EXCLUDED.score_3,
        score_4 = ag.score_4 + EXCLUDED.score_4,
        score_5 = ag.score_5 + EXCLUDED.score_5,
        first_response_targeted = ag.first_response_targeted + EXCLUDED.first_response_targeted,
        first_response_breaches = ag.first_response_breaches + EXCLUDED.first_response_breaches,
        resolution_targeted = ag.resolution_targeted + EXCLUDED.resolution_targeted,
        resolution_breaches = ag.resolution_breaches + EXCLUDED.resolution_breaches
)
INSERT INTO support_live AS l (workspace_id, channel_id, slot, open, unassigned, unanswered, sla_pending)
SELECT workspace_id,
       channel_id,
       tally_write_slot(),
       sum(open),
       sum(unassigned),
       sum(unanswered),
       sum(sla_pending)
FROM (
    SELECT workspace_id, channel_id, sign AS open,
           CASE WHEN first_assigned_at IS NULL THEN sign ELSE 0 END AS unassigned,
           CASE WHEN first_response_at IS NULL THEN sign ELSE 0 END AS unanswered,
           0 AS sla_pending
    FROM timed
    WHERE status = 'open'
-- @full-only {
    UNION ALL
    SELECT workspace_id, channel_id, 0, 0, 0, sign
    FROM sla_holders
-- @full-only }
) AS live_deltas
GROUP BY 1, 2
HAVING sum(open) <> 0 OR sum(unassigned) <> 0 OR sum(unanswered) <> 0 OR sum(sla_pending) <> 0
ORDER BY 1, 2
ON CONFLICT (workspace_id, channel_id, slot) DO UPDATE SET
    open = l.open + EXCLUDED.open,
    unassigned = l.unassigned + EXCLUDED.unassigned,
    unanswered = l.unanswered + EXCLUDED.unanswered,
    sla_pending = l.sla_pending + EXCLUDED.sla_pending;
-- @end support summaries
RETURN NULL;
