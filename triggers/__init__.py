"""The pgtrigger objects of Tally. Each body lives in sql/triggers/<table>__<what>.sql.

pgtrigger installs them through migrations that carry a hash of the SQL, so editing a .sql
file shows up in `makemigrations --check` and arrives as a migration. The installed body is
the file's statements wrapped by triggers/shards.py, so that the same trigger works on plain
PostgreSQL and on the shards of a Citus cluster.
"""

import pgtrigger

from core.sql import read_sql
from triggers.shards import WORKSPACE_VARIABLE, shard_aware_body

NEW_EVENTS = pgtrigger.Referencing(new="new_events")


def statement_trigger(
    *, table: str, name: str, operation: pgtrigger.Operation, referencing: pgtrigger.Referencing
) -> pgtrigger.Trigger:
    """AFTER statement trigger on `table` whose statements are sql/triggers/<table>__<name>.sql."""
    transition = referencing.new or referencing.old
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=referencing,
        declare=[(WORKSPACE_VARIABLE, "bigint")],
        func=shard_aware_body(read_sql(f"triggers/{table}__{name}.sql"), table=table, transition=transition),
    )


def summary_trigger(name: str) -> pgtrigger.Trigger:
    """AFTER INSERT statement trigger on event whose body is sql/triggers/event__<name>.sql."""
    return statement_trigger(table="event", name=name, operation=pgtrigger.Insert, referencing=NEW_EVENTS)


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
