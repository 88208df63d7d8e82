"""Write slots: every summary row that concurrent writers of a workspace-hour would all update
gets a `slot` in its key, and each connection writes its own slot (sql/functions/
tally_write_slot.sql), so single-event transactions from many connections no longer queue on
one row. Existing rows become slot 0 (what compaction folds into). The dimension tables become
agent_slot, channel_slot and customer_slot; agent, channel and customer are now views that merge
the slots (sql/views/), so every reader and DBA still sees one row per id.

One transaction: the old triggers go, the tables change, the rows are copied, the new triggers
come; no event can be counted by half of it. The old dimension tables are dropped with CASCADE:
the views over them (support_hourly_report, agent_leaderboard_30d) are recreated by
django-pgviews at the end of migrate.
"""

import django.db.models.deletion
import django_pgviews.db.migrations.operations
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

from core.sql import read_sql


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0008_dimension_attributes_merged_one_by_one"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL("LOCK TABLE event IN SHARE MODE", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(read_sql("functions/tally_write_slot.sql"), reverse_sql="DROP FUNCTION tally_write_slot()"),
        pgtrigger.migrations.RemoveTrigger(
            model_name="event",
            name="count_hourly",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="event",
            name="count_customer_interactions",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="event",
            name="merge_conversations",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="event",
            name="merge_agents",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="event",
            name="merge_channels",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="event",
            name="merge_customers",
        ),
        migrations.CreateModel(
            name="AgentSlot",
            fields=[
                (
                    "workspace",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
                (
                    "slot",
                    models.SmallIntegerField(
                        default=0,
                        help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
                    ),
                ),
                ("name", models.CharField(max_length=200, null=True)),
                (
                    "name_at",
                    models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
                ),
                (
                    "name_event_id",
                    models.CharField(
                        help_text="event_id of the event the attribute comes from.", max_length=64, null=True
                    ),
                ),
                ("first_seen_at", models.DateTimeField()),
                ("last_seen_at", models.DateTimeField()),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "workspace", "agent_id", "slot", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("agent_id", models.CharField(max_length=64)),
                ("email", models.CharField(max_length=254, null=True)),
                (
                    "email_at",
                    models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
                ),
                (
                    "email_event_id",
                    models.CharField(
                        help_text="event_id of the event the attribute comes from.", max_length=64, null=True
                    ),
                ),
            ],
            options={
                "db_table": "agent_slot",
            },
        ),
        migrations.CreateModel(
            name="ChannelSlot",
            fields=[
                (
                    "workspace",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
                (
                    "slot",
                    models.SmallIntegerField(
                        default=0,
                        help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
                    ),
                ),
                ("name", models.CharField(max_length=200, null=True)),
                (
                    "name_at",
                    models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
                ),
                (
                    "name_event_id",
                    models.CharField(
                        help_text="event_id of the event the attribute comes from.", max_length=64, null=True
                    ),
                ),
                ("first_seen_at", models.DateTimeField()),
                ("last_seen_at", models.DateTimeField()),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "workspace", "channel_id", "slot", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("channel_id", models.CharField(max_length=64)),
            ],
            options={
                "db_table": "channel_slot",
            },
        ),
        migrations.CreateModel(
            name="CustomerSlot",
            fields=[
                (
                    "workspace",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
                (
                    "slot",
                    models.SmallIntegerField(
                        default=0,
                        help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
                    ),
                ),
                ("name", models.CharField(max_length=200, null=True)),
                (
                    "name_at",
                    models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
                ),
                (
                    "name_event_id",
                    models.CharField(
                        help_text="event_id of the event the attribute comes from.", max_length=64, null=True
                    ),
                ),
                ("first_seen_at", models.DateTimeField()),
                ("last_seen_at", models.DateTimeField()),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "workspace",
                        "customer_id",
                        "slot",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("customer_id", models.CharField(max_length=64)),
                ("type", models.CharField(max_length=50, null=True)),
                (
                    "type_at",
                    models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
                ),
                (
                    "type_event_id",
                    models.CharField(
                        help_text="event_id of the event the attribute comes from.", max_length=64, null=True
                    ),
                ),
            ],
            options={
                "db_table": "customer_slot",
            },
        ),
        migrations.AddField(
            model_name="customerinteractionhourly",
            name="slot",
            field=models.SmallIntegerField(
                default=0,
                help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
            ),
        ),
        migrations.AddField(
            model_name="eventhourly",
            name="slot",
            field=models.SmallIntegerField(
                default=0,
                help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
            ),
        ),
        migrations.AddField(
            model_name="supportdurationhourly",
            name="slot",
            field=models.SmallIntegerField(
                default=0,
                help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
            ),
        ),
        migrations.AddField(
            model_name="supporthourly",
            name="slot",
            field=models.SmallIntegerField(
                default=0,
                help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
            ),
        ),
        migrations.AddField(
            model_name="supportlive",
            name="slot",
            field=models.SmallIntegerField(
                default=0,
                help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
            ),
        ),
        migrations.AddField(
            model_name="supporttotalhourly",
            name="slot",
            field=models.SmallIntegerField(
                default=0,
                help_text="Write slot: each connection writes its own (1-16), so concurrent writers of one key do not queue on one row; 0 holds what `rollups compact` folded. A key's figures are the sum (or merge) of its slots.",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE customer_interaction_hourly DROP CONSTRAINT customer_interaction_hourly_pkey, "
                    "ADD PRIMARY KEY (workspace_id, bucket, customer_id, channel_id, slot)",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    "ALTER TABLE event_hourly DROP CONSTRAINT event_hourly_pkey, "
                    "ADD PRIMARY KEY (workspace_id, bucket, name, channel_id, agent_id, slot)",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    "ALTER TABLE support_duration_hourly DROP CONSTRAINT support_duration_hourly_pkey, "
                    "ADD PRIMARY KEY (workspace_id, bucket, channel_id, agent_id, metric, bin_start_seconds, slot)",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    "ALTER TABLE support_hourly DROP CONSTRAINT support_hourly_pkey, "
                    "ADD PRIMARY KEY (workspace_id, bucket, channel_id, agent_id, slot)",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    "ALTER TABLE support_live DROP CONSTRAINT support_live_pkey, "
                    "ADD PRIMARY KEY (workspace_id, channel_id, slot)",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    "ALTER TABLE support_total_hourly DROP CONSTRAINT support_total_hourly_pkey, "
                    "ADD PRIMARY KEY (workspace_id, bucket, slot)",
                    reverse_sql=migrations.RunSQL.noop,
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="customerinteractionhourly",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "workspace",
                        "bucket",
                        "customer_id",
                        "channel_id",
                        "slot",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="eventhourly",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "workspace",
                        "bucket",
                        "name",
                        "channel_id",
                        "agent_id",
                        "slot",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="supportdurationhourly",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "workspace",
                        "bucket",
                        "channel_id",
                        "agent_id",
                        "metric",
                        "bin_start_seconds",
                        "slot",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="supporthourly",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "workspace",
                        "bucket",
                        "channel_id",
                        "agent_id",
                        "slot",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="supportlive",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "workspace", "channel_id", "slot", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                migrations.AlterField(
                    model_name="supporttotalhourly",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "workspace", "bucket", "slot", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
            ],
        ),
        migrations.RunSQL(
            """
            INSERT INTO agent_slot (workspace_id, agent_id, slot, name, name_at, name_event_id, email, email_at,
                                    email_event_id, first_seen_at, last_seen_at)
            SELECT workspace_id, agent_id, 0, name, name_at, name_event_id, email, email_at, email_event_id,
                   first_seen_at, last_seen_at
            FROM agent ORDER BY 1, 2;
            INSERT INTO channel_slot (workspace_id, channel_id, slot, name, name_at, name_event_id, first_seen_at,
                                      last_seen_at)
            SELECT workspace_id, channel_id, 0, name, name_at, name_event_id, first_seen_at, last_seen_at
            FROM channel ORDER BY 1, 2;
            INSERT INTO customer_slot (workspace_id, customer_id, slot, name, name_at, name_event_id, type, type_at,
                                       type_event_id, first_seen_at, last_seen_at)
            SELECT workspace_id, customer_id, 0, name, name_at, name_event_id, type, type_at, type_event_id,
                   first_seen_at, last_seen_at
            FROM customer ORDER BY 1, 2;
            DROP TABLE agent, channel, customer CASCADE;
            """,
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterModelOptions(
                    name="agent",
                    options={"managed": False},
                ),
                migrations.AlterModelOptions(
                    name="channel",
                    options={"managed": False},
                ),
                migrations.AlterModelOptions(
                    name="customer",
                    options={"managed": False},
                ),
            ],
        ),
        django_pgviews.db.migrations.operations.RegisterViewOperation(
            name="Agent",
            materialized=False,
            db_name="agent",
        ),
        django_pgviews.db.migrations.operations.RegisterViewOperation(
            name="Customer",
            materialized=False,
            db_name="customer",
        ),
        django_pgviews.db.migrations.operations.RegisterViewOperation(
            name="Channel",
            materialized=False,
            db_name="channel",
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="event",
            trigger=pgtrigger.compiler.Trigger(
                name="count_hourly",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.\n--            Rows skipped by INSERT .. ON CONFLICT DO NOTHING are not in new_events, so a\n--            retried event counts nothing.\n-- Reads:     new_events.\n-- Keeps:     event_hourly = sql/recompute/event_hourly.sql (every event, per UTC hour x name x\n--            channel x agent, with count/sum/min/max of value).\n-- Locking:   one upsert per statement, keys sorted, so concurrent statements lock rows in the\n--            same order and cannot deadlock each other; into this connection's write slot\n--            (sql/functions/tally_write_slot.sql), so concurrent connections do not queue on\n--            one row per workspace-hour.\nINSERT INTO event_hourly AS h\n    (workspace_id, bucket, name, channel_id, agent_id, slot, events, value_count, value_sum, value_min, value_max)\nSELECT workspace_id,\n       date_trunc('hour', occurred_at, 'UTC'),\n       name,\n       COALESCE(channel_id, ''),\n       COALESCE(agent_id, ''),\n       tally_write_slot(),\n       count(*),\n       count(value),\n       COALESCE(sum(value), 0),\n       min(value),\n       max(value)\nFROM new_events\nGROUP BY 1, 2, 3, 4, 5\nORDER BY 1, 2, 3, 4, 5\nON CONFLICT (workspace_id, bucket, name, channel_id, agent_id, slot) DO UPDATE SET\n    events = h.events + EXCLUDED.events,\n    value_count = h.value_count + EXCLUDED.value_count,\n    value_sum = h.value_sum + EXCLUDED.value_sum,\n    value_min = LEAST(h.value_min, EXCLUDED.value_min),\n    value_max = GREATEST(h.value_max, EXCLUDED.value_max);\nRETURN NULL;",
                    hash="c9e681cac09e11a87b112cd9d347b4d72bf40934",
                    level="STATEMENT",
                    operation="INSERT",
                    pgid="pgtrigger_count_hourly_70272",
                    referencing="REFERENCING NEW TABLE AS new_events ",
                    table="event",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="event",
            trigger=pgtrigger.compiler.Trigger(
                name="count_customer_interactions",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.\n-- Reads:     new_events that name both a customer and a channel.\n-- Keeps:     customer_interaction_hourly = sql/recompute/customer_interaction_hourly.sql\n--            (one interaction per such event, per UTC hour x customer x channel).\n-- Locking:   one upsert, keys sorted, into this connection's write slot.\nINSERT INTO customer_interaction_hourly AS h (workspace_id, bucket, customer_id, channel_id, slot, interactions)\nSELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), customer_id, channel_id, tally_write_slot(), count(*)\nFROM new_events\nWHERE customer_id IS NOT NULL AND channel_id IS NOT NULL\nGROUP BY 1, 2, 3, 4\nORDER BY 1, 2, 3, 4\nON CONFLICT (workspace_id, bucket, customer_id, channel_id, slot) DO UPDATE SET\n    interactions = h.interactions + EXCLUDED.interactions;\nRETURN NULL;",
                    hash="f06c01d45c85e841ad846590a1b03d4ad67fae1c",
                    level="STATEMENT",
                    operation="INSERT",
                    pgid="pgtrigger_count_customer_interactions_13938",
                    referencing="REFERENCING NEW TABLE AS new_events ",
                    table="event",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="event",
            trigger=pgtrigger.compiler.Trigger(
                name="merge_agents",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.\n-- Reads:     new_events that name an agent.\n-- Keeps:     agent_slot, whose slots merged (the view agent) = sql/recompute/agent.sql;\n--            first/last seen are the min/max occurred_at. Each attribute (name, email) is merged on its own: it\n--            comes from the latest event (by occurred_at, then event_id) that carried it, so an\n--            event without it leaves it alone and the row does not depend on arrival order.\n--            Each slot row is the merge of the events written through its slot; merging is\n--            associative, so the view agent merges the slots into the same row.\n-- Locking:   the upsert locks the statement's agents in key order, in this connection's write\n--            slot (sql/functions/tally_write_slot.sql), so concurrent connections never wait\n--            for each other's row of one agent; the attribute UPDATE then touches only rows\n--            this transaction already holds.\nINSERT INTO agent_slot AS d (workspace_id, agent_id, slot, first_seen_at, last_seen_at)\nSELECT workspace_id, agent_id, tally_write_slot(), min(occurred_at), max(occurred_at)\nFROM new_events\nWHERE agent_id IS NOT NULL\nGROUP BY 1, 2\nORDER BY 1, 2\nON CONFLICT (workspace_id, agent_id, slot) DO UPDATE SET\n    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),\n    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);\n\nWITH latest AS (\n    -- Per attribute: the value, occurred_at and event_id of the batch's latest event carrying it.\n    SELECT workspace_id,\n           agent_id,\n           (array_agg(agent_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_name IS NOT NULL))[1] AS name,\n           max(occurred_at) FILTER (WHERE agent_name IS NOT NULL) AS name_at,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_name IS NOT NULL))[1] AS name_event_id,\n           (array_agg(agent_email ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_email IS NOT NULL))[1] AS email,\n           max(occurred_at) FILTER (WHERE agent_email IS NOT NULL) AS email_at,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_email IS NOT NULL))[1] AS email_event_id\n    FROM new_events\n    WHERE agent_id IS NOT NULL AND (agent_name IS NOT NULL OR agent_email IS NOT NULL)\n    GROUP BY 1, 2\n),\nmerged AS (\n    -- takes_<attribute>: the batch's value is later than the stored one.\n    SELECT l.*,\n           l.name_at IS NOT NULL\n               AND (d.name_at IS NULL OR (l.name_at, l.name_event_id) > (d.name_at, d.name_event_id)) AS takes_name,\n           l.email_at IS NOT NULL\n               AND (d.email_at IS NULL OR (l.email_at, l.email_event_id) > (d.email_at, d.email_event_id)) AS takes_email\n    FROM latest AS l\n    JOIN agent_slot AS d USING (workspace_id, agent_id)\n    WHERE d.slot = tally_write_slot()\n)\nUPDATE agent_slot AS d SET\n    name = CASE WHEN m.takes_name THEN m.name ELSE d.name END,\n    name_at = CASE WHEN m.takes_name THEN m.name_at ELSE d.name_at END,\n    name_event_id = CASE WHEN m.takes_name THEN m.name_event_id ELSE d.name_event_id END,\n    email = CASE WHEN m.takes_email THEN m.email ELSE d.email END,\n    email_at = CASE WHEN m.takes_email THEN m.email_at ELSE d.email_at END,\n    email_event_id = CASE WHEN m.takes_email THEN m.email_event_id ELSE d.email_event_id END\nFROM merged AS m\nWHERE d.workspace_id = m.workspace_id\n  AND d.agent_id = m.agent_id\n  AND d.slot = tally_write_slot()\n  AND (m.takes_name OR m.takes_email);\nRETURN NULL;",
                    hash="22de56fd546619254de5f401eab3937483c93235",
                    level="STATEMENT",
                    operation="INSERT",
                    pgid="pgtrigger_merge_agents_357a4",
                    referencing="REFERENCING NEW TABLE AS new_events ",
                    table="event",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="event",
            trigger=pgtrigger.compiler.Trigger(
                name="merge_channels",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.\n-- Reads:     new_events that name a channel.\n-- Keeps:     channel_slot, whose slots merged (the view channel) = sql/recompute/channel.sql;\n--            one row per channel id and write slot; first/last seen are\n--            the min/max occurred_at; the name comes from the latest event (by occurred_at,\n--            then event_id) that carried one.\n-- Locking:   as event__merge_agents.sql.\nINSERT INTO channel_slot AS d (workspace_id, channel_id, slot, first_seen_at, last_seen_at)\nSELECT workspace_id, channel_id, tally_write_slot(), min(occurred_at), max(occurred_at)\nFROM new_events\nWHERE channel_id IS NOT NULL\nGROUP BY 1, 2\nORDER BY 1, 2\nON CONFLICT (workspace_id, channel_id, slot) DO UPDATE SET\n    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),\n    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);\n\nUPDATE channel_slot AS d\nSET name = latest.channel_name,\n    name_at = latest.occurred_at,\n    name_event_id = latest.event_id\nFROM (\n    SELECT DISTINCT ON (workspace_id, channel_id) workspace_id, channel_id, channel_name, occurred_at, event_id\n    FROM new_events\n    WHERE channel_id IS NOT NULL AND channel_name IS NOT NULL\n    ORDER BY workspace_id, channel_id, occurred_at DESC, event_id DESC\n) AS latest\nWHERE d.workspace_id = latest.workspace_id\n  AND d.channel_id = latest.channel_id\n  AND d.slot = tally_write_slot()\n  AND (d.name_at IS NULL\n       OR (latest.occurred_at, latest.event_id) > (d.name_at, d.name_event_id));\nRETURN NULL;",
                    hash="037e1379a5a94cb12a04113ce4a76567c1a79fdc",
                    level="STATEMENT",
                    operation="INSERT",
                    pgid="pgtrigger_merge_channels_660de",
                    referencing="REFERENCING NEW TABLE AS new_events ",
                    table="event",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="event",
            trigger=pgtrigger.compiler.Trigger(
                name="merge_customers",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.\n-- Reads:     new_events that name a customer.\n-- Keeps:     customer_slot, whose slots merged (the view customer) = sql/recompute/customer.sql;\n--            first/last seen are the min/max occurred_at. Each attribute (name, type) is merged on its own: it\n--            comes from the latest event (by occurred_at, then event_id) that carried it, so an\n--            event without it leaves it alone and the row does not depend on arrival order.\n--            Each slot row is the merge of the events written through its slot; merging is\n--            associative, so the view customer merges the slots into the same row.\n-- Locking:   the upsert locks the statement's customers in key order, in this connection's write\n--            slot (sql/functions/tally_write_slot.sql), so concurrent connections never wait\n--            for each other's row of one customer; the attribute UPDATE then touches only rows\n--            this transaction already holds.\nINSERT INTO customer_slot AS d (workspace_id, customer_id, slot, first_seen_at, last_seen_at)\nSELECT workspace_id, customer_id, tally_write_slot(), min(occurred_at), max(occurred_at)\nFROM new_events\nWHERE customer_id IS NOT NULL\nGROUP BY 1, 2\nORDER BY 1, 2\nON CONFLICT (workspace_id, customer_id, slot) DO UPDATE SET\n    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),\n    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);\n\nWITH latest AS (\n    -- Per attribute: the value, occurred_at and event_id of the batch's latest event carrying it.\n    SELECT workspace_id,\n           customer_id,\n           (array_agg(customer_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name,\n           max(occurred_at) FILTER (WHERE customer_name IS NOT NULL) AS name_at,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name_event_id,\n           (array_agg(customer_type ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type,\n           max(occurred_at) FILTER (WHERE customer_type IS NOT NULL) AS type_at,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type_event_id\n    FROM new_events\n    WHERE customer_id IS NOT NULL AND (customer_name IS NOT NULL OR customer_type IS NOT NULL)\n    GROUP BY 1, 2\n),\nmerged AS (\n    -- takes_<attribute>: the batch's value is later than the stored one.\n    SELECT l.*,\n           l.name_at IS NOT NULL\n               AND (d.name_at IS NULL OR (l.name_at, l.name_event_id) > (d.name_at, d.name_event_id)) AS takes_name,\n           l.type_at IS NOT NULL\n               AND (d.type_at IS NULL OR (l.type_at, l.type_event_id) > (d.type_at, d.type_event_id)) AS takes_type\n    FROM latest AS l\n    JOIN customer_slot AS d USING (workspace_id, customer_id)\n    WHERE d.slot = tally_write_slot()\n)\nUPDATE customer_slot AS d SET\n    name = CASE WHEN m.takes_name THEN m.name ELSE d.name END,\n    name_at = CASE WHEN m.takes_name THEN m.name_at ELSE d.name_at END,\n    name_event_id = CASE WHEN m.takes_name THEN m.name_event_id ELSE d.name_event_id END,\n    type = CASE WHEN m.takes_type THEN m.type ELSE d.type END,\n    type_at = CASE WHEN m.takes_type THEN m.type_at ELSE d.type_at END,\n    type_event_id = CASE WHEN m.takes_type THEN m.type_event_id ELSE d.type_event_id END\nFROM merged AS m\nWHERE d.workspace_id = m.workspace_id\n  AND d.customer_id = m.customer_id\n  AND d.slot = tally_write_slot()\n  AND (m.takes_name OR m.takes_type);\nRETURN NULL;",
                    hash="57f5e34b22439d55e2f11bdf8ade056824547de9",
                    level="STATEMENT",
                    operation="INSERT",
                    pgid="pgtrigger_merge_customers_65696",
                    referencing="REFERENCING NEW TABLE AS new_events ",
                    table="event",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="event",
            trigger=pgtrigger.compiler.Trigger(
                name="merge_conversations",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.\n-- Reads:     new_events named conversation.*, and the conversation rows they touch.\n-- Keeps:     conversation            = sql/recompute/conversation.sql\n--            support_hourly          = sql/recompute/support_hourly.sql\n--            support_duration_hourly = sql/recompute/support_duration_hourly.sql\n--            support_live            = sql/recompute/support_live.sql\n--            support_total_hourly    = sql/recompute/support_total_hourly.sql\n--\n-- How: each conversation row is a merge of its events in which every column is a min, a max,\n-- or the value of the least/greatest event by (occurred_at, event_id), so merging the batch\n-- into the row gives the same row for any arrival order. Per-conversation metrics (created,\n-- first response, resolution, live counters) are functions of that row: the statement\n-- subtracts the contribution of each row before the merge and adds the one after it, so the\n-- hourly metrics follow the row exactly. Counting metrics count the events themselves.\n--\n-- Why everything conversation-related is one trigger: support_hourly gets both the event\n-- counts and the row deltas, and doing that in a single upsert per statement keeps one sorted\n-- lock pass over support_hourly; two statements that each sort their own keys can deadlock\n-- against another transaction doing the same.\n--\n-- Locking: (1) new conversations are inserted empty in key order (an empty row contributes\n-- nothing); (2) all touched rows are locked in key order; (3) with the rows held, one\n-- statement merges them and upserts each summary once, keys sorted, tables always in the same\n-- order (support_hourly, support_duration_hourly, support_total_hourly, support_live). The\n-- summaries are written in this connection's write slot (sql/functions/tally_write_slot.sql):\n-- concurrent connections touch different rows of the same workspace-hour and channel, so only\n-- writers of the same conversation wait for each other.\n\nINSERT INTO conversation (workspace_id, conversation_id)\nSELECT DISTINCT workspace_id, conversation_id\nFROM new_events\nWHERE name LIKE 'conversation.%'\nORDER BY 1, 2\nON CONFLICT (workspace_id, conversation_id) DO NOTHING;\n\nPERFORM 1\nFROM conversation AS c\nWHERE (c.workspace_id, c.conversation_id) IN (\n    SELECT workspace_id, conversation_id FROM new_events WHERE name LIKE 'conversation.%'\n)\nORDER BY c.workspace_id, c.conversation_id\nFOR UPDATE;\n\nWITH conversation_events AS (\n    SELECT *, (name <> 'conversation.created')::int AS source_rank\n    FROM new_events\n    WHERE name LIKE 'conversation.%'\n),\n-- One GROUP BY pass: every column is a min/max, or the value of the least/greatest event by\n-- (occurred_at, event_id) taken with array_agg(.. ORDER BY ..)[1]. (Separate DISTINCT ON\n-- subqueries joined back were rescanned once per conversation: the planner cannot know the\n-- size of a transition table.) The channel and customer come from conversation.created\n-- (source_rank 0) and, until it arrives, from the earliest event.\nbatch AS (\n    SELECT workspace_id,\n           conversation_id,\n           (array_agg(channel_id ORDER BY source_rank, occurred_at, event_id))[1] AS channel_id,\n           min(source_rank) AS channel_rank,\n           (array_agg(occurred_at ORDER BY source_rank, occurred_at, event_id))[1] AS channel_at,\n           (array_agg(event_id ORDER BY source_rank, occurred_at, event_id))[1] AS channel_event_id,\n           (array_agg(customer_id ORDER BY source_rank, occurred_at, event_id)\n                FILTER (WHERE customer_id IS NOT NULL))[1] AS customer_id,\n           min(source_rank) FILTER (WHERE customer_id IS NOT NULL) AS customer_rank,\n           (array_agg(occurred_at ORDER BY source_rank, occurred_at, event_id)\n                FILTER (WHERE customer_id IS NOT NULL))[1] AS customer_at,\n           (array_agg(event_id ORDER BY source_rank, occurred_at, event_id)\n                FILTER (WHERE customer_id IS NOT NULL))[1] AS customer_event_id,\n           min(occurred_at) FILTER (WHERE name = 'conversation.created') AS created_at,\n           min(occurred_at) FILTER (WHERE name = 'conversation.assigned') AS first_assigned_at,\n           (array_agg(agent_id ORDER BY occurred_at DESC, event_id DESC)\n                FILTER (WHERE name = 'conversation.assigned'))[1] AS assignee_id,\n           max(occurred_at) FILTER (WHERE name = 'conversation.assigned') AS assigned_at,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC)\n                FILTER (WHERE name = 'conversation.assigned'))[1] AS assigned_event_id,\n           min(occurred_at) FILTER (WHERE name = 'conversation.agent_replied') AS first_response_at,\n           (array_agg(agent_id ORDER BY occurred_at, event_id)\n                FILTER (WHERE name = 'conversation.agent_replied'))[1] AS first_responder_id,\n           (array_agg(event_id ORDER BY occurred_at, event_id)\n                FILTER (WHERE name = 'conversation.agent_replied'))[1] AS first_response_event_id,\n           min(occurred_at) FILTER (WHERE name = 'conversation.resolved') AS first_resolved_at,\n           max(occurred_at) FILTER (WHERE name = 'conversation.resolved') AS resolved_at,\n           (array_agg(agent_id ORDER BY occurred_at DESC, event_id DESC)\n                FILTER (WHERE name = 'conversation.resolved'))[1] AS resolver_id,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC)\n                FILTER (WHERE name = 'conversation.resolved'))[1] AS resolved_event_id,\n           max(occurred_at) FILTER (WHERE name = 'conversation.reopened') AS last_reopened_at,\n           count(*) FILTER (WHERE name = 'conversation.agent_replied') AS agent_replies,\n           count(*) FILTER (WHERE name = 'conversation.customer_replied') AS customer_replies,\n           max(occurred_at) AS last_event_at\n    FROM conversation_events\n    GROUP BY workspace_id, conversation_id\n),\nmerged AS (\n    SELECT b.*,\n           c AS before_row,\n           c.channel_at IS NULL\n               OR (b.channel_rank, b.channel_at, b.channel_event_id)\n                  < (c.channel_rank, c.channel_at, c.channel_event_id) AS takes_channel,\n           b.customer_at IS NOT NULL\n               AND (c.customer_at IS NULL\n                    OR (b.customer_rank, b.customer_at, b.customer_event_id)\n                       < (c.customer_rank, c.customer_at, c.customer_event_id)) AS takes_customer,\n           b.assigned_at IS NOT NULL\n               AND (c.assigned_at IS NULL\n                    OR (b.assigned_at, b.assigned_event_id) > (c.assigned_at, c.assigned_event_id)) AS takes_assignee,\n           b.first_response_at IS NOT NULL\n               AND (c.first_response_at IS NULL\n                    OR (b.first_response_at, b.first_response_event_id)\n                       < (c.first_response_at, c.first_response_event_id)) AS takes_first_response,\n           b.resolved_at IS NOT NULL\n               AND (c.last_resolved_at IS NULL\n                    OR (b.resolved_at, b.resolved_event_id) > (c.last_resolved_at, c.resolved_event_id)) AS takes_resolver\n    FROM batch AS b\n    JOIN conversation AS c USING (workspace_id, conversation_id)\n),\nchanged AS (\n    UPDATE conversation AS c SET\n        channel_id = CASE WHEN m.takes_channel THEN m.channel_id ELSE c.channel_id END,\n        channel_rank = CASE WHEN m.takes_channel THEN m.channel_rank ELSE c.channel_rank END,\n        channel_at = CASE WHEN m.takes_channel THEN m.channel_at ELSE c.channel_at END,\n        channel_event_id = CASE WHEN m.takes_channel THEN m.channel_event_id ELSE c.channel_event_id END,\n        customer_id = CASE WHEN m.takes_customer THEN m.customer_id ELSE c.customer_id END,\n        customer_rank = CASE WHEN m.takes_customer THEN m.customer_rank ELSE c.customer_rank END,\n        customer_at = CASE WHEN m.takes_customer THEN m.customer_at ELSE c.customer_at END,\n        customer_event_id = CASE WHEN m.takes_customer THEN m.customer_event_id ELSE c.customer_event_id END,\n        created_at = LEAST(c.created_at, m.created_at),\n        first_assigned_at = LEAST(c.first_assigned_at, m.first_assigned_at),\n        assignee_id = CASE WHEN m.takes_assignee THEN m.assignee_id ELSE c.assignee_id END,\n        assigned_at = CASE WHEN m.takes_assignee THEN m.assigned_at ELSE c.assigned_at END,\n        assigned_event_id = CASE WHEN m.takes_assignee THEN m.assigned_event_id ELSE c.assigned_event_id END,\n        first_response_at = CASE WHEN m.takes_first_response THEN m.first_response_at ELSE c.first_response_at END,\n        first_responder_id = CASE WHEN m.takes_first_response THEN m.first_responder_id ELSE c.first_responder_id END,\n        first_response_event_id = CASE WHEN m.takes_first_response THEN m.first_response_event_id ELSE c.first_response_event_id END,\n        first_resolved_at = LEAST(c.first_resolved_at, m.first_resolved_at),\n        last_resolved_at = CASE WHEN m.takes_resolver THEN m.resolved_at ELSE c.last_resolved_at END,\n        resolver_id = CASE WHEN m.takes_resolver THEN m.resolver_id ELSE c.resolver_id END,\n        resolved_event_id = CASE WHEN m.takes_resolver THEN m.resolved_event_id ELSE c.resolved_event_id END,\n        last_reopened_at = GREATEST(c.last_reopened_at, m.last_reopened_at),\n        agent_replies = c.agent_replies + m.agent_replies,\n        customer_replies = c.customer_replies + m.customer_replies,\n        last_event_at = GREATEST(c.last_event_at, m.last_event_at)\n    FROM merged AS m\n    WHERE c.workspace_id = m.workspace_id AND c.conversation_id = m.conversation_id\n    RETURNING m.before_row, c AS after_row\n),\n-- Each changed row once as it was (sign -1) and once as it is now (sign +1).\nversions AS (\n    SELECT -1 AS sign, (before_row).* FROM changed\n    UNION ALL\n    SELECT 1 AS sign, (after_row).* FROM changed\n),\ntimed AS (\n    SELECT v.sign, v.workspace_id, COALESCE(v.channel_id, '') AS channel_id, v.created_at,\n           v.first_assigned_at, v.first_response_at, v.first_responder_id, v.last_resolved_at,\n           v.resolver_id, v.status,\n           GREATEST(0, EXTRACT(EPOCH FROM v.first_response_at - v.created_at)) AS first_response_seconds,\n           GREATEST(0, EXTRACT(EPOCH FROM v.last_resolved_at - v.created_at)) AS resolution_seconds\n    FROM versions AS v\n    WHERE v.created_at IS NOT NULL\n),\nsupport_deltas (workspace_id, bucket, channel_id, agent_id,\n                conversations_created, conversations_assigned, agent_replies, customer_replies,\n                resolutions, reopens, first_response_count, first_response_seconds,\n                resolution_count, resolution_seconds) AS (\n    SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), COALESCE(channel_id, ''), COALESCE(agent_id, ''),\n           0,\n           (name = 'conversation.assigned')::int,\n           (name = 'conversation.agent_replied')::int,\n           (name = 'conversation.customer_replied')::int,\n           (name = 'conversation.resolved')::int,\n           (name = 'conversation.reopened')::int,\n           0, 0, 0, 0\n    FROM conversation_events\n    UNION ALL\n    SELECT workspace_id, date_trunc('hour', created_at, 'UTC'), channel_id, '',\n           sign, 0, 0, 0, 0, 0, 0, 0, 0, 0\n    FROM timed\n    UNION ALL\n    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), channel_id, COALESCE(first_responder_id, ''),\n           0, 0, 0, 0, 0, 0, sign, sign * first_response_seconds, 0, 0\n    FROM timed\n    WHERE first_response_at IS NOT NULL\n    UNION ALL\n    SELECT workspace_id, date_trunc('hour', last_resolved_at, 'UTC'), channel_id, COALESCE(resolver_id, ''),\n           0, 0, 0, 0, 0, 0, 0, 0, sign, sign * resolution_seconds\n    FROM timed\n    WHERE status = 'resolved'\n),\n-- Net deltas per support_hourly row; rows whose deltas cancel out are left alone.\nsupport_sums AS (\n    SELECT workspace_id, bucket, channel_id, agent_id,\n           sum(conversations_created) AS conversations_created,\n           sum(conversations_assigned) AS conversations_assigned,\n           sum(agent_replies) AS agent_replies,\n           sum(customer_replies) AS customer_replies,\n           sum(resolutions) AS resolutions,\n           sum(reopens) AS reopens,\n           sum(first_response_count) AS first_response_count,\n           sum(first_response_seconds) AS first_response_seconds,\n           sum(resolution_count) AS resolution_count,\n           sum(resolution_seconds) AS resolution_seconds\n    FROM support_deltas\n    GROUP BY 1, 2, 3, 4\n    HAVING sum(conversations_created) <> 0 OR sum(conversations_assigned) <> 0\n        OR sum(agent_replies) <> 0 OR sum(customer_replies) <> 0\n        OR sum(resolutions) <> 0 OR sum(reopens) <> 0\n        OR sum(first_response_count) <> 0 OR sum(first_response_seconds) <> 0\n        OR sum(resolution_count) <> 0 OR sum(resolution_seconds) <> 0\n),\nsupport_upsert AS (\n    INSERT INTO support_hourly AS h\n        (workspace_id, bucket, channel_id, agent_id, slot,\n         conversations_created, conversations_assigned, agent_replies, customer_replies,\n         resolutions, reopens, first_response_count, first_response_seconds,\n         resolution_count, resolution_seconds)\n    SELECT workspace_id, bucket, channel_id, agent_id, tally_write_slot(),\n           conversations_created, conversations_assigned, agent_replies, customer_replies,\n           resolutions, reopens, first_response_count, first_response_seconds,\n           resolution_count, resolution_seconds\n    FROM support_sums\n    ORDER BY 1, 2, 3, 4\n    ON CONFLICT (workspace_id, bucket, channel_id, agent_id, slot) DO UPDATE SET\n        conversations_created = h.conversations_created + EXCLUDED.conversations_created,\n        conversations_assigned = h.conversations_assigned + EXCLUDED.conversations_assigned,\n        agent_replies = h.agent_replies + EXCLUDED.agent_replies,\n        customer_replies = h.customer_replies + EXCLUDED.customer_replies,\n        resolutions = h.resolutions + EXCLUDED.resolutions,\n        reopens = h.reopens + EXCLUDED.reopens,\n        first_response_count = h.first_response_count + EXCLUDED.first_response_count,\n        first_response_seconds = h.first_response_seconds + EXCLUDED.first_response_seconds,\n        resolution_count = h.resolution_count + EXCLUDED.resolution_count,\n        resolution_seconds = h.resolution_seconds + EXCLUDED.resolution_seconds\n),\nduration_deltas (workspace_id, bucket, channel_id, agent_id, metric, seconds, sign) AS (\n    SELECT workspace_id, date_trunc('hour', first_response_at, 'UTC'), channel_id,\n           COALESCE(first_responder_id, ''), 'first_response', first_response_seconds, sign\n    FROM timed\n    WHERE first_response_at IS NOT NULL\n    UNION ALL\n    SELECT workspace_id, date_trunc('hour', last_resolved_at, 'UTC'), channel_id,\n           COALESCE(resolver_id, ''), 'resolution', resolution_seconds, sign\n    FROM timed\n    WHERE status = 'resolved'\n),\n-- position: 1-based index of the duration's bin in bins.starts.\nbinned AS (\n    SELECT d.*, width_bucket(d.seconds, bins.starts) AS position, bins.starts\n    FROM duration_deltas AS d\n    CROSS JOIN (SELECT '{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[] AS starts) AS bins\n),\nduration_sums AS (\n    SELECT workspace_id, bucket, channel_id, agent_id, metric, position, starts[position] AS bin_start_seconds,\n           sum(sign) AS conversations\n    FROM binned\n    GROUP BY 1, 2, 3, 4, 5, 6, 7\n    HAVING sum(sign) <> 0\n),\nduration_upsert AS (\n    INSERT INTO support_duration_hourly AS h\n        (workspace_id, bucket, channel_id, agent_id, metric, bin_start_seconds, slot, conversations)\n    SELECT workspace_id, bucket, channel_id, agent_id, metric, bin_start_seconds, tally_write_slot(), conversations\n    FROM duration_sums\n    ORDER BY 1, 2, 3, 4, 5, 6\n    ON CONFLICT (workspace_id, bucket, channel_id, agent_id, metric, bin_start_seconds, slot) DO UPDATE SET\n        conversations = h.conversations + EXCLUDED.conversations\n),\n-- The same net deltas summed over channels and agents, one row per workspace and hour; each\n-- metric's bins become an array of 11 counts (element i = bin i), added element-wise.\ntotal_counts AS (\n    SELECT workspace_id, bucket,\n           sum(conversations_created) AS conversations_created,\n           sum(conversations_assigned) AS conversations_assigned,\n           sum(agent_replies) AS agent_replies,\n           sum(customer_replies) AS customer_replies,\n           sum(resolutions) AS resolutions,\n           sum(reopens) AS reopens,\n           sum(first_response_count) AS first_response_count,\n           sum(first_response_seconds) AS first_response_seconds,\n           sum(resolution_count) AS resolution_count,\n           sum(resolution_seconds) AS resolution_seconds\n    FROM support_sums\n    GROUP BY 1, 2\n),\nbin_counts AS (\n    SELECT workspace_id, bucket, metric, position, sum(conversations) AS n\n    FROM duration_sums\n    GROUP BY 1, 2, 3, 4\n),\ntotal_histograms AS (\n    SELECT k.workspace_id, k.bucket,\n           array_agg(COALESCE(f.n, 0) ORDER BY g.position) AS first_response_bins,\n           array_agg(COALESCE(r.n, 0) ORDER BY g.position) AS resolution_bins\n    FROM (SELECT DISTINCT workspace_id, bucket FROM bin_counts) AS k\n    CROSS JOIN generate_series(1, 11) AS g (position)\n    LEFT JOIN bin_counts AS f\n           ON (f.workspace_id, f.bucket, f.metric, f.position) = (k.workspace_id, k.bucket, 'first_response', g.position)\n    LEFT JOIN bin_counts AS r\n           ON (r.workspace_id, r.bucket, r.metric, r.position) = (k.workspace_id, k.bucket, 'resolution', g.position)\n    GROUP BY 1, 2\n),\ntotal_upsert AS (\n    INSERT INTO support_total_hourly AS t\n        (workspace_id, bucket, slot, conversations_created, conversations_assigned, agent_replies,\n         customer_replies, resolutions, reopens, first_response_count, first_response_seconds,\n         resolution_count, resolution_seconds, first_response_bins, resolution_bins)\n    SELECT workspace_id, bucket, tally_write_slot(),\n           COALESCE(c.conversations_created, 0), COALESCE(c.conversations_assigned, 0),\n           COALESCE(c.agent_replies, 0), COALESCE(c.customer_replies, 0),\n           COALESCE(c.resolutions, 0), COALESCE(c.reopens, 0),\n           COALESCE(c.first_response_count, 0), COALESCE(c.first_response_seconds, 0),\n           COALESCE(c.resolution_count, 0), COALESCE(c.resolution_seconds, 0),\n           COALESCE(h.first_response_bins, array_fill(0::bigint, ARRAY[11])),\n           COALESCE(h.resolution_bins, array_fill(0::bigint, ARRAY[11]))\n    FROM total_counts AS c\n    FULL JOIN total_histograms AS h USING (workspace_id, bucket)\n    WHERE c.conversations_created <> 0 OR c.conversations_assigned <> 0\n       OR c.agent_replies <> 0 OR c.customer_replies <> 0\n       OR c.resolutions <> 0 OR c.reopens <> 0\n       OR c.first_response_count <> 0 OR c.first_response_seconds <> 0\n       OR c.resolution_count <> 0 OR c.resolution_seconds <> 0\n       OR 0 <> ANY (h.first_response_bins) OR 0 <> ANY (h.resolution_bins)\n    ORDER BY 1, 2\n    ON CONFLICT (workspace_id, bucket, slot) DO UPDATE SET\n        conversations_created = t.conversations_created + EXCLUDED.conversations_created,\n        conversations_assigned = t.conversations_assigned + EXCLUDED.conversations_assigned,\n        agent_replies = t.agent_replies + EXCLUDED.agent_replies,\n        customer_replies = t.customer_replies + EXCLUDED.customer_replies,\n        resolutions = t.resolutions + EXCLUDED.resolutions,\n        reopens = t.reopens + EXCLUDED.reopens,\n        first_response_count = t.first_response_count + EXCLUDED.first_response_count,\n        first_response_seconds = t.first_response_seconds + EXCLUDED.first_response_seconds,\n        resolution_count = t.resolution_count + EXCLUDED.resolution_count,\n        resolution_seconds = t.resolution_seconds + EXCLUDED.resolution_seconds,\n        first_response_bins = ARRAY(\n            SELECT a + b FROM unnest(t.first_response_bins, EXCLUDED.first_response_bins) WITH ORDINALITY AS u (a, b, i)\n            ORDER BY i),\n        resolution_bins = ARRAY(\n            SELECT a + b FROM unnest(t.resolution_bins, EXCLUDED.resolution_bins) WITH ORDINALITY AS u (a, b, i)\n            ORDER BY i)\n)\nINSERT INTO support_live AS l (workspace_id, channel_id, slot, open, unassigned, unanswered)\nSELECT workspace_id,\n       channel_id,\n       tally_write_slot(),\n       sum(sign),\n       COALESCE(sum(sign) FILTER (WHERE first_assigned_at IS NULL), 0),\n       COALESCE(sum(sign) FILTER (WHERE first_response_at IS NULL), 0)\nFROM timed\nWHERE status = 'open'\nGROUP BY 1, 2\nHAVING sum(sign) <> 0\n    OR sum(sign) FILTER (WHERE first_assigned_at IS NULL) <> 0\n    OR sum(sign) FILTER (WHERE first_response_at IS NULL) <> 0\nORDER BY 1, 2\nON CONFLICT (workspace_id, channel_id, slot) DO UPDATE SET\n    open = l.open + EXCLUDED.open,\n    unassigned = l.unassigned + EXCLUDED.unassigned,\n    unanswered = l.unanswered + EXCLUDED.unanswered;\nRETURN NULL;",
                    hash="4898d54e6b85ab3224f0c8c207ba8e4c97d7e653",
                    level="STATEMENT",
                    operation="INSERT",
                    pgid="pgtrigger_merge_conversations_09b74",
                    referencing="REFERENCING NEW TABLE AS new_events ",
                    table="event",
                    when="AFTER",
                ),
            ),
        ),
    ]
