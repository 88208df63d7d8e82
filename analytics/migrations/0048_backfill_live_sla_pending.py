"""support_live.sla_pending, which 0047 adds (zero in every row), for what a database already
holds: per workspace and channel, the conversations of conversation_due (its rows are the pending
targets, every one of them kept, retired history included), added into slot 0, so `rollups verify`
is clean right after the upgrade and the overdue read is exact at once. The trigger of 0047,
installed by the same `migrate`, keeps it from then on.

A channel with pending targets has open conversations, so its support_live rows exist; the upsert
creates a slot 0 row where that slot had none.

The SQL is written out here, not read from sql/recompute/: a migration must do the same thing
whatever those files become later."""

from django.db import migrations

BACKFILL = """
INSERT INTO support_live AS l (workspace_id, channel_id, slot, open, unassigned, unanswered, sla_pending)
SELECT workspace_id, channel_id, 0, 0, 0, 0, count(DISTINCT conversation_id)
FROM conversation_due
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (workspace_id, channel_id, slot) DO UPDATE SET
    sla_pending = l.sla_pending + EXCLUDED.sla_pending;
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0047_live_sla_pending")]

    operations = [migrations.RunSQL(BACKFILL, migrations.RunSQL.noop)]
