-- View:      recompute_session
-- Recomputes session from the raw events alone, merged with the sealed state of the events
-- retention dropped (session_sealed): first and last occurred_at are a min and a max, events a
-- sum, the user that of the least (user_at, user_event_id) of the parts, so recompute(all events)
-- = merge(sealed, recompute(retained events)).
SELECT workspace_id,
       session_id,
       min(first_event_at) AS first_event_at,
       max(last_event_at) AS last_event_at,
       sum(events)::bigint AS events,
       (array_agg(user_id ORDER BY user_at, user_event_id) FILTER (WHERE user_at IS NOT NULL))[1] AS user_id,
       min(user_at) AS user_at,
       (array_agg(user_event_id ORDER BY user_at, user_event_id) FILTER (WHERE user_at IS NOT NULL))[1] AS user_event_id
FROM (
    SELECT workspace_id, session_id, min(occurred_at) AS first_event_at, max(occurred_at) AS last_event_at,
           count(*) AS events,
           (array_agg(user_id ORDER BY occurred_at, event_id) FILTER (WHERE user_id IS NOT NULL))[1] AS user_id,
           min(occurred_at) FILTER (WHERE user_id IS NOT NULL) AS user_at,
           (array_agg(event_id ORDER BY occurred_at, event_id) FILTER (WHERE user_id IS NOT NULL))[1] AS user_event_id
    FROM event
    WHERE session_id IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    SELECT workspace_id, session_id, first_event_at, last_event_at, events, user_id, user_at, user_event_id
    FROM session_sealed
) AS parts
GROUP BY 1, 2;
