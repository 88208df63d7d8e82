-- Trigger:   AFTER DELETE ON event, FOR EACH STATEMENT, deleted rows as old_events.
--            Raw events are deleted only to erase them (DELETE /api/v1/events/{id}, manage.py
--            erase_customer, a DBA's DELETE); retention drops whole partitions, which fires no
--            trigger, and UPDATE stays refused (append_only).
-- Reads:     old_events, and the remaining raw events and sealed state of the keys they touch.
--            Events of workspaces being deleted (sql/functions/tally_deleted_workspaces.sql)
--            are skipped: their summaries are deleted with them.
-- Keeps:     every summary equal to its recomputation from the remaining events:
--            - event_hourly, event_name_hourly, customer_interaction_hourly: each touched key is
--              replaced, its write slots deleted and its recomputation (sql/recompute/,
--              restricted to the key's hour) written into slot 0; a key left without events
--              disappears. A min or a max cannot be subtracted, and replacing costs the same as
--              subtracting the rest.
--            - event_name_lifetime: each touched name recomputed from event_name_hourly once
--              that is rewritten (a scan of the workspace's rows of event_name_hourly).
--            - event_property_hourly_slot: each touched name-hour with declared properties
--              recomputed from the hour's remaining events, into slot 0; event_property_daily:
--              each touched UTC day of such a name recomputed from its hours' slot 0 rows.
--            - agent_slot, channel_slot, customer_slot: the same for each key where a deleted
--              event decided a column of a slot row (first or last seen, the event an attribute
--              came from), merged with the key's sealed state; removing any other event changes
--              no slot row. Such a key reads all its remaining events (an agent has no index of
--              its own on event: a scan of the workspace's events).
--            - session: each touched session set to its recomputation (sql/recompute/session.sql
--              restricted to it: sealed state merged with its remaining events, one index range
--              scan of event by session each); one left with neither is deleted.
--            - event_unique_hourly: each (hour, name or '', user or session) a deleted event
--              carried is deleted unless a remaining event of the hour still carries it (one
--              index range scan of event by user or session each).
--            - event_unique_period, event_unique_period_count: each (period of the zone, name or
--              '', member) a deleted event carried gets the first and last hour of what remains
--              of the member there (its remaining events, and its hourly rows of sealed history);
--              a member with none leaves the period; the counts move from the old hours to the
--              new ones, in this connection's write slot.
--            - conversation: each touched conversation is set to its recomputation
--              (sql/recompute/conversation.sql restricted to it: sealed state merged with its
--              remaining events); one left without events is deleted.
--            - conversation_label: each (conversation, label) a deleted labeled/unlabeled event
--              named is set to the latest of its remaining events and its sealed row
--              (sql/recompute/conversation_label.sql restricted to it), deleted when neither
--              is left; the conversation's labels are then read from it.
--            - support_hourly, support_duration_hourly, support_total_hourly,
--              support_channel_hourly, support_csat_hourly, support_team_hourly,
--              support_label_hourly, support_business_hourly, support_sla_hourly,
--              conversation_due, support_agent_hourly, support_live, support_reply_hourly:
--              the same deltas as
--              ingestion, from the same SQL (the "support summaries" part of
--              event__merge_conversations.sql, included below): -1 for each deleted event, -1
--              for each conversation as it was, +1 for it as it is now, into this connection's
--              write slot.
-- Locking:   SHARE ROW EXCLUSIVE on event first: it waits for the transactions that are
--            inserting events and keeps new ones out until this one commits, so no event can
--            land between a recomputation and its write (the API and erase_customer take it
--            before deleting; two DBAs deleting by hand at once may deadlock and retry). Then
--            the tables in the order ingestion locks them (event_hourly, event_name_hourly,
--            event_name_lifetime, event_property_hourly_slot, event_property_daily (a table lock; ingestion does not write it),
--            customer_interaction_hourly, agent_slot, channel_slot, customer_slot,
--            conversation, support_*, session, event_unique_hourly, event_unique_period,
--            event_unique_period_count), rows in key order. session, event_unique_hourly and
--            event_unique_period need no row locks first: only ingestion, rebuild and this
--            trigger write them, and the table lock keeps the other two out. The rows of the
--            workspaces whose users or sessions are deleted are locked FOR SHARE, as ingestion
--            does, so that a change of their zone (which rebuilds their periods) does not overlap.

LOCK TABLE event IN SHARE ROW EXCLUSIVE MODE;

-- @not-on-citus (triggers/shards.py: a cluster's zone change locks the raw table instead)
PERFORM 1
FROM workspace AS w
WHERE w.id IN (SELECT workspace_id FROM old_events WHERE user_id IS NOT NULL OR session_id IS NOT NULL)
ORDER BY w.id
FOR SHARE;

PERFORM 1
FROM event_hourly AS h
WHERE (h.workspace_id, h.bucket, h.name, h.channel_id, h.agent_id) IN (
    SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), name, COALESCE(channel_id, ''), COALESCE(agent_id, '')
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
ORDER BY h.workspace_id, h.bucket, h.name, h.channel_id, h.agent_id, h.slot
FOR UPDATE;

DELETE FROM event_hourly AS h
USING old_events AS o
WHERE o.workspace_id <> ALL (tally_deleted_workspaces())
  AND (h.workspace_id, h.bucket, h.name, h.channel_id, h.agent_id)
      = (o.workspace_id, date_trunc('hour', o.occurred_at, 'UTC'), o.name, COALESCE(o.channel_id, ''), COALESCE(o.agent_id, ''));

WITH touched AS (
    SELECT DISTINCT workspace_id, date_trunc('hour', occurred_at, 'UTC') AS bucket, name,
           COALESCE(channel_id, '') AS channel_id, COALESCE(agent_id, '') AS agent_id
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
INSERT INTO event_hourly AS h
    (workspace_id, bucket, name, channel_id, agent_id, slot, events, value_count, value_sum, value_min, value_max)
SELECT t.workspace_id, t.bucket, t.name, t.channel_id, t.agent_id, 0,
       r.events, r.value_count, r.value_sum, r.value_min, r.value_max
FROM touched AS t
-- LATERAL: one index range scan of the key's hour each (a join is planned without the bound).
CROSS JOIN LATERAL (
    SELECT count(*) AS events, count(e.value) AS value_count, COALESCE(sum(e.value), 0) AS value_sum,
           min(e.value) AS value_min, max(e.value) AS value_max
    FROM event AS e
    WHERE e.workspace_id = t.workspace_id AND e.name = t.name
      AND e.occurred_at >= t.bucket AND e.occurred_at < t.bucket + interval '1 hour'
      AND COALESCE(e.channel_id, '') = t.channel_id AND COALESCE(e.agent_id, '') = t.agent_id
) AS r
WHERE r.events > 0
ORDER BY 1, 2, 3, 4, 5
-- A concurrent `rollups compact` may have folded the key into slot 0 meanwhile: the
-- recomputation replaces it.
ON CONFLICT (workspace_id, bucket, name, channel_id, agent_id, slot) DO UPDATE SET
    events = EXCLUDED.events,
    value_count = EXCLUDED.value_count,
    value_sum = EXCLUDED.value_sum,
    value_min = EXCLUDED.value_min,
    value_max = EXCLUDED.value_max;

PERFORM 1
FROM event_name_hourly AS n
WHERE (n.workspace_id, n.bucket, n.name) IN (
    SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), name
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
ORDER BY n.workspace_id, n.bucket, n.name, n.slot
FOR UPDATE;

DELETE FROM event_name_hourly AS n
USING old_events AS o
WHERE o.workspace_id <> ALL (tally_deleted_workspaces())
  AND (n.workspace_id, n.bucket, n.name) = (o.workspace_id, date_trunc('hour', o.occurred_at, 'UTC'), o.name);

WITH touched AS (
    SELECT DISTINCT workspace_id, date_trunc('hour', occurred_at, 'UTC') AS bucket, name
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
INSERT INTO event_name_hourly AS n
    (workspace_id, bucket, name, slot, events, value_count, value_sum, value_min, value_max,
     first_seen_at, last_seen_at)
SELECT t.workspace_id, t.bucket, t.name, 0, r.events, r.value_count, r.value_sum, r.value_min, r.value_max,
       r.first_seen_at, r.last_seen_at
FROM touched AS t
CROSS JOIN LATERAL (
    SELECT count(*) AS events, count(e.value) AS value_count, COALESCE(sum(e.value), 0) AS value_sum,
           min(e.value) AS value_min, max(e.value) AS value_max,
           min(e.occurred_at) AS first_seen_at, max(e.occurred_at) AS last_seen_at
    FROM event AS e
    WHERE e.workspace_id = t.workspace_id AND e.name = t.name
      AND e.occurred_at >= t.bucket AND e.occurred_at < t.bucket + interval '1 hour'
) AS r
WHERE r.events > 0
ORDER BY 1, 2, 3
ON CONFLICT (workspace_id, bucket, name, slot) DO UPDATE SET
    events = EXCLUDED.events,
    value_count = EXCLUDED.value_count,
    value_sum = EXCLUDED.value_sum,
    value_min = EXCLUDED.value_min,
    value_max = EXCLUDED.value_max,
    first_seen_at = EXCLUDED.first_seen_at,
    last_seen_at = EXCLUDED.last_seen_at;

-- event_name_lifetime: each touched name is replaced by its recomputation from event_name_hourly
-- as just rewritten (sealed hours included), into slot 0; a name left without events disappears.
PERFORM 1
FROM event_name_lifetime AS l
WHERE (l.workspace_id, l.name) IN (
    SELECT workspace_id, name FROM old_events WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
ORDER BY l.workspace_id, l.name, l.slot
FOR UPDATE;

DELETE FROM event_name_lifetime AS l
USING old_events AS o
WHERE o.workspace_id <> ALL (tally_deleted_workspaces())
  AND (l.workspace_id, l.name) = (o.workspace_id, o.name);

WITH touched AS (
    SELECT DISTINCT workspace_id, name
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
INSERT INTO event_name_lifetime AS l (workspace_id, name, slot, events, first_seen_at, last_seen_at)
SELECT n.workspace_id, n.name, 0, sum(n.events), min(n.first_seen_at), max(n.last_seen_at)
FROM touched AS t
JOIN event_name_hourly AS n USING (workspace_id, name)
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, name, slot) DO UPDATE SET
    events = EXCLUDED.events,
    first_seen_at = EXCLUDED.first_seen_at,
    last_seen_at = EXCLUDED.last_seen_at;

-- event_property_hourly_slot: each touched name-hour with declared properties is replaced by its
-- recomputation from the hour's remaining events (sql/recompute/event_property_hourly.sql
-- restricted to it), into slot 0.
PERFORM 1
FROM event_property_hourly_slot AS h
WHERE (h.workspace_id, h.name, h.bucket) IN (
    SELECT workspace_id, name, date_trunc('hour', occurred_at, 'UTC')
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
ORDER BY h.workspace_id, h.name, h.dimension, h.bucket, h.measure, h.kind, h.value, h.slot
FOR UPDATE;

DELETE FROM event_property_hourly_slot AS h
USING old_events AS o
WHERE o.workspace_id <> ALL (tally_deleted_workspaces())
  AND (h.workspace_id, h.name, h.bucket) = (o.workspace_id, o.name, date_trunc('hour', o.occurred_at, 'UTC'));

WITH touched AS (
    SELECT DISTINCT workspace_id, name, date_trunc('hour', occurred_at, 'UTC') AS bucket
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
      AND (workspace_id, name) IN (SELECT workspace_id, name FROM event_property)
),
remaining AS (
    SELECT r.workspace_id, r.name, r.occurred_at, r.properties
    FROM touched AS t
    CROSS JOIN LATERAL (
        SELECT e.workspace_id, e.name, e.occurred_at, e.properties
        FROM event AS e
        WHERE e.workspace_id = t.workspace_id AND e.name = t.name
          AND e.occurred_at >= t.bucket AND e.occurred_at < t.bucket + interval '1 hour'
    ) AS r
),
breakdowns AS (
    SELECT e.workspace_id, e.name, d.key AS dimension, date_trunc('hour', e.occurred_at, 'UTC') AS bucket, d.cap,
           CASE WHEN e.properties ->> d.key IS NULL THEN 1
                WHEN length(e.properties ->> d.key) > 200 THEN 2
                ELSE 0 END AS kind,
           CASE WHEN length(e.properties ->> d.key) <= 200 THEN e.properties ->> d.key ELSE '' END AS value,
           e.properties
    FROM remaining AS e
    JOIN event_property AS d ON (d.workspace_id, d.name) = (e.workspace_id, e.name) AND d.kind = 'dimension'
    UNION ALL
    SELECT e.workspace_id, e.name, '', date_trunc('hour', e.occurred_at, 'UTC'), NULL, 0, '', e.properties
    FROM remaining AS e
    WHERE (e.workspace_id, e.name) IN (SELECT workspace_id, name FROM event_property WHERE kind = 'measure')
),
amounts AS (
    SELECT b.workspace_id, b.name, b.dimension, b.bucket, b.cap, b.kind, b.value, m.key AS measure,
           CASE WHEN jsonb_typeof(b.properties -> m.key) = 'number' THEN (b.properties ->> m.key)::numeric END AS amount
    FROM breakdowns AS b
    JOIN event_property AS m ON (m.workspace_id, m.name) = (b.workspace_id, b.name) AND m.kind = 'measure'
    UNION ALL
    SELECT b.workspace_id, b.name, b.dimension, b.bucket, b.cap, b.kind, b.value, '', NULL
    FROM breakdowns AS b
    WHERE (b.workspace_id, b.name) NOT IN (SELECT workspace_id, name FROM event_property WHERE kind = 'measure')
),
counted AS (
    SELECT workspace_id, name, dimension, bucket, measure, kind, value, max(cap) AS cap,
           count(*) AS events, count(amount) AS amount_count, COALESCE(sum(amount), 0) AS amount_sum,
           min(amount) AS amount_min, max(amount) AS amount_max
    FROM amounts
    GROUP BY 1, 2, 3, 4, 5, 6, 7
),
ranked AS (
    SELECT c.*,
           c.kind = 0 AND c.dimension <> ''
           AND dense_rank() OVER (PARTITION BY workspace_id, name, dimension, bucket, kind ORDER BY value COLLATE "C") > cap
           AS over
    FROM counted AS c
)
INSERT INTO event_property_hourly_slot AS h
    (workspace_id, name, dimension, bucket, measure, kind, value, slot,
     events, amount_count, amount_sum, amount_min, amount_max)
SELECT workspace_id, name, dimension, bucket, measure,
       CASE WHEN over THEN 2 ELSE kind END, CASE WHEN over THEN '' ELSE value END, 0,
       sum(events), sum(amount_count), sum(amount_sum), min(amount_min), max(amount_max)
FROM ranked
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT (workspace_id, name, dimension, bucket, measure, kind, value, slot) DO UPDATE SET
    events = EXCLUDED.events,
    amount_count = EXCLUDED.amount_count,
    amount_sum = EXCLUDED.amount_sum,
    amount_min = EXCLUDED.amount_min,
    amount_max = EXCLUDED.amount_max;

-- event_property_daily: each touched UTC day of a name with declared properties is replaced by its
-- recomputation from the slot 0 rows of its hours, those just rewritten included (the statements
-- of analytics/catalogue/days.py). The table lock, taken after the hourly rows are, makes a
-- compaction of the same day wait for this commit, and then recompute from it.
LOCK TABLE event_property_daily IN SHARE ROW EXCLUSIVE MODE;

DELETE FROM event_property_daily AS d
USING old_events AS o
WHERE o.workspace_id <> ALL (tally_deleted_workspaces())
  AND (d.workspace_id, d.name, d.bucket) = (o.workspace_id, o.name, date_trunc('day', o.occurred_at, 'UTC'));

WITH touched AS (
    SELECT DISTINCT workspace_id, name, date_trunc('day', occurred_at, 'UTC') AS bucket
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
      AND (workspace_id, name) IN (SELECT workspace_id, name FROM event_property)
)
INSERT INTO event_property_daily
    (workspace_id, name, dimension, bucket, measure, kind, value,
     events, amount_count, amount_sum, amount_min, amount_max)
SELECT t.workspace_id, t.name, r.dimension, t.bucket, r.measure,
       CASE WHEN r.over THEN 2 ELSE r.kind END, CASE WHEN r.over THEN '' ELSE r.value END,
       sum(r.events), sum(r.amount_count), sum(r.amount_sum), min(r.amount_min), max(r.amount_max)
FROM touched AS t
CROSS JOIN LATERAL (
    SELECT s.dimension, s.measure, s.kind, s.value, s.events, s.amount_count, s.amount_sum, s.amount_min, s.amount_max,
           s.kind = 0 AND s.dimension <> ''
           AND dense_rank() OVER (PARTITION BY s.dimension, s.bucket, s.kind ORDER BY s.value) > p.cap AS over
    FROM (
        SELECT key AS dimension, cap FROM event_property
        WHERE workspace_id = t.workspace_id AND name = t.name AND kind = 'dimension'
        UNION ALL
        SELECT '', NULL
    ) AS p
    JOIN event_property_hourly_slot AS s
      ON s.workspace_id = t.workspace_id AND s.name = t.name AND s.dimension = p.dimension
     AND s.bucket >= t.bucket AND s.bucket < t.bucket + interval '24 hours' AND s.slot = 0
) AS r
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7;

PERFORM 1
FROM customer_interaction_hourly AS h
WHERE (h.workspace_id, h.bucket, h.customer_id, h.channel_id) IN (
    SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), customer_id, channel_id
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
ORDER BY h.workspace_id, h.bucket, h.customer_id, h.channel_id, h.slot
FOR UPDATE;

DELETE FROM customer_interaction_hourly AS h
USING old_events AS o
WHERE o.workspace_id <> ALL (tally_deleted_workspaces())
  AND (h.workspace_id, h.bucket, h.customer_id, h.channel_id)
      = (o.workspace_id, date_trunc('hour', o.occurred_at, 'UTC'), o.customer_id, o.channel_id);

WITH touched AS (
    SELECT DISTINCT workspace_id, date_trunc('hour', occurred_at, 'UTC') AS bucket, customer_id, channel_id
    FROM old_events
    WHERE workspace_id <> ALL (tally_deleted_workspaces())
      AND customer_id IS NOT NULL AND channel_id IS NOT NULL
)
INSERT INTO customer_interaction_hourly AS h (workspace_id, bucket, customer_id, channel_id, slot, interactions)
SELECT t.workspace_id, t.bucket, t.customer_id, t.channel_id, 0, r.interactions
FROM touched AS t
CROSS JOIN LATERAL (
    SELECT count(*) AS interactions
    FROM event AS e
    WHERE e.workspace_id = t.workspace_id AND e.customer_id = t.customer_id AND e.channel_id = t.channel_id
      AND e.occurred_at >= t.bucket AND e.occurred_at < t.bucket + interval '1 hour'
) AS r
WHERE r.interactions > 0
ORDER BY 1, 2, 3, 4
ON CONFLICT (workspace_id, bucket, customer_id, channel_id, slot) DO UPDATE SET
    interactions = EXCLUDED.interactions;

-- Dimensions: merge(sealed state, remaining events) per affected key, by the rules of
-- sql/recompute/agent.sql, channel.sql and customer.sql.
PERFORM 1
FROM agent_slot AS d
WHERE (d.workspace_id, d.agent_id) IN (
    SELECT workspace_id, agent_id FROM old_events WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
ORDER BY d.workspace_id, d.agent_id, d.slot
FOR UPDATE;

WITH affected AS (
    -- The keys where a deleted event decided a column of some slot row (its first or last seen,
    -- or the event an attribute came from); removing any other event changes no slot row.
    SELECT DISTINCT d.workspace_id, d.agent_id
    FROM agent_slot AS d
    JOIN old_events AS o ON o.workspace_id = d.workspace_id AND o.agent_id = d.agent_id
    WHERE o.workspace_id <> ALL (tally_deleted_workspaces())
      AND (o.occurred_at IN (d.first_seen_at, d.last_seen_at) OR o.event_id IN (d.name_event_id, d.email_event_id))
),
parts AS (
    SELECT e.workspace_id,
           e.agent_id,
           (array_agg(e.agent_name ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.agent_name IS NOT NULL))[1] AS name,
           max(e.occurred_at) FILTER (WHERE e.agent_name IS NOT NULL) AS name_at,
           (array_agg(e.event_id ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.agent_name IS NOT NULL))[1] AS name_event_id,
           (array_agg(e.agent_email ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.agent_email IS NOT NULL))[1] AS email,
           max(e.occurred_at) FILTER (WHERE e.agent_email IS NOT NULL) AS email_at,
           (array_agg(e.event_id ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.agent_email IS NOT NULL))[1] AS email_event_id,
           min(e.occurred_at) AS first_seen_at,
           max(e.occurred_at) AS last_seen_at
    FROM affected AS t
    JOIN event AS e USING (workspace_id, agent_id)
    GROUP BY 1, 2
    UNION ALL
    SELECT s.workspace_id, s.agent_id, s.name, s.name_at, s.name_event_id, s.email, s.email_at, s.email_event_id,
           s.first_seen_at, s.last_seen_at
    FROM affected AS t
    JOIN agent_sealed AS s USING (workspace_id, agent_id)
),
recomputed AS (
    SELECT agent_id, workspace_id FROM parts GROUP BY 1, 2
),
-- The affected keys' slot rows go, but for slot 0 of a key that is recomputed (the upsert below
-- replaces it: one statement must not delete and insert the same key).
removed AS (
    DELETE FROM agent_slot AS d
    USING affected AS a
    WHERE (d.workspace_id, d.agent_id) = (a.workspace_id, a.agent_id)
      AND (d.slot <> 0 OR (d.workspace_id, d.agent_id) NOT IN (SELECT workspace_id, agent_id FROM recomputed))
)
INSERT INTO agent_slot AS d
    (workspace_id, agent_id, slot, name, name_at, name_event_id, email, email_at, email_event_id, first_seen_at, last_seen_at)
SELECT workspace_id,
       agent_id,
       0,
       (array_agg(name ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1],
       max(name_at),
       (array_agg(name_event_id ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1],
       (array_agg(email ORDER BY email_at DESC NULLS LAST, email_event_id DESC NULLS LAST))[1],
       max(email_at),
       (array_agg(email_event_id ORDER BY email_at DESC NULLS LAST, email_event_id DESC NULLS LAST))[1],
       min(first_seen_at),
       max(last_seen_at)
FROM parts
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, agent_id, slot) DO UPDATE SET
    name = EXCLUDED.name, name_at = EXCLUDED.name_at, name_event_id = EXCLUDED.name_event_id,
    email = EXCLUDED.email, email_at = EXCLUDED.email_at, email_event_id = EXCLUDED.email_event_id,
    first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at;

PERFORM 1
FROM channel_slot AS d
WHERE (d.workspace_id, d.channel_id) IN (
    SELECT workspace_id, channel_id FROM old_events WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
ORDER BY d.workspace_id, d.channel_id, d.slot
FOR UPDATE;

WITH affected AS (
    -- The keys where a deleted event decided a column of some slot row (its first or last seen,
    -- or the event an attribute came from); removing any other event changes no slot row.
    SELECT DISTINCT d.workspace_id, d.channel_id
    FROM channel_slot AS d
    JOIN old_events AS o ON o.workspace_id = d.workspace_id AND o.channel_id = d.channel_id
    WHERE o.workspace_id <> ALL (tally_deleted_workspaces())
      AND (o.occurred_at IN (d.first_seen_at, d.last_seen_at) OR o.event_id = d.name_event_id)
),
parts AS (
    SELECT e.workspace_id,
           e.channel_id,
           (array_agg(e.channel_name ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.channel_name IS NOT NULL))[1] AS name,
           max(e.occurred_at) FILTER (WHERE e.channel_name IS NOT NULL) AS name_at,
           (array_agg(e.event_id ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.channel_name IS NOT NULL))[1] AS name_event_id,
           min(e.occurred_at) AS first_seen_at,
           max(e.occurred_at) AS last_seen_at
    FROM affected AS t
    JOIN event AS e USING (workspace_id, channel_id)
    GROUP BY 1, 2
    UNION ALL
    SELECT s.workspace_id, s.channel_id, s.name, s.name_at, s.name_event_id, s.first_seen_at, s.last_seen_at
    FROM affected AS t
    JOIN channel_sealed AS s USING (workspace_id, channel_id)
),
recomputed AS (
    SELECT channel_id, workspace_id FROM parts GROUP BY 1, 2
),
-- The affected keys' slot rows go, but for slot 0 of a key that is recomputed (the upsert below
-- replaces it: one statement must not delete and insert the same key).
removed AS (
    DELETE FROM channel_slot AS d
    USING affected AS a
    WHERE (d.workspace_id, d.channel_id) = (a.workspace_id, a.channel_id)
      AND (d.slot <> 0 OR (d.workspace_id, d.channel_id) NOT IN (SELECT workspace_id, channel_id FROM recomputed))
)
INSERT INTO channel_slot AS d (workspace_id, channel_id, slot, name, name_at, name_event_id, first_seen_at, last_seen_at)
SELECT workspace_id,
       channel_id,
       0,
       (array_agg(name ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1],
       max(name_at),
       (array_agg(name_event_id ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1],
       min(first_seen_at),
       max(last_seen_at)
FROM parts
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, channel_id, slot) DO UPDATE SET
    name = EXCLUDED.name, name_at = EXCLUDED.name_at, name_event_id = EXCLUDED.name_event_id,
    first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at;

PERFORM 1
FROM customer_slot AS d
WHERE (d.workspace_id, d.customer_id) IN (
    SELECT workspace_id, customer_id FROM old_events WHERE workspace_id <> ALL (tally_deleted_workspaces())
)
ORDER BY d.workspace_id, d.customer_id, d.slot
FOR UPDATE;

WITH affected AS (
    -- The keys where a deleted event decided a column of some slot row (its first or last seen,
    -- or the event an attribute came from); removing any other event changes no slot row.
    SELECT DISTINCT d.workspace_id, d.customer_id
    FROM customer_slot AS d
    JOIN old_events AS o ON o.workspace_id = d.workspace_id AND o.customer_id = d.customer_id
    WHERE o.workspace_id <> ALL (tally_deleted_workspaces())
      AND (o.occurred_at IN (d.first_seen_at, d.last_seen_at) OR o.event_id IN (d.name_event_id, d.type_event_id, d.occupation_event_id))
),
parts AS (
    SELECT e.workspace_id,
           e.customer_id,
           (array_agg(e.customer_name ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.customer_name IS NOT NULL))[1] AS name,
           max(e.occurred_at) FILTER (WHERE e.customer_name IS NOT NULL) AS name_at,
           (array_agg(e.event_id ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.customer_name IS NOT NULL))[1] AS name_event_id,
           (array_agg(e.customer_type ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.customer_type IS NOT NULL))[1] AS type,
           max(e.occurred_at) FILTER (WHERE e.customer_type IS NOT NULL) AS type_at,
           (array_agg(e.event_id ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.customer_type IS NOT NULL))[1] AS type_event_id,
           (array_agg(e.customer_occupation ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.customer_occupation IS NOT NULL))[1] AS occupation,
           max(e.occurred_at) FILTER (WHERE e.customer_occupation IS NOT NULL) AS occupation_at,
           (array_agg(e.event_id ORDER BY e.occurred_at DESC, e.event_id DESC) FILTER (WHERE e.customer_occupation IS NOT NULL))[1] AS occupation_event_id,
           min(e.occurred_at) AS first_seen_at,
           max(e.occurred_at) AS last_seen_at
    FROM affected AS t
    JOIN event AS e USING (workspace_id, customer_id)
    GROUP BY 1, 2
    UNION ALL
    SELECT s.workspace_id, s.customer_id, s.name, s.name_at, s.name_event_id, s.type, s.type_at, s.type_event_id,
           s.occupation, s.occupation_at, s.occupation_event_id, s.first_seen_at, s.last_seen_at
    FROM affected AS t
    JOIN customer_sealed AS s USING (workspace_id, customer_id)
),
recomputed AS (
    SELECT customer_id, workspace_id FROM parts GROUP BY 1, 2
),
-- The affected keys' slot rows go, but for slot 0 of a key that is recomputed (the upsert below
-- replaces it: one statement must not delete and insert the same key).
removed AS (
    DELETE FROM customer_slot AS d
    USING affected AS a
    WHERE (d.workspace_id, d.customer_id) = (a.workspace_id, a.customer_id)
      AND (d.slot <> 0 OR (d.workspace_id, d.customer_id) NOT IN (SELECT workspace_id, customer_id FROM recomputed))
)
INSERT INTO customer_slot AS d
    (workspace_id, customer_id, slot, name, name_at, name_event_id, type, type_at, type_event_id,
     occupation, occupation_at, occupation_event_id, first_seen_at, last_seen_at)
SELECT workspace_id,
       customer_id,
       0,
       (array_agg(name ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1],
       max(name_at),
       (array_agg(name_event_id ORDER BY name_at DESC NULLS LAST, name_event_id DESC NULLS LAST))[1],
       (array_agg(type ORDER BY type_at DESC NULLS LAST, type_event_id DESC NULLS LAST))[1],
       max(type_at),
       (array_agg(type_event_id ORDER BY type_at DESC NULLS LAST, type_event_id DESC NULLS LAST))[1],
       (array_agg(occupation ORDER BY occupation_at DESC NULLS LAST, occupation_event_id DESC NULLS LAST))[1],
       max(occupation_at),
       (array_agg(occupation_event_id ORDER BY occupation_at DESC NULLS LAST, occupation_event_id DESC NULLS LAST))[1],
       min(first_seen_at),
       max(last_seen_at)
FROM parts
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, customer_id, slot) DO UPDATE SET
    name = EXCLUDED.name, name_at = EXCLUDED.name_at, name_event_id = EXCLUDED.name_event_id,
    type = EXCLUDED.type, type_at = EXCLUDED.type_at, type_event_id = EXCLUDED.type_event_id,
    occupation = EXCLUDED.occupation, occupation_at = EXCLUDED.occupation_at,
    occupation_event_id = EXCLUDED.occupation_event_id,
    first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at;

-- Conversations.
PERFORM 1
FROM conversation AS c
WHERE (c.workspace_id, c.conversation_id) IN (
    SELECT workspace_id, conversation_id
    FROM old_events
    WHERE name LIKE 'conversation.%' AND workspace_id <> ALL (tally_deleted_workspaces())
)
ORDER BY c.workspace_id, c.conversation_id
FOR UPDATE;

-- Labels, with the conversation rows held: each (conversation, label) that a deleted event named
-- becomes the latest of its remaining events and its sealed row, or disappears with neither.
WITH label_touched AS (
    SELECT DISTINCT workspace_id, conversation_id, properties ->> 'label' AS label
    FROM old_events
    WHERE name IN ('conversation.labeled', 'conversation.unlabeled') AND properties ->> 'label' IS NOT NULL
      AND workspace_id <> ALL (tally_deleted_workspaces())
),
label_candidates AS (
    SELECT t.workspace_id, t.conversation_id, t.label, e.name = 'conversation.labeled' AS labeled,
           e.occurred_at AS decided_at, e.event_id AS decided_event_id
    FROM label_touched AS t
    JOIN event AS e
      ON e.workspace_id = t.workspace_id AND e.conversation_id = t.conversation_id
     AND e.name IN ('conversation.labeled', 'conversation.unlabeled') AND e.properties ->> 'label' = t.label
    UNION ALL
    SELECT s.workspace_id, s.conversation_id, s.label, s.labeled, s.decided_at, s.decided_event_id
    FROM label_touched AS t
    JOIN conversation_label_sealed AS s
      ON s.workspace_id = t.workspace_id AND s.conversation_id = t.conversation_id AND s.label = t.label
),
label_latest AS (
    SELECT DISTINCT ON (workspace_id, conversation_id, label) *
    FROM label_candidates
    ORDER BY workspace_id, conversation_id, label, decided_at DESC, decided_event_id DESC
),
label_gone AS (
    DELETE FROM conversation_label AS l
    USING label_touched AS t
    WHERE l.workspace_id = t.workspace_id AND l.conversation_id = t.conversation_id AND l.label = t.label
      AND NOT EXISTS (
          SELECT 1 FROM label_latest AS k
          WHERE k.workspace_id = t.workspace_id AND k.conversation_id = t.conversation_id AND k.label = t.label
      )
)
INSERT INTO conversation_label AS l (workspace_id, conversation_id, label, labeled, decided_at, decided_event_id)
SELECT workspace_id, conversation_id, label, labeled, decided_at, decided_event_id
FROM label_latest
ORDER BY 1, 2, 3
ON CONFLICT (workspace_id, conversation_id, label) DO UPDATE SET
    labeled = EXCLUDED.labeled,
    decided_at = EXCLUDED.decided_at,
    decided_event_id = EXCLUDED.decided_event_id;

WITH conversation_events AS (
    -- The deleted events, counted -1 in the support summaries.
    SELECT *, -1 AS weight
    FROM old_events
    WHERE name LIKE 'conversation.%' AND workspace_id <> ALL (tally_deleted_workspaces())
),
touched AS (
    SELECT DISTINCT workspace_id, conversation_id FROM conversation_events
),
remaining AS (
    SELECT e.*, (e.name <> 'conversation.created')::int AS source_rank
    FROM touched AS t
    JOIN event AS e USING (workspace_id, conversation_id)
    WHERE e.name LIKE 'conversation.%'
),
parts AS (
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
           (array_agg(properties ->> 'team' ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.assigned'))[1] AS team_id,
           min(occurred_at) FILTER (WHERE name = 'conversation.agent_replied') AS first_response_at,
           (array_agg(agent_id ORDER BY occurred_at, event_id) FILTER (WHERE name = 'conversation.agent_replied'))[1] AS first_responder_id,
           (array_agg(event_id ORDER BY occurred_at, event_id) FILTER (WHERE name = 'conversation.agent_replied'))[1] AS first_response_event_id,
           min(occurred_at) FILTER (WHERE name = 'conversation.resolved') AS first_resolved_at,
           max(occurred_at) FILTER (WHERE name = 'conversation.resolved') AS last_resolved_at,
           (array_agg(agent_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.resolved'))[1] AS resolver_id,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.resolved'))[1] AS resolved_event_id,
           max(occurred_at) FILTER (WHERE name = 'conversation.reopened') AS last_reopened_at,
           (array_agg(value::smallint ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.rated'))[1] AS rating,
           max(occurred_at) FILTER (WHERE name = 'conversation.rated') AS rated_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE name = 'conversation.rated'))[1] AS rated_event_id,
           count(*) FILTER (WHERE name = 'conversation.agent_replied')::int AS agent_replies,
           count(*) FILTER (WHERE name = 'conversation.customer_replied')::int AS customer_replies,
           max(occurred_at) AS last_event_at
    FROM remaining
    GROUP BY workspace_id, conversation_id
    UNION ALL
    SELECT s.workspace_id, s.conversation_id, s.channel_id, s.channel_rank, s.channel_at, s.channel_event_id,
           s.customer_id, s.customer_rank, s.customer_at, s.customer_event_id, s.created_at, s.first_assigned_at,
           s.assignee_id, s.assigned_at, s.assigned_event_id, s.team_id, s.first_response_at, s.first_responder_id,
           s.first_response_event_id, s.first_resolved_at, s.last_resolved_at, s.resolver_id, s.resolved_event_id,
           s.last_reopened_at, s.rating, s.rated_at, s.rated_event_id, s.agent_replies, s.customer_replies, s.last_event_at
    FROM touched AS t
    JOIN conversation_sealed AS s USING (workspace_id, conversation_id)
),
recomputed AS (
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
           sum(agent_replies)::int AS agent_replies,
           sum(customer_replies)::int AS customer_replies,
           max(last_event_at) AS last_event_at
    FROM parts
    GROUP BY workspace_id, conversation_id
),
before AS (
    SELECT t.workspace_id, t.conversation_id, c AS before_row
    FROM touched AS t
    JOIN conversation AS c USING (workspace_id, conversation_id)
),
-- Each touched conversation becomes its recomputation; one without events any more becomes
-- empty here (it then counts nothing) and is deleted by the next statement.
changed AS (
    UPDATE conversation AS c SET
        channel_id = r.channel_id,
        channel_rank = r.channel_rank,
        channel_at = r.channel_at,
        channel_event_id = r.channel_event_id,
        customer_id = r.customer_id,
        customer_rank = r.customer_rank,
        customer_at = r.customer_at,
        customer_event_id = r.customer_event_id,
        created_at = r.created_at,
        first_assigned_at = r.first_assigned_at,
        assignee_id = r.assignee_id,
        assigned_at = r.assigned_at,
        assigned_event_id = r.assigned_event_id,
        team_id = r.team_id,
        first_response_at = r.first_response_at,
        first_responder_id = r.first_responder_id,
        first_response_event_id = r.first_response_event_id,
        first_resolved_at = r.first_resolved_at,
        last_resolved_at = r.last_resolved_at,
        resolver_id = r.resolver_id,
        resolved_event_id = r.resolved_event_id,
        last_reopened_at = r.last_reopened_at,
        rating = r.rating,
        rated_at = r.rated_at,
        rated_event_id = r.rated_event_id,
        agent_replies = COALESCE(r.agent_replies, 0),
        customer_replies = COALESCE(r.customer_replies, 0),
        last_event_at = r.last_event_at,
        labels = COALESCE((
            SELECT array_agg(cl.label::text ORDER BY cl.label COLLATE "C")
            FROM conversation_label AS cl
            WHERE cl.workspace_id = c.workspace_id AND cl.conversation_id = c.conversation_id AND cl.labeled
        ), '{}')
    FROM before AS b
    LEFT JOIN recomputed AS r USING (workspace_id, conversation_id)
    WHERE c.workspace_id = b.workspace_id AND c.conversation_id = b.conversation_id
    RETURNING b.before_row, c AS after_row
),
-- Reply times: each touched conversation paired as it was, with the deleted messages (-1), and
-- as it is now (+1), by the same SQL as ingestion (the "reply times" part of
-- event__merge_conversations.sql), before the support summaries, which add them to the
-- per-total, channel and agent rows.
reply_touched AS (
    SELECT workspace_id, conversation_id, min(occurred_at) AS first_at
    FROM old_events
    WHERE name IN ('conversation.customer_replied', 'conversation.agent_replied')
      AND workspace_id <> ALL (tally_deleted_workspaces())
    GROUP BY 1, 2
),
-- since: the latest remaining agent reply before the first deleted message of the conversation.
-- A message before it is answered at or before it whatever the statement removes, so both
-- versions pair only the messages from there on; with no such reply, all of them, and the sealed
-- ones still waiting. One backward index scan each.
reply_bounds AS (
    SELECT t.workspace_id, t.conversation_id, b.since
    FROM reply_touched AS t
    CROSS JOIN LATERAL (
        SELECT max(e.occurred_at) AS since
        FROM event AS e
        WHERE e.workspace_id = t.workspace_id AND e.conversation_id = t.conversation_id
          AND e.conversation_id IS NOT NULL AND e.name = 'conversation.agent_replied'
          AND e.occurred_at < t.first_at
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
    SELECT 1 AS sign, * FROM reply_kept
    UNION ALL
    SELECT -1, * FROM reply_kept
    UNION ALL
    SELECT -1, workspace_id, conversation_id, name = 'conversation.agent_replied', occurred_at, event_id, channel_id, agent_id
    FROM old_events
    WHERE name IN ('conversation.customer_replied', 'conversation.agent_replied')
      AND workspace_id <> ALL (tally_deleted_workspaces())
),
-- @include event__merge_conversations.sql: reply times
-- @include event__merge_conversations.sql: support summaries

DELETE FROM conversation AS c
USING old_events AS o
WHERE o.name LIKE 'conversation.%'
  AND o.workspace_id <> ALL (tally_deleted_workspaces())
  AND (c.workspace_id, c.conversation_id) = (o.workspace_id, o.conversation_id)
  AND c.last_event_at IS NULL;


-- Sessions: each touched session becomes its recomputation from its sealed state and remaining
-- events; one left with neither goes.
WITH session_touched AS (
    SELECT DISTINCT workspace_id, session_id
    FROM old_events
    WHERE session_id IS NOT NULL AND workspace_id <> ALL (tally_deleted_workspaces())
),
session_parts AS (
    SELECT e.workspace_id, e.session_id, min(e.occurred_at) AS first_event_at, max(e.occurred_at) AS last_event_at,
           count(*) AS events,
           (array_agg(e.user_id ORDER BY e.occurred_at, e.event_id) FILTER (WHERE e.user_id IS NOT NULL))[1] AS user_id,
           min(e.occurred_at) FILTER (WHERE e.user_id IS NOT NULL) AS user_at,
           (array_agg(e.event_id ORDER BY e.occurred_at, e.event_id) FILTER (WHERE e.user_id IS NOT NULL))[1] AS user_event_id
    FROM session_touched AS t
    JOIN event AS e ON e.workspace_id = t.workspace_id AND e.session_id = t.session_id
    GROUP BY 1, 2
    UNION ALL
    SELECT s.workspace_id, s.session_id, s.first_event_at, s.last_event_at, s.events, s.user_id, s.user_at, s.user_event_id
    FROM session_touched AS t
    JOIN session_sealed AS s ON s.workspace_id = t.workspace_id AND s.session_id = t.session_id
),
session_recomputed AS (
    SELECT workspace_id, session_id, min(first_event_at) AS first_event_at, max(last_event_at) AS last_event_at,
           sum(events)::bigint AS events,
           (array_agg(user_id ORDER BY user_at, user_event_id) FILTER (WHERE user_at IS NOT NULL))[1] AS user_id,
           min(user_at) AS user_at,
           (array_agg(user_event_id ORDER BY user_at, user_event_id) FILTER (WHERE user_at IS NOT NULL))[1] AS user_event_id
    FROM session_parts
    GROUP BY 1, 2
),
session_removed AS (
    DELETE FROM session AS s
    USING session_touched AS t
    WHERE (s.workspace_id, s.session_id) = (t.workspace_id, t.session_id)
      AND (t.workspace_id, t.session_id) NOT IN (SELECT workspace_id, session_id FROM session_recomputed)
)
UPDATE session AS s
SET first_event_at = r.first_event_at, last_event_at = r.last_event_at, events = r.events,
    user_id = r.user_id, user_at = r.user_at, user_event_id = r.user_event_id
FROM session_recomputed AS r
WHERE (s.workspace_id, s.session_id) = (r.workspace_id, r.session_id);

-- Unique users and sessions: a member stays in an hour's set while a remaining event of the hour
-- (of the name, or of any name for name '') carries it.
DELETE FROM event_unique_hourly AS u
USING (
    SELECT DISTINCT o.workspace_id, m.kind, n.name, date_trunc('hour', o.occurred_at, 'UTC') AS bucket, m.member
    FROM old_events AS o
    CROSS JOIN LATERAL (VALUES ('user', o.user_id), ('session', o.session_id)) AS m (kind, member)
    CROSS JOIN LATERAL (VALUES (o.name), ('')) AS n (name)
    WHERE m.member IS NOT NULL AND o.workspace_id <> ALL (tally_deleted_workspaces())
) AS t
WHERE (u.workspace_id, u.kind, u.name, u.bucket, u.member) = (t.workspace_id, t.kind, t.name, t.bucket, t.member)
  AND NOT EXISTS (
      SELECT 1
      FROM event AS e
      WHERE e.workspace_id = t.workspace_id
        AND e.occurred_at >= t.bucket AND e.occurred_at < t.bucket + interval '1 hour'
        AND (t.name = '' OR e.name = t.name)
        AND ((t.kind = 'user' AND e.user_id = t.member) OR (t.kind = 'session' AND e.session_id = t.member))
  );

-- The periods of the zone: each touched member's first and last hour in each touched period,
-- from what remains (a statement of its own, so it sees the hourly rows just deleted as gone):
-- the hours of its remaining raw events (one index range scan of event by user or session),
-- and its hourly rows older than the workspace's oldest raw event (sealed history, whose raw
-- events are retired; none to read without retention). A member left with no hour in a period
-- leaves it; the counts move by -1 at the old first/last hour and +1 at the new one, in this
-- connection's write slot.
WITH touched AS (
    SELECT DISTINCT o.workspace_id, m.kind, n.name, g.granularity,
           date_trunc(g.granularity, date_trunc('hour', o.occurred_at, 'UTC') AT TIME ZONE w.timezone) AS local_start,
           w.timezone, m.member
    FROM old_events AS o
    JOIN workspace AS w ON w.id = o.workspace_id
    CROSS JOIN LATERAL (VALUES ('user', o.user_id), ('session', o.session_id)) AS m (kind, member)
    CROSS JOIN LATERAL (VALUES (o.name), ('')) AS n (name)
    CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g (granularity)
    WHERE m.member IS NOT NULL AND o.workspace_id <> ALL (tally_deleted_workspaces())
),
bounded AS (
    SELECT t.*, t.local_start::date AS period,
           t.local_start AT TIME ZONE t.timezone AS period_start,
           (t.local_start + ('1 ' || t.granularity)::interval) AT TIME ZONE t.timezone AS period_end,
           (SELECT date_trunc('hour', min(e.occurred_at), 'UTC') FROM event AS e WHERE e.workspace_id = t.workspace_id) AS retained_from
    FROM touched AS t
),
remaining AS (
    SELECT b.workspace_id, b.kind, b.name, b.granularity, b.period, b.member, r.first_bucket, r.last_bucket
    FROM bounded AS b
    CROSS JOIN LATERAL (
        SELECT min(x.bucket) AS first_bucket, max(x.bucket) AS last_bucket
        FROM (
            SELECT date_trunc('hour', e.occurred_at, 'UTC') AS bucket
            FROM event AS e
            WHERE b.kind = 'user' AND e.workspace_id = b.workspace_id AND e.user_id = b.member
              AND e.occurred_at >= b.period_start - interval '1 hour' AND e.occurred_at < b.period_end
              AND (b.name = '' OR e.name = b.name)
            UNION ALL
            SELECT date_trunc('hour', e.occurred_at, 'UTC')
            FROM event AS e
            WHERE b.kind = 'session' AND e.workspace_id = b.workspace_id AND e.session_id = b.member
              AND e.occurred_at >= b.period_start - interval '1 hour' AND e.occurred_at < b.period_end
              AND (b.name = '' OR e.name = b.name)
            UNION ALL
            SELECT h.bucket
            FROM event_unique_hourly AS h
            WHERE h.workspace_id = b.workspace_id AND h.kind = b.kind AND h.name = b.name
              AND h.bucket >= b.period_start AND h.bucket < LEAST(b.period_end, b.retained_from)
              AND h.member = b.member
        ) AS x
        WHERE x.bucket >= b.period_start AND x.bucket < b.period_end
    ) AS r
),
changed AS (
    SELECT r.*, p.first_bucket AS was_first, p.last_bucket AS was_last
    FROM remaining AS r
    JOIN event_unique_period AS p
      ON (p.workspace_id, p.kind, p.name, p.granularity, p.period, p.member)
         = (r.workspace_id, r.kind, r.name, r.granularity, r.period, r.member)
    WHERE (p.first_bucket, p.last_bucket) IS DISTINCT FROM (r.first_bucket, r.last_bucket)
),
left_period AS (
    DELETE FROM event_unique_period AS p
    USING changed AS c
    WHERE (p.workspace_id, p.kind, p.name, p.granularity, p.period, p.member)
          = (c.workspace_id, c.kind, c.name, c.granularity, c.period, c.member)
      AND c.first_bucket IS NULL
),
moved AS (
    UPDATE event_unique_period AS p
    SET first_bucket = c.first_bucket, last_bucket = c.last_bucket
    FROM changed AS c
    WHERE (p.workspace_id, p.kind, p.name, p.granularity, p.period, p.member)
          = (c.workspace_id, c.kind, c.name, c.granularity, c.period, c.member)
      AND c.first_bucket IS NOT NULL
)
INSERT INTO event_unique_period_count AS u
    (workspace_id, kind, name, granularity, period, bucket, slot, firsts, lasts)
SELECT c.workspace_id, c.kind, c.name, c.granularity, c.period, m.bucket, tally_write_slot(),
       sum(m.firsts), sum(m.lasts)
FROM changed AS c
CROSS JOIN LATERAL (
    VALUES (c.first_bucket, 1, 0), (c.was_first, -1, 0), (c.last_bucket, 0, 1), (c.was_last, 0, -1)
) AS m (bucket, firsts, lasts)
WHERE m.bucket IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
HAVING sum(m.firsts) <> 0 OR sum(m.lasts) <> 0
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (workspace_id, kind, name, granularity, period, bucket, slot) DO UPDATE SET
    firsts = u.firsts + EXCLUDED.firsts,
    lasts = u.lasts + EXCLUDED.lasts;
RETURN NULL;
