"""The figures of 0022 for the raw events a database already holds: each conversation's team (of
its latest assignment) and rating, support_csat_hourly from those rows, and support_reply_hourly
from the customer messages and agent replies, all in slot 0, so `rollups verify` is clean right
after the upgrade. The triggers of 0022 are installed by the same `migrate` transaction, so events
ingested afterwards add to these rows.

Raw events before the retention horizon are gone: a conversation's team or rating decided by a
retired event stays unknown, and a retired customer message answered after the horizon counts no
wait. The recompute views read the same sealed state, so verify agrees with what is kept.

The SQL is written out here, not read from sql/recompute/: a migration must do the same thing
whatever those files become later."""

from django.db import migrations

CONVERSATIONS = """
UPDATE conversation AS c
SET team_id = CASE WHEN b.assigned_event_id = c.assigned_event_id THEN b.team_id ELSE c.team_id END,
    rating = COALESCE(b.rating, c.rating),
    rated_at = COALESCE(b.rated_at, c.rated_at),
    rated_event_id = COALESCE(b.rated_event_id, c.rated_event_id)
FROM (
    SELECT workspace_id, conversation_id,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.assigned'))[1] AS assigned_event_id,
           (array_agg(properties ->> 'team' ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.assigned'))[1] AS team_id,
           (array_agg(value::smallint ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.rated'))[1] AS rating,
           max(occurred_at) FILTER (WHERE name = 'conversation.rated') AS rated_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC)
                FILTER (WHERE name = 'conversation.rated'))[1] AS rated_event_id
    FROM event
    WHERE name IN ('conversation.assigned', 'conversation.rated') AND conversation_id IS NOT NULL
    GROUP BY 1, 2
) AS b
WHERE c.workspace_id = b.workspace_id AND c.conversation_id = b.conversation_id
"""

CSAT = """
INSERT INTO support_csat_hourly
    (workspace_id, bucket, channel_id, agent_id, team_id, slot, score_1, score_2, score_3, score_4, score_5)
SELECT workspace_id, date_trunc('hour', rated_at, 'UTC'), COALESCE(channel_id, ''), COALESCE(assignee_id, ''),
       COALESCE(team_id, ''), 0,
       count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
       count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5)
FROM conversation
WHERE rated_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
"""

REPLIES = """
WITH ordered AS (
    SELECT workspace_id, conversation_id, name = 'conversation.agent_replied' AS from_agent,
           occurred_at, channel_id, agent_id,
           count(*) FILTER (WHERE name = 'conversation.agent_replied') OVER (
               PARTITION BY workspace_id, conversation_id
               ORDER BY occurred_at, name = 'conversation.agent_replied', event_id
               ROWS UNBOUNDED PRECEDING
           ) AS replies_up_to
    FROM event
    WHERE name IN ('conversation.customer_replied', 'conversation.agent_replied') AND conversation_id IS NOT NULL
),
waits AS (
    SELECT m.workspace_id, date_trunc('hour', a.occurred_at, 'UTC') AS bucket,
           COALESCE(a.channel_id, '') AS channel_id, COALESCE(a.agent_id, '') AS agent_id,
           EXTRACT(EPOCH FROM a.occurred_at - m.occurred_at) AS seconds,
           width_bucket(EXTRACT(EPOCH FROM a.occurred_at - m.occurred_at),
                        '{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) AS position
    FROM ordered AS m
    JOIN ordered AS a
      ON a.workspace_id = m.workspace_id AND a.conversation_id = m.conversation_id
     AND a.from_agent AND a.replies_up_to = m.replies_up_to + 1
    WHERE NOT m.from_agent
)
INSERT INTO support_reply_hourly
    (workspace_id, bucket, channel_id, agent_id, slot, reply_count, reply_seconds, reply_bins)
SELECT workspace_id, bucket, channel_id, agent_id, 0, count(*), sum(seconds),
       ARRAY[
           count(*) FILTER (WHERE position = 1), count(*) FILTER (WHERE position = 2),
           count(*) FILTER (WHERE position = 3), count(*) FILTER (WHERE position = 4),
           count(*) FILTER (WHERE position = 5), count(*) FILTER (WHERE position = 6),
           count(*) FILTER (WHERE position = 7), count(*) FILTER (WHERE position = 8),
           count(*) FILTER (WHERE position = 9), count(*) FILTER (WHERE position = 10),
           count(*) FILTER (WHERE position = 11)
       ]
FROM waits
GROUP BY 1, 2, 3, 4
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0022_csat_and_reply_times")]

    operations = [
        migrations.RunSQL(CONVERSATIONS, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(CSAT, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(REPLIES, reverse_sql=migrations.RunSQL.noop),
    ]
