"""conversation_label, conversation.labels and support_label_hourly for the events a database
already holds, so `rollups verify` is clean right after the upgrade; the triggers of 0030,
installed by the same `migrate` transaction, keep them from then on.

The label state comes from the raw events: labeled/unlabeled events that retention retired before
this migration are gone, and their labels with them (conversation_label_sealed starts empty, as
the recomputation sees it). support_label_hourly is then filled from the conversation rows, which
merge every event, retired ones included, into slot 0.

The SQL is written out here, not read from sql/recompute/: a migration must do the same thing
whatever those files become later."""

from django.db import migrations

LABEL_STATE = """
INSERT INTO conversation_label (workspace_id, conversation_id, label, labeled, decided_at, decided_event_id)
SELECT DISTINCT ON (workspace_id, conversation_id, properties ->> 'label')
       workspace_id, conversation_id, properties ->> 'label', name = 'conversation.labeled', occurred_at, event_id
FROM event
WHERE name IN ('conversation.labeled', 'conversation.unlabeled') AND properties ->> 'label' IS NOT NULL
  AND conversation_id IS NOT NULL
ORDER BY workspace_id, conversation_id, properties ->> 'label', occurred_at DESC, event_id DESC
"""

CONVERSATION_LABELS = """
UPDATE conversation AS c
SET labels = l.labels
FROM (
    SELECT workspace_id, conversation_id, array_agg(label::text ORDER BY label COLLATE "C") AS labels
    FROM conversation_label
    WHERE labeled
    GROUP BY 1, 2
) AS l
WHERE (c.workspace_id, c.conversation_id) = (l.workspace_id, l.conversation_id)
"""


def bins(metric: str) -> str:
    return ", ".join(f"count(*) FILTER (WHERE metric = '{metric}' AND position = {i})" for i in range(1, 12))


def score(n: int) -> str:
    return f"count(*) FILTER (WHERE metric = 'rating' AND rating = {n})"


LABEL_FIGURES = f"""
WITH conversations AS (
    SELECT c.workspace_id, l.label, c.created_at, c.first_response_at, c.rated_at, c.rating,
           CASE WHEN c.status = 'resolved' THEN c.last_resolved_at END AS resolved_at,
           GREATEST(0, EXTRACT(EPOCH FROM c.first_response_at - c.created_at)) AS first_response_seconds,
           GREATEST(0, EXTRACT(EPOCH FROM c.last_resolved_at - c.created_at)) AS resolution_seconds
    FROM conversation AS c
    CROSS JOIN unnest(c.labels) AS l (label)
),
figures (workspace_id, bucket, label, created, metric, seconds, rating) AS (
    SELECT workspace_id, date_trunc('hour', created_at, 'UTC'), label, 1, NULL, NULL::numeric, NULL::smallint
    FROM conversations
    WHERE created_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), label, 0, 'first_response',
           first_response_seconds, NULL
    FROM conversations
    WHERE created_at IS NOT NULL AND first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), label, 0, 'resolution', resolution_seconds, NULL
    FROM conversations
    WHERE created_at IS NOT NULL AND resolved_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', rated_at, 'UTC'), label, 0, 'rating', NULL, rating
    FROM conversations
    WHERE rated_at IS NOT NULL
),
binned AS (
    SELECT *, width_bucket(seconds, '{{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}}'::int[]) AS position
    FROM figures
)
INSERT INTO support_label_hourly
    (workspace_id, bucket, label, slot, conversations_created, first_response_count, first_response_seconds,
     resolution_count, resolution_seconds, first_response_bins, resolution_bins,
     score_1, score_2, score_3, score_4, score_5)
SELECT workspace_id, bucket, label, 0, sum(created),
       count(*) FILTER (WHERE metric = 'first_response'),
       COALESCE(sum(seconds) FILTER (WHERE metric = 'first_response'), 0),
       count(*) FILTER (WHERE metric = 'resolution'),
       COALESCE(sum(seconds) FILTER (WHERE metric = 'resolution'), 0),
       ARRAY[{bins("first_response")}],
       ARRAY[{bins("resolution")}],
       {score(1)}, {score(2)}, {score(3)}, {score(4)}, {score(5)}
FROM binned
GROUP BY 1, 2, 3
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0031_labels")]

    operations = [
        migrations.RunSQL(LABEL_STATE, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(CONVERSATION_LABELS, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(LABEL_FIGURES, reverse_sql=migrations.RunSQL.noop),
    ]
