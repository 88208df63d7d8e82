-- View:      recompute_conversation_due
-- Recomputes conversation_due from recompute_conversation: for each open conversation whose
-- created_at is known, a `first_response` row while it has no agent reply and a `resolution` row,
-- each when the sla_policy version in effect at created_at sets that target, with the instant the
-- time reaches the target: created_at + the target in calendar time, or with `*_business`
-- tally_business_due() under the business_schedule version in effect at created_at (no row when
-- that schedule never opens long enough). Columns in the order of conversation_due.
WITH pending AS (
    SELECT c.workspace_id, c.conversation_id, COALESCE(c.channel_id, '') AS channel_id,
           CASE WHEN c.first_response_at IS NULL AND p.first_response_seconds IS NOT NULL
                THEN CASE WHEN p.first_response_business
                          THEN tally_business_due(c.created_at, p.first_response_seconds, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays)
                          ELSE c.created_at + make_interval(secs => p.first_response_seconds) END
           END AS first_response_due_at,
           CASE WHEN p.resolution_seconds IS NOT NULL
                THEN CASE WHEN p.resolution_business
                          THEN tally_business_due(c.created_at, p.resolution_seconds, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays)
                          ELSE c.created_at + make_interval(secs => p.resolution_seconds) END
           END AS resolution_due_at
    FROM recompute_conversation AS c
    LEFT JOIN LATERAL (
        SELECT p.first_response_seconds, p.first_response_business, p.resolution_seconds, p.resolution_business
        FROM sla_policy AS p
        WHERE p.workspace_id = c.workspace_id AND p.effective_from <= c.created_at
        ORDER BY p.effective_from DESC
        LIMIT 1
    ) AS p ON true
    LEFT JOIN LATERAL (
        SELECT s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays
        FROM business_schedule AS s
        WHERE s.workspace_id = c.workspace_id AND s.effective_from <= c.created_at
        ORDER BY s.effective_from DESC
        LIMIT 1
    ) AS s ON true
    WHERE c.created_at IS NOT NULL AND c.status = 'open'
)
SELECT workspace_id, conversation_id, 'first_response'::varchar(16) AS kind, channel_id, first_response_due_at AS due_at
FROM pending
WHERE first_response_due_at IS NOT NULL
UNION ALL
SELECT workspace_id, conversation_id, 'resolution'::varchar(16), channel_id, resolution_due_at
FROM pending
WHERE resolution_due_at IS NOT NULL;
