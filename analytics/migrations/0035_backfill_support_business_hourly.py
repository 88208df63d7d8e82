"""support_business_hourly for the conversations a database already holds, in slot 0, so `rollups
verify` is clean right after the upgrade; the trigger of 0030, installed by the same `migrate`
transaction, adds what is ingested afterwards. No workspace has a business schedule yet (0030
creates the table), so every conversation is measured in calendar time, as the trigger would:
the figures equal the calendar ones of the same conversations, per hour, channel and agent. The
conversation rows already merge every event, retired ones included (their sealed state).

The SQL is written out here, not read from sql/recompute/: a migration must do the same thing
whatever those files become later."""

from django.db import migrations


def bins(metric: str) -> str:
    return ", ".join(f"count(*) FILTER (WHERE metric = '{metric}' AND position = {i})" for i in range(1, 12))


BUSINESS = f"""
WITH conversations AS (
    SELECT workspace_id, COALESCE(channel_id, '') AS channel_id,
           first_response_at, COALESCE(first_responder_id, '') AS first_responder_id,
           CASE WHEN status = 'resolved' THEN last_resolved_at END AS resolved_at,
           COALESCE(resolver_id, '') AS resolver_id,
           GREATEST(0, EXTRACT(EPOCH FROM first_response_at - created_at)) AS first_response_seconds,
           GREATEST(0, EXTRACT(EPOCH FROM last_resolved_at - created_at)) AS resolution_seconds
    FROM conversation
    WHERE created_at IS NOT NULL
),
figures (workspace_id, bucket, channel_id, agent_id, metric, seconds) AS (
    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), channel_id, first_responder_id,
           'first_response', first_response_seconds
    FROM conversations
    WHERE first_response_at IS NOT NULL
    UNION ALL
    SELECT workspace_id, date_trunc('hour', resolved_at, 'UTC'), channel_id, resolver_id, 'resolution', resolution_seconds
    FROM conversations
    WHERE resolved_at IS NOT NULL
),
binned AS (
    SELECT *, width_bucket(seconds, '{{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}}'::int[]) AS position
    FROM figures
)
INSERT INTO support_business_hourly
    (workspace_id, bucket, channel_id, agent_id, slot, first_response_count, first_response_seconds,
     resolution_count, resolution_seconds, first_response_bins, resolution_bins)
SELECT workspace_id, bucket, channel_id, agent_id, 0,
       count(*) FILTER (WHERE metric = 'first_response'),
       COALESCE(sum(seconds) FILTER (WHERE metric = 'first_response'), 0),
       count(*) FILTER (WHERE metric = 'resolution'),
       COALESCE(sum(seconds) FILTER (WHERE metric = 'resolution'), 0),
       ARRAY[{bins("first_response")}],
       ARRAY[{bins("resolution")}]
FROM binned
GROUP BY 1, 2, 3, 4
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0034_business_hours")]

    operations = [migrations.RunSQL(BUSINESS, reverse_sql=migrations.RunSQL.noop)]
