"""The pgtrigger objects of Tally. Each body lives in sql/triggers/<table>__<what>.sql.

pgtrigger installs them through migrations that carry a hash of the SQL, so editing a .sql
file shows up in `makemigrations --check` and arrives as a migration. The installed body is
the file's statements wrapped by triggers/shards.py, so that the same trigger works on plain
PostgreSQL and on the shards of a Citus cluster.
"""

import re

import pgtrigger

from core.sql import read_sql
from triggers.shards import WORKSPACE_VARIABLE, shard_aware_body

NEW_EVENTS = pgtrigger.Referencing(new="new_events")
OLD_EVENTS = pgtrigger.Referencing(old="old_events")

INCLUDE = re.compile(r"^-- @include (?P<file>\S+): (?P<part>.+)$", re.MULTILINE)
MARKER = re.compile(r"^-- @(?:begin|end) .*\n", re.MULTILINE)


def trigger_sql(file: str) -> str:
    """sql/triggers/<file>, with each `-- @include <file>: <part>` line replaced by the lines
    between `-- @begin <part>` and `-- @end <part>` of that file (one copy of SQL that two
    triggers share, e.g. the support summaries' deltas of ingestion and erasure)."""

    def part(match: re.Match) -> str:
        source = read_sql(f"triggers/{match['file']}")
        begin = source.index(f"-- @begin {match['part']}")
        end = source.index(f"-- @end {match['part']}")
        return source[begin:end].rstrip()

    # The marker lines themselves go: the installed body is the statements.
    return MARKER.sub("", INCLUDE.sub(part, read_sql(f"triggers/{file}")))


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
        func=shard_aware_body(trigger_sql(f"{table}__{name}.sql"), table=table, transition=transition),
    )


def erase_trigger() -> pgtrigger.Trigger:
    """AFTER DELETE statement trigger on event: sql/triggers/event__erase.sql."""
    return statement_trigger(table="event", name="erase", operation=pgtrigger.Delete, referencing=OLD_EVENTS)


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
        erase_trigger(),
    ]
