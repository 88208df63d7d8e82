-- View:      recompute_conversation
-- Recomputes conversation from the raw event table alone, by the merge rules of DESIGN.md:
-- channel and customer from conversation.created (until it exists: the earliest event, ties by
-- event_id); assignee from the latest assignment; first responder from the earliest reply;
-- resolver from the latest resolution; status resolved when the last resolution is later than
-- the last reopen.
--
-- Retention (analytics/retention.py) drops old raw partitions and keeps, in
-- conversation_sealed, each conversation merged from the dropped events. The merge is
-- associative, so the conversation of all events = merge(sealed state, retained events): the
-- second step merges the two partial states column by column, by the same rules. For reply
-- times the sealed state also needs the customer messages still waiting for an agent reply
-- (last_agent_reply_at, waiting_customer_at: columns of conversation_sealed only); the team is
-- that of the latest assignment, the rating the score of the latest conversation.rated.
-- labels: the conversation's labels that are on in recompute_conversation_label (which merges the
-- sealed label state itself), sorted by byte order; '{}' for none.
WITH conversation_events AS (
    SELECT e.*, (e.name <> 'conversation.created')::int AS source_rank
    FROM event AS e
    WHERE e.name LIKE 'conversation.%'
),
from_events AS (
    SELECT workspace_id,
           conversation_id,
           (array_agg(channel_id ORDER BY source_rank, occurred_at, event_id))[1] AS channel_id,
           min(source_rank) AS channel_rank,
           (array_agg(occurred_at ORDER BY source_rank, occurred_at, event_id))[1] AS channel_at,
           (array_agg(event_id ORDER BY source_rank, occurred_at, event_id))[1] AS channel_event_id,
           (array_agg(customer_id ORDER BY source_rank, occurred_at, event_id) FILTER (WHERE customer_id IS NOT NULL))[1] AS customer_id,
           min(source_rank) FILTER (WHERE customer_id IS NOT NULL) AS customer_rank,
           (array_agg(occurred_at ORDER BY source_rank, occurred_at, event_id) FILTER (WHERE customer_id IS NOT NULL))[1] AS customer_at,
           (array_agg(event_id ORDER BY source_rank, occurred_at, event_id) FILTER (WHERE customer_id IS NOT NULL))[1] AS customer_event_id,
           min(occurred_at) FILTER (WHERE name = 'conversation.created') AS created_at,
           min(occurred_at) FILTER (WHERE name = 'conversation.assigned') AS first_assigned_at,
           (array_agg(agent_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.assigned'))[1] AS assignee_id,
           max(occurred_at) FILTER (WHERE name = 'conversation.assigned') AS assigned_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.assigned'))[1] AS assigned_event_id,
           min(occurred_at) FILTER (WHERE name = 'conversation.agent_replied') AS first_response_at,
           (array_agg(agent_id ORDER BY occurred_at, event_id) FILTER (WHERE name = 'conversation.agent_replied'))[1] AS first_responder_id,
           (array_agg(event_id ORDER BY occurred_at, event_id) FILTER (WHERE name = 'conversation.agent_replied'))[1] AS first_response_event_id,
           min(occurred_at) FILTER (WHERE name = 'conversation.resolved') AS first_resolved_at,
           max(occurred_at) FILTER (WHERE name = 'conversation.resolved') AS last_resolved_at,
           (array_agg(agent_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.resolved'))[1] AS resolver_id,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.resolved'))[1] AS resolved_event_id,
           max(occurred_at) FILTER (WHERE name = 'conversation.reopened') AS last_reopened_at,
           count(*) FILTER (WHERE name = 'conversation.agent_replied')::int AS agent_replies,
           count(*) FILTER (WHERE name = 'conversation.customer_replied')::int AS customer_replies,
           max(occurred_at) AS last_event_at,
           (array_agg(properties ->> 'team' ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.assigned'))[1] AS team_id,
           (array_agg(value::smallint ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.rated'))[1] AS rating,
           max(occurred_at) FILTER (WHERE name = 'conversation.rated') AS rated_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.rated'))[1] AS rated_event_id,
           max(occurred_at) FILTER (WHERE name = 'conversation.agent_replied') AS last_agent_reply_at,
           COALESCE(array_agg(occurred_at ORDER BY occurred_at) FILTER (WHERE name = 'conversation.customer_replied'), '{}')
               AS waiting_customer_at
    FROM conversation_events
    GROUP BY workspace_id, conversation_id
),
parts AS (
    SELECT * FROM from_events
    UNION ALL
    SELECT workspace_id, conversation_id, channel_id, channel_rank, channel_at, channel_event_id,
           customer_id, customer_rank, customer_at, customer_event_id, created_at, first_assigned_at,
           assignee_id, assigned_at, assigned_event_id, first_response_at, first_responder_id,
           first_response_event_id, first_resolved_at, last_resolved_at, resolver_id, resolved_event_id,
           last_reopened_at, agent_replies, customer_replies, last_event_at, team_id, rating, rated_at,
           rated_event_id, last_agent_reply_at, waiting_customer_at
    FROM conversation_sealed
),
merged AS (
    SELECT workspace_id,
           conversation_id,
           (array_agg(channel_id ORDER BY channel_rank, channel_at, channel_event_id))[1] AS channel_id,
           min(channel_rank) AS channel_rank,
           (array_agg(channel_at ORDER BY channel_rank, channel_at, channel_event_id))[1] AS channel_at,
           (array_agg(channel_event_id ORDER BY channel_rank, channel_at, channel_event_id))[1] AS channel_event_id,
           (array_agg(customer_id ORDER BY customer_rank, customer_at, customer_event_id)
                FILTER (WHERE customer_at IS NOT NULL))[1] AS customer_id,
           min(customer_rank) AS customer_rank,
           (array_agg(customer_at ORDER BY customer_rank, customer_at, customer_event_id)
                FILTER (WHERE customer_at IS NOT NULL))[1] AS customer_at,
           (array_agg(customer_event_id ORDER BY customer_rank, customer_at, customer_event_id)
                FILTER (WHERE customer_at IS NOT NULL))[1] AS customer_event_id,
           min(created_at) AS created_at,
           min(first_assigned_at) AS first_assigned_at,
           (array_agg(assignee_id ORDER BY assigned_at DESC, assigned_event_id DESC)
                FILTER (WHERE assigned_at IS NOT NULL))[1] AS assignee_id,
           max(assigned_at) AS assigned_at,
           (array_agg(assigned_event_id ORDER BY assigned_at DESC, assigned_event_id DESC)
                FILTER (WHERE assigned_at IS NOT NULL))[1] AS assigned_event_id,
           (array_agg(team_id ORDER BY assigned_at DESC, assigned_event_id DESC)
                FILTER (WHERE assigned_at IS NOT NULL))[1] AS team_id,
           min(first_response_at) AS first_response_at,
           (array_agg(first_responder_id ORDER BY first_response_at, first_response_event_id)
                FILTER (WHERE first_response_at IS NOT NULL))[1] AS first_responder_id,
           (array_agg(first_response_event_id ORDER BY first_response_at, first_response_event_id)
                FILTER (WHERE first_response_at IS NOT NULL))[1] AS first_response_event_id,
           min(first_resolved_at) AS first_resolved_at,
           max(last_resolved_at) AS last_resolved_at,
           (array_agg(resolver_id ORDER BY last_resolved_at DESC, resolved_event_id DESC)
                FILTER (WHERE last_resolved_at IS NOT NULL))[1] AS resolver_id,
           (array_agg(resolved_event_id ORDER BY last_resolved_at DESC, resolved_event_id DESC)
                FILTER (WHERE last_resolved_at IS NOT NULL))[1] AS resolved_event_id,
           max(last_reopened_at) AS last_reopened_at,
           (array_agg(rating ORDER BY rated_at DESC, rated_event_id DESC) FILTER (WHERE rated_at IS NOT NULL))[1] AS rating,
           max(rated_at) AS rated_at,
           (array_agg(rated_event_id ORDER BY rated_at DESC, rated_event_id DESC)
                FILTER (WHERE rated_at IS NOT NULL))[1] AS rated_event_id,
           max(last_agent_reply_at) AS last_agent_reply_at,
           sum(agent_replies)::int AS agent_replies,
           sum(customer_replies)::int AS customer_replies,
           max(last_event_at) AS last_event_at
    FROM parts
    GROUP BY workspace_id, conversation_id
),
-- The customer messages of either part later than the merged latest agent reply: still waiting.
waiting AS (
    SELECT p.workspace_id, p.conversation_id, array_agg(w.at ORDER BY w.at) AS waiting_customer_at
    FROM parts AS p
    CROSS JOIN unnest(p.waiting_customer_at) AS w (at)
    JOIN merged AS m USING (workspace_id, conversation_id)
    WHERE w.at > COALESCE(m.last_agent_reply_at, '-infinity')
    GROUP BY 1, 2
)
SELECT merged.*,
       CASE WHEN last_resolved_at > COALESCE(last_reopened_at, '-infinity') THEN 'resolved' ELSE 'open' END
           ::varchar(8) AS status,
       COALESCE(waiting.waiting_customer_at, '{}') AS waiting_customer_at,
       COALESCE(labels.labels, '{}') AS labels
FROM merged
LEFT JOIN waiting USING (workspace_id, conversation_id)
LEFT JOIN (
    SELECT workspace_id, conversation_id, array_agg(label::text ORDER BY label COLLATE "C") AS labels
    FROM recompute_conversation_label
    WHERE labeled
    GROUP BY 1, 2
) AS labels USING (workspace_id, conversation_id);
