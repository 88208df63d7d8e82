"""Occupation became a customer attribute in 0028. Before it, the customers preset of
`import_events` kept a row's occupation as the property `occupation` of its `customer.profile`
event (the imported events: ids starting `imp-`). Those events get it in customer_occupation, and
every write slot of their customers the occupation of the latest such event (by occurred_at, then
event id), so the customer is what the same import would give today and `rollups verify` is
clean right after the upgrade. The properties stay as they were. Raw events are append-only
(the append_only trigger refuses an UPDATE): this one-time fill of the new column from the events'
own properties is the one exception, made with that trigger ignored for these statements.

Raw events before the retention horizon are gone: an occupation that only a retired event carried
stays unknown, in the customer and in its recomputation alike.

The SQL is written out here, not read from sql/: a migration must do the same thing whatever
those files become later."""

import pgtrigger
from django.db import migrations

EVENTS = """
UPDATE event
SET customer_occupation = left(properties ->> 'occupation', 100)
WHERE name = 'customer.profile' AND starts_with(event_id, 'imp-') AND customer_id IS NOT NULL
  AND jsonb_typeof(properties -> 'occupation') = 'string' AND properties ->> 'occupation' <> ''
"""

CUSTOMERS = """
UPDATE customer_slot AS d
SET occupation = o.occupation, occupation_at = o.occupation_at, occupation_event_id = o.occupation_event_id
FROM (
    SELECT workspace_id, customer_id,
           (array_agg(customer_occupation ORDER BY occurred_at DESC, event_id DESC))[1] AS occupation,
           max(occurred_at) AS occupation_at,
           (array_agg(event_id ORDER BY occurred_at DESC, event_id DESC))[1] AS occupation_event_id
    FROM event
    WHERE customer_id IS NOT NULL AND customer_occupation IS NOT NULL
    GROUP BY 1, 2
) AS o
WHERE (d.workspace_id, d.customer_id) = (o.workspace_id, o.customer_id)
"""


def fill(connection) -> None:
    with pgtrigger.ignore("analytics.Event:append_only"), connection.cursor() as cursor:
        cursor.execute(EVENTS)
        cursor.execute(CUSTOMERS)


def backfill(apps, schema_editor) -> None:
    fill(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0028_customer_occupation")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
