"""The pgtrigger objects of Tally. Each body lives in sql/triggers/<table>__<what>.sql.

pgtrigger installs them through migrations that carry a hash of the SQL, so editing a .sql
file shows up in `makemigrations --check` and arrives as a migration.
"""

import pgtrigger

from core.sql import read_sql

NEW_EVENTS = pgtrigger.Referencing(new="new_events")


def summary_trigger(name: str) -> pgtrigger.Trigger:
    """AFTER INSERT statement trigger on event whose body is sql/triggers/event__<name>.sql."""
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        referencing=NEW_EVENTS,
        func=read_sql(f"triggers/event__{name}.sql"),
    )


SUMMARY_TRIGGER_NAMES = (
    "count_hourly",
    "count_customer_interactions",
    "merge_agents",
    "merge_channels",
    "merge_customers",
    "merge_conversations",
)


def event_triggers() -> list[pgtrigger.Trigger]:
    return [
        pgtrigger.Protect(name="append_only", operation=pgtrigger.Update),
        *(summary_trigger(name) for name in SUMMARY_TRIGGER_NAMES),
    ]
