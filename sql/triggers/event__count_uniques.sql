-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.
-- Reads:     new_events that carry a user_id or a session_id; the zone of their workspace.
-- Keeps:     event_unique_hourly = sql/recompute/event_unique_hourly.sql: the set of users
--            (kind 'user', member = user_id) and of sessions (kind 'session', member =
--            session_id) seen per UTC hour, per event name and over every name (name ''). A set
--            has no figure to add to: each (hour, name, member) is a row, inserted once and never
--            updated, so arrival order, batching and retries cannot change it.
--            event_unique_period = sql/recompute/event_unique_period.sql: from the hourly rows
--            this statement really inserted (RETURNING), each member per day, week and month of
--            the workspace's zone, with its first and last hour there (min / max: order-free).
--            event_unique_period_count = sql/recompute/event_unique_period_count.sql: +1 at the
--            hour a member's first (last) hour of a period now is, -1 at the hour it was before
--            (previous_first_bucket / previous_last_bucket, set by the same upsert, so the
--            RETURNING row holds both values of the one update that moved them).
-- Locking:   one statement. The hourly INSERT .. ON CONFLICT DO NOTHING, keys sorted: an existing
--            row is neither updated nor locked; a new one is written by the first statement that
--            brings its member in its hour (another statement bringing the same member and hour
--            waits for that one's commit and then inserts nothing, so the periods hear of each
--            hourly row once). The period upsert, keys sorted, updates a member's row only when its
--            first or last hour moves; two statements bringing the same member into the same
--            period (different hours) wait for each other on that row, and each sees and moves
--            what the other wrote. The counts go to this connection's write slot, keys sorted: the
--            writers of one hour that bring new members do not queue on one row. Runs after the
--            session merge (triggers/__init__.py), the order in which the erase trigger locks the
--            same tables.
--            First, the row of each workspace written is locked FOR SHARE (ids in order): a change
--            of that workspace's zone (an UPDATE of the row, whose trigger rebuilds the periods in
--            the new zone: sql/functions/tally_unique_periods_rebuild.sql) waits for this
--            transaction, and this one, arriving during a change, waits for it to commit and then
--            reads the new zone. Writers do not wait for each other (the lock is shared), and
--            the ingestion of other workspaces never waits for a zone change.
--            On Citus this lock is left out (-- @not-on-citus, triggers/shards.py) and a zone
--            change locks the raw table instead, holding every workspace's ingestion.
-- @when EXISTS (SELECT 1 FROM new_events WHERE user_id IS NOT NULL OR session_id IS NOT NULL)
-- @not-on-citus
PERFORM 1
FROM workspace AS w
WHERE w.id IN (SELECT workspace_id FROM new_events WHERE user_id IS NOT NULL OR session_id IS NOT NULL)
ORDER BY w.id
FOR SHARE;

WITH hourly AS (
    INSERT INTO event_unique_hourly (workspace_id, kind, name, bucket, member)
    SELECT DISTINCT e.workspace_id, m.kind, n.name, date_trunc('hour', e.occurred_at, 'UTC'), m.member
    FROM new_events AS e
    CROSS JOIN LATERAL (VALUES ('user', e.user_id), ('session', e.session_id)) AS m (kind, member)
    CROSS JOIN LATERAL (VALUES (e.name), ('')) AS n (name)
    WHERE m.member IS NOT NULL
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, kind, name, bucket, member) DO NOTHING
    RETURNING workspace_id, kind, name, bucket, member
),
periods AS (
    INSERT INTO event_unique_period AS p
        (workspace_id, kind, name, granularity, period, member, first_bucket, last_bucket)
    SELECT h.workspace_id, h.kind, h.name, g.granularity,
           date_trunc(g.granularity, h.bucket AT TIME ZONE w.timezone)::date,
           h.member, min(h.bucket), max(h.bucket)
    FROM hourly AS h
    JOIN workspace AS w ON w.id = h.workspace_id
    CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g (granularity)
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (workspace_id, kind, name, granularity, period, member) DO UPDATE SET
        first_bucket = LEAST(p.first_bucket, EXCLUDED.first_bucket),
        last_bucket = GREATEST(p.last_bucket, EXCLUDED.last_bucket),
        previous_first_bucket = p.first_bucket,
        previous_last_bucket = p.last_bucket
    WHERE EXCLUDED.first_bucket < p.first_bucket OR EXCLUDED.last_bucket > p.last_bucket
    RETURNING p.workspace_id, p.kind, p.name, p.granularity, p.period,
              p.first_bucket, p.last_bucket, p.previous_first_bucket, p.previous_last_bucket
)
INSERT INTO event_unique_period_count AS c
    (workspace_id, kind, name, granularity, period, bucket, slot, firsts, lasts)
SELECT p.workspace_id, p.kind, p.name, p.granularity, p.period, m.bucket, tally_write_slot(),
       sum(m.firsts), sum(m.lasts)
FROM periods AS p
-- A new row has no previous hours (NULL); an updated one moved one of them or both.
CROSS JOIN LATERAL (
    VALUES (p.first_bucket, 1, 0), (p.previous_first_bucket, -1, 0),
           (p.last_bucket, 0, 1), (p.previous_last_bucket, 0, -1)
) AS m (bucket, firsts, lasts)
WHERE m.bucket IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
HAVING sum(m.firsts) <> 0 OR sum(m.lasts) <> 0
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (workspace_id, kind, name, granularity, period, bucket, slot) DO UPDATE SET
    firsts = c.firsts + EXCLUDED.firsts,
    lasts = c.lasts + EXCLUDED.lasts;
RETURN NULL;
