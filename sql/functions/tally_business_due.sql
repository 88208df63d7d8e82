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
-- PL/pgSQL arithmetic, no query, as tally_business_seconds(): a query in a function pays its
-- executor start-up on every call (the SQL form of this function, one query a call, cost about
-- 0.1 ms, and the conversation trigger calls it for every open conversation it changes that has a
-- target in business time).
--
-- How: the open intervals from from_at's local date on (each built as local times and converted
-- with the zone), clipped to start at from_at, summed in order (by day, and within a day by
-- start; the intervals of a weekday do not overlap: the API and the admin refuse it); the first
-- whose running sum reaches `seconds` holds the due time, that many seconds before its end.
-- Enough days are searched for the target: a week per weekly open time it takes, plus two, plus
-- a week per holiday from that date on (a holiday closes at most one day), at most 3660. Reads no
-- table (see tally_business_seconds.sql).
CREATE OR REPLACE FUNCTION tally_business_due(
    from_at timestamptz, seconds numeric, time_zone text,
    weekdays smallint[], start_minutes int[], end_minutes int[], holidays date[]
) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    first_day date;
    day date;
    weekday int;
    intervals int;
    open_seconds numeric := 0;
    later_holidays int := 0;
    days int;
    previous_start int;
    next int;
    open_at timestamptz;
    close_at timestamptz;
    upto numeric := 0;
BEGIN
    IF from_at IS NULL OR seconds IS NULL THEN
        RETURN NULL;
    END IF;
    IF time_zone IS NULL THEN
        RETURN from_at + make_interval(secs => seconds);
    END IF;
    first_day := (from_at AT TIME ZONE time_zone)::date;
    intervals := COALESCE(GREATEST(cardinality(weekdays), cardinality(start_minutes), cardinality(end_minutes)), 0);
    FOR i IN 1 .. intervals LOOP
        open_seconds := open_seconds + COALESCE((end_minutes[i] - start_minutes[i]) * 60, 0);
    END LOOP;
    FOR i IN 1 .. COALESCE(cardinality(holidays), 0) LOOP
        IF holidays[i] >= first_day THEN
            later_holidays := later_holidays + 1;
        END IF;
    END LOOP;
    -- LEAST ignores a NULL: without open time, the whole 3660 days (and no due time).
    days := LEAST(3660, 7 * (ceil(seconds / NULLIF(open_seconds, 0)) + 2) + 7 * later_holidays)::int;
    day := first_day;
    WHILE day <= first_day + days LOOP
        IF day <> ALL (COALESCE(holidays, '{}')) THEN
            weekday := EXTRACT(ISODOW FROM day);
            previous_start := NULL;
            LOOP
                -- The day's next interval by start.
                next := NULL;
                FOR i IN 1 .. intervals LOOP
                    IF weekdays[i] = weekday AND (previous_start IS NULL OR start_minutes[i] > previous_start)
                       AND (next IS NULL OR start_minutes[i] < start_minutes[next]) THEN
                        next := i;
                    END IF;
                END LOOP;
                EXIT WHEN next IS NULL;
                previous_start := start_minutes[next];
                close_at := (day + make_interval(mins => end_minutes[next])) AT TIME ZONE time_zone;
                IF close_at > from_at THEN
                    open_at := GREATEST(from_at, (day + make_interval(mins => start_minutes[next])) AT TIME ZONE time_zone);
                    upto := upto + EXTRACT(EPOCH FROM close_at - open_at);
                    IF upto >= seconds THEN
                        RETURN close_at - make_interval(secs => upto - seconds);
                    END IF;
                END IF;
            END LOOP;
        END IF;
        day := day + 1;
    END LOOP;
    RETURN NULL;
END
$$;
