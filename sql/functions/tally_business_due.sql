-- Function:  tally_business_due(from_at, seconds, time_zone, weekdays, start_minutes,
--                               end_minutes, holidays)
-- Called by: sql/triggers/event__merge_conversations.sql (the SLA part, which the erase trigger
--            includes) and sql/recompute/conversation_due.sql.
-- Returns:   the instant at which the open seconds since from_at, under the schedule given as
--            in tally_business_seconds(), reach `seconds`: the due time of a target measured in
--            business time. time_zone NULL (no schedule, open around the clock): from_at +
--            seconds. NULL when either argument is NULL, or when the schedule does not open that
--            long within 3660 days (no interval at all, or holidays all the way).
--
-- PL/pgSQL around one expression, not LANGUAGE sql: PL/pgSQL keeps the plan of its query for
-- the session, where a SQL function's body is planned again in every statement that calls it
-- (about 1 ms against 0.17 ms a call for tally_business_due, measured one call a statement,
-- what a single-event ingest is).
--
-- How: the open intervals from from_at's local date on (each built as local times and converted
-- with the zone), clipped to start at from_at, summed in order; the first whose running sum
-- reaches `seconds` holds the due time, that many seconds before its end. Enough days are
-- generated for the target: a week per weekly open time it takes, plus two, plus a week per
-- holiday from that date on (a holiday closes at most one day); a week is tried first, which
-- gives the same instant when the target falls due within it. Reads no table (see
-- tally_business_seconds.sql).
CREATE OR REPLACE FUNCTION tally_business_due(
    from_at timestamptz, seconds numeric, time_zone text,
    weekdays smallint[], start_minutes int[], end_minutes int[], holidays date[]
) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    due timestamptz;
    horizon int;
BEGIN
    IF from_at IS NULL OR seconds IS NULL THEN
        RETURN NULL;
    END IF;
    IF time_zone IS NULL THEN
        RETURN from_at + make_interval(secs => seconds);
    END IF;
    -- A week first (most targets fall due within it), then the whole span the target may need.
    FOREACH horizon IN ARRAY ARRAY[7, 3660] LOOP
        due := (
            WITH week AS (
                SELECT COALESCE(sum(e - s), 0) * 60 AS open_seconds
                FROM unnest(start_minutes, end_minutes) AS i (s, e)
            ),
            span AS (
                SELECT (from_at AT TIME ZONE time_zone)::date AS first_day,
                       LEAST(horizon, 7 * (ceil(seconds / NULLIF(w.open_seconds, 0)) + 2)
                                   + 7 * (SELECT count(*) FROM unnest(COALESCE(holidays, '{}')) AS h (day)
                                          WHERE h.day >= (from_at AT TIME ZONE time_zone)::date))::int AS days
                FROM week AS w
            ),
            opened AS (
                SELECT GREATEST(from_at, o.open_at) AS open_at, o.close_at
                FROM span
                CROSS JOIN LATERAL generate_series(span.first_day::timestamp,
                                                   (span.first_day + span.days)::timestamp, interval '1 day') AS d (day)
                JOIN unnest(weekdays, start_minutes, end_minutes) AS i (weekday, start_minute, end_minute)
                  ON i.weekday = EXTRACT(ISODOW FROM d.day)
                CROSS JOIN LATERAL (
                    SELECT (d.day + make_interval(mins => i.start_minute)) AT TIME ZONE time_zone AS open_at,
                           (d.day + make_interval(mins => i.end_minute)) AT TIME ZONE time_zone AS close_at
                ) AS o
                WHERE d.day::date <> ALL (COALESCE(holidays, '{}')) AND o.close_at > from_at
            ),
            running AS (
                SELECT close_at, sum(EXTRACT(EPOCH FROM close_at - open_at)) OVER (ORDER BY open_at) AS upto
                FROM opened
            )
            SELECT close_at - make_interval(secs => upto - seconds)
            FROM running
            WHERE upto >= seconds
            ORDER BY close_at
            LIMIT 1
        );
        EXIT WHEN due IS NOT NULL;
    END LOOP;
    RETURN due;
END
$$;
