-- View:      recompute_conversation_measured
-- Not a summary of its own: what the recomputations of support_business_hourly,
-- support_sla_hourly, support_team_hourly and support_label_hourly share, so that verify and
-- rebuild (which compute a recompute view that others read once per scope, into a temporary
-- table) measure each conversation once. One row per conversation of recompute_conversation whose
-- created_at is known: its channel, team and labels; its first response with the first responder
-- and its resolution (while resolved) with the resolver; each duration in calendar seconds (from
-- created_at, never negative) and in business seconds (the business_schedule version in effect at
-- created_at, the latest effective_from at or before it, by sql/functions/tally_business_seconds.sql,
-- the function the trigger calls; calendar seconds without a version); and each target of the
-- sla_policy version in effect at created_at with its breach: 1 when the time, calendar or
-- business as the target says, exceeds the target, 0 when not, null without a target or a figure.
SELECT m.*,
       CASE WHEN m.first_response_at IS NOT NULL AND m.first_response_target IS NOT NULL
            THEN ((CASE WHEN m.first_response_business THEN m.business_first_response_seconds
                        ELSE m.first_response_seconds END) > m.first_response_target)::int
       END AS first_response_breach,
       CASE WHEN m.resolved_at IS NOT NULL AND m.resolution_target IS NOT NULL
            THEN ((CASE WHEN m.resolution_business THEN m.business_resolution_seconds
                        ELSE m.resolution_seconds END) > m.resolution_target)::int
       END AS resolution_breach
FROM (
    SELECT c.workspace_id, c.conversation_id, c.created_at, COALESCE(c.channel_id, '') AS channel_id,
           COALESCE(c.team_id, '') AS team_id, c.labels,
           c.first_response_at, COALESCE(c.first_responder_id, '') AS first_responder_id,
           CASE WHEN c.status = 'resolved' THEN c.last_resolved_at END AS resolved_at,
           COALESCE(c.resolver_id, '') AS resolver_id,
           GREATEST(0, EXTRACT(EPOCH FROM c.first_response_at - c.created_at)) AS first_response_seconds,
           CASE WHEN c.status = 'resolved'
                THEN GREATEST(0, EXTRACT(EPOCH FROM c.last_resolved_at - c.created_at)) END AS resolution_seconds,
           tally_business_seconds(c.created_at, c.first_response_at, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays) AS business_first_response_seconds,
           CASE WHEN c.status = 'resolved'
                THEN tally_business_seconds(c.created_at, c.last_resolved_at, s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays) END AS business_resolution_seconds,
           p.first_response_seconds AS first_response_target, p.first_response_business,
           p.resolution_seconds AS resolution_target, p.resolution_business
    FROM recompute_conversation AS c
    LEFT JOIN LATERAL (
        SELECT s.time_zone, s.weekdays, s.start_minutes, s.end_minutes, s.holidays
        FROM business_schedule AS s
        WHERE s.workspace_id = c.workspace_id AND s.effective_from <= c.created_at
        ORDER BY s.effective_from DESC
        LIMIT 1
    ) AS s ON true
    LEFT JOIN LATERAL (
        SELECT p.first_response_seconds, p.first_response_business, p.resolution_seconds, p.resolution_business
        FROM sla_policy AS p
        WHERE p.workspace_id = c.workspace_id AND p.effective_from <= c.created_at
        ORDER BY p.effective_from DESC
        LIMIT 1
    ) AS p ON true
    WHERE c.created_at IS NOT NULL
) AS m;
