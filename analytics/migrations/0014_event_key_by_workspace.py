"""The raw table's primary key starts with workspace_id, like every other key of Tally: on Citus a
unique constraint must contain the distribution column (analytics/citus.py), and the schema is
the same on one server and on a cluster. Rebuilds the key's index on every partition (about a
second per million events); the reads never used it (they filter by workspace first)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("analytics", "0013_shard_aware_triggers")]

    operations = [
        migrations.RunSQL(
            [
                "ALTER TABLE event DROP CONSTRAINT event_pkey",
                "ALTER TABLE event ADD CONSTRAINT event_pkey PRIMARY KEY (workspace_id, id, occurred_at)",
            ],
            [
                "ALTER TABLE event DROP CONSTRAINT event_pkey",
                "ALTER TABLE event ADD CONSTRAINT event_pkey PRIMARY KEY (id, occurred_at)",
            ],
        ),
    ]
