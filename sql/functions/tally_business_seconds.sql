-- Function:  tally_business_seconds(from_at, to_at, time_zone, weekdays, start_minutes,
--                                   end_minutes, holidays)
-- Called by: sql/triggers/event__merge_conversations.sql (the business-hours part, which the
--            erase trigger includes), sql/recompute/support_business_hourly.sql,
--            support_sla_hourly.sql, support_team_hourly.sql and support_label_hourly.sql: the same
--            function on both sides, so the trigger and its recomputation cannot disagree.
-- Returns:   the seconds of [from_at, to_at) that fall inside the open hours of a business
--            schedule: the weekly intervals (weekdays[i] 1 = Monday .. 7 = Sunday, open from
--            start_minutes[i] to end_minutes[i] minutes after local midnight, end at most 1440)
--            of the zone time_zone, except on the local dates in holidays. 0 when to_at is not
--            after from_at; NULL when either is NULL. time_zone NULL means "no schedule": open
--            around the clock, so the result is the calendar duration.
--
-- PL/pgSQL arithmetic, no query: a query in a function pays its executor start-up on every call
-- (about 0.1-0.2 ms here, where the conversation trigger calls this a few hundred times per
-- statement of 1000 events), and a LANGUAGE sql function's body is planned again in every
-- statement that calls it (about 1 ms a call). Each line below is a simple expression, which
-- PL/pgSQL evaluates without the executor: about 5 us for a wait within a day.
--
-- How: for each local date from from_at's to to_at's (holidays skipped), that weekday's
-- intervals; each interval's local start and end are built as local times and converted with the
-- zone (so a day of a DST change has its real length), and its overlap with [from_at, to_at) is
-- summed. The arrays are read in parallel as unnest(weekdays, start_minutes, end_minutes) would
-- (a shorter one reads as NULL). The intervals of a weekday must not overlap (the API and the
-- admin refuse it). It reads no table: the caller passes the schedule, so the Citus form of the
-- trigger can call it on a worker (triggers/shards.py rewrites table names only).
CREATE OR REPLACE FUNCTION tally_business_seconds(
    from_at timestamptz, to_at timestamptz, time_zone text,
    weekdays smallint[], start_minutes int[], end_minutes int[], holidays date[]
) RETURNS numeric
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    day date;
    last_day date;
    weekday int;
    intervals int;
    total numeric := 0;
BEGIN
    IF from_at IS NULL OR to_at IS NULL THEN
        RETURN NULL;
    END IF;
    IF to_at <= from_at THEN
        RETURN 0;
    END IF;
    IF time_zone IS NULL THEN
        RETURN EXTRACT(EPOCH FROM to_at - from_at);
    END IF;
    day := (from_at AT TIME ZONE time_zone)::date;
    last_day := (to_at AT TIME ZONE time_zone)::date;
    intervals := GREATEST(cardinality(weekdays), cardinality(start_minutes), cardinality(end_minutes));
    WHILE day <= last_day LOOP
        IF day <> ALL (COALESCE(holidays, '{}')) THEN
            weekday := EXTRACT(ISODOW FROM day);
            FOR i IN 1 .. COALESCE(intervals, 0) LOOP
                IF weekdays[i] = weekday THEN
                    total := total + GREATEST(0, EXTRACT(EPOCH FROM
                        LEAST(to_at, (day + make_interval(mins => end_minutes[i])) AT TIME ZONE time_zone)
                        - GREATEST(from_at, (day + make_interval(mins => start_minutes[i])) AT TIME ZONE time_zone)));
                END IF;
            END LOOP;
        END IF;
        day := day + 1;
    END LOOP;
    RETURN total;
END
$$;
