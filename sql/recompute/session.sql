-- View:      recompute_session
-- Recomputes session from the raw events alone, merged with the sealed state of the events
-- retention dropped (session_sealed): first and last occurred_at are a min and a max, events a
-- sum, so recompute(all events) = merge(sealed, recompute(retained events)).
SELECT workspace_id,
       session_id,
       min(first_event_at) AS first_event_at,
       max(last_event_at) AS last_event_at,
       sum(events)::bigint AS events
FROM (
    SELECT workspace_id, session_id, min(occurred_at) AS first_event_at, max(occurred_at) AS last_event_at,
           count(*) AS events
    FROM event
    WHERE session_id IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    SELECT workspace_id, session_id, first_event_at, last_event_at, events
    FROM session_sealed
) AS parts
GROUP BY 1, 2;
