"""Agent, channel and customer attributes are merged one by one: each comes from the latest event
(by occurred_at, then event_id) that carried it. Before, the latest event carrying any attribute
set all of them, so an agent event with only an email cleared the agent's name.

attributes_at/attributes_event_id give way to <attribute>_at/<attribute>_event_id. The new
columns are filled from the raw events in this transaction, after locking the event table so no
insert commits between the fill and the new triggers.
"""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


ATTRIBUTES = {
    "agent": ("agent_id", {"name": "agent_name", "email": "agent_email"}),
    "channel": ("channel_id", {"name": "channel_name"}),
    "customer": ("customer_id", {"name": "customer_name", "type": "customer_type"}),
}


def fill(table: str) -> str:
    key, attributes = ATTRIBUTES[table]
    columns = []
    for attribute, source in attributes.items():
        latest = f"ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE {source} IS NOT NULL))[1]"
        columns += [
            f"(array_agg({source} {latest} AS {attribute}",
            f"max(occurred_at) FILTER (WHERE {source} IS NOT NULL) AS {attribute}_at",
            f"(array_agg(event_id {latest} AS {attribute}_event_id",
        ]
    assignments = [
        f"{column} = r.{column}"
        for attribute in attributes
        for column in (attribute, f"{attribute}_at", f"{attribute}_event_id")
    ]
    return (
        f"UPDATE {table} AS d SET {', '.join(assignments)} "
        f"FROM (SELECT workspace_id, {key}, {', '.join(columns)} FROM event WHERE {key} IS NOT NULL GROUP BY 1, 2) AS r "
        f"WHERE d.workspace_id = r.workspace_id AND d.{key} = r.{key}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0007_support_total_hourly"),
    ]

    operations = [
        migrations.RunSQL("LOCK TABLE event IN SHARE MODE", migrations.RunSQL.noop),
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
        migrations.RemoveField(
            model_name="agent",
            name="attributes_at",
        ),
        migrations.RemoveField(
            model_name="agent",
            name="attributes_event_id",
        ),
        migrations.RemoveField(
            model_name="channel",
            name="attributes_at",
        ),
        migrations.RemoveField(
            model_name="channel",
            name="attributes_event_id",
        ),
        migrations.RemoveField(
            model_name="customer",
            name="attributes_at",
        ),
        migrations.RemoveField(
            model_name="customer",
            name="attributes_event_id",
        ),
        migrations.AddField(
            model_name="agent",
            name="email_at",
            field=models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
        ),
        migrations.AddField(
            model_name="agent",
            name="email_event_id",
            field=models.CharField(
                help_text="event_id of the event the attribute comes from.", max_length=64, null=True
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="name_at",
            field=models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
        ),
        migrations.AddField(
            model_name="agent",
            name="name_event_id",
            field=models.CharField(
                help_text="event_id of the event the attribute comes from.", max_length=64, null=True
            ),
        ),
        migrations.AddField(
            model_name="channel",
            name="name_at",
            field=models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
        ),
        migrations.AddField(
            model_name="channel",
            name="name_event_id",
            field=models.CharField(
                help_text="event_id of the event the attribute comes from.", max_length=64, null=True
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="name_at",
            field=models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
        ),
        migrations.AddField(
            model_name="customer",
            name="name_event_id",
            field=models.CharField(
                help_text="event_id of the event the attribute comes from.", max_length=64, null=True
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="type_at",
            field=models.DateTimeField(help_text="occurred_at of the event the attribute comes from.", null=True),
        ),
        migrations.AddField(
            model_name="customer",
            name="type_event_id",
            field=models.CharField(
                help_text="event_id of the event the attribute comes from.", max_length=64, null=True
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="event",
            trigger=pgtrigger.compiler.Trigger(
                name="merge_agents",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.\n-- Reads:     new_events that name an agent.\n-- Keeps:     agent = sql/recompute/agent.sql: one row per agent id; first/last seen are the\n--            min/max occurred_at. Each attribute (name, email) is merged on its own: it\n--            comes from the latest event (by occurred_at, then event_id) that carried it, so an\n--            event without it leaves it alone and the row does not depend on arrival order.\n-- Locking:   the upsert locks the statement's agents in key order; the attribute UPDATE then\n--            touches only rows this transaction already holds.\nINSERT INTO agent AS d (workspace_id, agent_id, first_seen_at, last_seen_at)\nSELECT workspace_id, agent_id, min(occurred_at), max(occurred_at)\nFROM new_events\nWHERE agent_id IS NOT NULL\nGROUP BY 1, 2\nORDER BY 1, 2\nON CONFLICT (workspace_id, agent_id) DO UPDATE SET\n    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),\n    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);\n\nWITH latest AS (\n    -- Per attribute: the value, occurred_at and event_id of the batch's latest event carrying it.\n    SELECT workspace_id,\n           agent_id,\n           (array_agg(agent_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_name IS NOT NULL))[1] AS name,\n           max(occurred_at) FILTER (WHERE agent_name IS NOT NULL) AS name_at,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_name IS NOT NULL))[1] AS name_event_id,\n           (array_agg(agent_email ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_email IS NOT NULL))[1] AS email,\n           max(occurred_at) FILTER (WHERE agent_email IS NOT NULL) AS email_at,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE agent_email IS NOT NULL))[1] AS email_event_id\n    FROM new_events\n    WHERE agent_id IS NOT NULL AND (agent_name IS NOT NULL OR agent_email IS NOT NULL)\n    GROUP BY 1, 2\n),\nmerged AS (\n    -- takes_<attribute>: the batch's value is later than the stored one.\n    SELECT l.*,\n           l.name_at IS NOT NULL\n               AND (d.name_at IS NULL OR (l.name_at, l.name_event_id) > (d.name_at, d.name_event_id)) AS takes_name,\n           l.email_at IS NOT NULL\n               AND (d.email_at IS NULL OR (l.email_at, l.email_event_id) > (d.email_at, d.email_event_id)) AS takes_email\n    FROM latest AS l\n    JOIN agent AS d USING (workspace_id, agent_id)\n)\nUPDATE agent AS d SET\n    name = CASE WHEN m.takes_name THEN m.name ELSE d.name END,\n    name_at = CASE WHEN m.takes_name THEN m.name_at ELSE d.name_at END,\n    name_event_id = CASE WHEN m.takes_name THEN m.name_event_id ELSE d.name_event_id END,\n    email = CASE WHEN m.takes_email THEN m.email ELSE d.email END,\n    email_at = CASE WHEN m.takes_email THEN m.email_at ELSE d.email_at END,\n    email_event_id = CASE WHEN m.takes_email THEN m.email_event_id ELSE d.email_event_id END\nFROM merged AS m\nWHERE d.workspace_id = m.workspace_id\n  AND d.agent_id = m.agent_id\n  AND (m.takes_name OR m.takes_email);\nRETURN NULL;",
                    hash="fa0f900fdb3ad587ceb1e57a13388e97225ad3f4",
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
                    func="-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.\n-- Reads:     new_events that name a channel.\n-- Keeps:     channel = sql/recompute/channel.sql: one row per channel id; first/last seen are\n--            the min/max occurred_at; the name comes from the latest event (by occurred_at,\n--            then event_id) that carried one.\n-- Locking:   as event__merge_agents.sql.\nINSERT INTO channel AS d (workspace_id, channel_id, first_seen_at, last_seen_at)\nSELECT workspace_id, channel_id, min(occurred_at), max(occurred_at)\nFROM new_events\nWHERE channel_id IS NOT NULL\nGROUP BY 1, 2\nORDER BY 1, 2\nON CONFLICT (workspace_id, channel_id) DO UPDATE SET\n    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),\n    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);\n\nUPDATE channel AS d\nSET name = latest.channel_name,\n    name_at = latest.occurred_at,\n    name_event_id = latest.event_id\nFROM (\n    SELECT DISTINCT ON (workspace_id, channel_id) workspace_id, channel_id, channel_name, occurred_at, event_id\n    FROM new_events\n    WHERE channel_id IS NOT NULL AND channel_name IS NOT NULL\n    ORDER BY workspace_id, channel_id, occurred_at DESC, event_id DESC\n) AS latest\nWHERE d.workspace_id = latest.workspace_id\n  AND d.channel_id = latest.channel_id\n  AND (d.name_at IS NULL\n       OR (latest.occurred_at, latest.event_id) > (d.name_at, d.name_event_id));\nRETURN NULL;",
                    hash="64ba9a658b6a9ab0c8ba2b8d64e1c61b8676db02",
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
                    func="-- Trigger:   AFTER INSERT ON event, FOR EACH STATEMENT, new rows as new_events.\n-- Reads:     new_events that name a customer.\n-- Keeps:     customer = sql/recompute/customer.sql: one row per customer id; first/last seen are the\n--            min/max occurred_at. Each attribute (name, type) is merged on its own: it\n--            comes from the latest event (by occurred_at, then event_id) that carried it, so an\n--            event without it leaves it alone and the row does not depend on arrival order.\n-- Locking:   the upsert locks the statement's customers in key order; the attribute UPDATE then\n--            touches only rows this transaction already holds.\nINSERT INTO customer AS d (workspace_id, customer_id, first_seen_at, last_seen_at)\nSELECT workspace_id, customer_id, min(occurred_at), max(occurred_at)\nFROM new_events\nWHERE customer_id IS NOT NULL\nGROUP BY 1, 2\nORDER BY 1, 2\nON CONFLICT (workspace_id, customer_id) DO UPDATE SET\n    first_seen_at = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),\n    last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at);\n\nWITH latest AS (\n    -- Per attribute: the value, occurred_at and event_id of the batch's latest event carrying it.\n    SELECT workspace_id,\n           customer_id,\n           (array_agg(customer_name ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name,\n           max(occurred_at) FILTER (WHERE customer_name IS NOT NULL) AS name_at,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_name IS NOT NULL))[1] AS name_event_id,\n           (array_agg(customer_type ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type,\n           max(occurred_at) FILTER (WHERE customer_type IS NOT NULL) AS type_at,\n           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE customer_type IS NOT NULL))[1] AS type_event_id\n    FROM new_events\n    WHERE customer_id IS NOT NULL AND (customer_name IS NOT NULL OR customer_type IS NOT NULL)\n    GROUP BY 1, 2\n),\nmerged AS (\n    -- takes_<attribute>: the batch's value is later than the stored one.\n    SELECT l.*,\n           l.name_at IS NOT NULL\n               AND (d.name_at IS NULL OR (l.name_at, l.name_event_id) > (d.name_at, d.name_event_id)) AS takes_name,\n           l.type_at IS NOT NULL\n               AND (d.type_at IS NULL OR (l.type_at, l.type_event_id) > (d.type_at, d.type_event_id)) AS takes_type\n    FROM latest AS l\n    JOIN customer AS d USING (workspace_id, customer_id)\n)\nUPDATE customer AS d SET\n    name = CASE WHEN m.takes_name THEN m.name ELSE d.name END,\n    name_at = CASE WHEN m.takes_name THEN m.name_at ELSE d.name_at END,\n    name_event_id = CASE WHEN m.takes_name THEN m.name_event_id ELSE d.name_event_id END,\n    type = CASE WHEN m.takes_type THEN m.type ELSE d.type END,\n    type_at = CASE WHEN m.takes_type THEN m.type_at ELSE d.type_at END,\n    type_event_id = CASE WHEN m.takes_type THEN m.type_event_id ELSE d.type_event_id END\nFROM merged AS m\nWHERE d.workspace_id = m.workspace_id\n  AND d.customer_id = m.customer_id\n  AND (m.takes_name OR m.takes_type);\nRETURN NULL;",
                    hash="bf46b00441dc8f37d7f46d9a7da757ba8ea10a48",
                    level="STATEMENT",
                    operation="INSERT",
                    pgid="pgtrigger_merge_customers_65696",
                    referencing="REFERENCING NEW TABLE AS new_events ",
                    table="event",
                    when="AFTER",
                ),
            ),
        ),
        *(migrations.RunSQL(fill(table), migrations.RunSQL.noop) for table in ATTRIBUTES),
    ]
