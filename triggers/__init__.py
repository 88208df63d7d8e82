"""The pgtrigger objects of Tally. Their statements live in sql/triggers/<table>__<what>.sql.

event has three: `append_only` (no UPDATE), `summarize` (AFTER INSERT: the statements of every
file in SUMMARY_TRIGGER_NAMES, in that order, in one function) and `erase` (AFTER DELETE:
event__erase.sql). pgtrigger installs them through migrations that carry a hash of the SQL, so
editing a .sql file shows up in `makemigrations --check` and arrives as a migration. The
installed body is the statements wrapped by triggers/shards.py, so that the same trigger works
on plain PostgreSQL and on the shards of a Citus cluster.
"""

import re

import pgtrigger

from core.sql import read_sql
from triggers.shards import WORKSPACE_VARIABLE, Section, plain_body, sections_body, shard_aware_body, statements

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
    *, table: str, name: str, operation: pgtrigger.Operation, referencing: pgtrigger.Referencing, sql: str
) -> pgtrigger.Trigger:
    """AFTER statement trigger on `table` whose body runs the statements `sql` (shard-aware)."""
    transition = referencing.new or referencing.old
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=referencing,
        declare=[(WORKSPACE_VARIABLE, "bigint")],
        func=shard_aware_body(sql, table=table, transition=transition),
    )


def erase_trigger() -> pgtrigger.Trigger:
    """AFTER DELETE statement trigger on event: sql/triggers/event__erase.sql."""
    return statement_trigger(
        table="event",
        name="erase",
        operation=pgtrigger.Delete,
        referencing=OLD_EVENTS,
        sql=trigger_sql("event__erase.sql"),
    )


# The files whose statements the one AFTER INSERT trigger on event runs, in this order: the order
# in which every ingest transaction (and erasure, see event__erase.sql) locks the summary tables.
SUMMARY_TRIGGER_NAMES = (
    "count_hourly",
    "count_properties",
    "count_customer_interactions",
    "merge_agents",
    "merge_channels",
    "merge_customers",
    "merge_conversations",
)

RETURN_NULL = re.compile(r"RETURN NULL;\s*\Z")
# `-- @when <condition>` in a file: its statements run only for an INSERT whose new rows meet the
# condition (one that reads new_events alone), e.g. the agent merge only when an event names an
# agent. The condition must hold whenever a statement of the file would change a row.
GUARD = re.compile(r"^-- @when (?P<condition>.+)$", re.MULTILINE)


def sections_of(bodies: dict[str, str]) -> list[Section]:
    """Trigger bodies (file name -> statements ending with RETURN NULL;) as the sections of one
    function: each file's statements under its `-- @when` guard, if any."""
    sections = []
    for file, body in bodies.items():
        if not RETURN_NULL.search(body):
            raise ValueError(f"sql/triggers/{file} must end with RETURN NULL;")
        guards = GUARD.findall(body)
        if len(guards) > 1:
            raise ValueError(f"sql/triggers/{file} has more than one -- @when line")
        parts = statements(body)[:-1]
        sections.append(Section(guard=guards[0] if guards else None, statements=parts, label=f"sql/triggers/{file}"))
    return sections


def summary_sections(names: tuple[str, ...] = SUMMARY_TRIGGER_NAMES) -> list[Section]:
    """The statements of sql/triggers/event__<name>.sql for each name, in order, each file's
    under its guard.

    Why one trigger and not one per file: the order of the files (the order in which every
    transaction locks the summary tables) is written here instead of following the triggers'
    names, and an INSERT pays one trigger call and one pgtrigger ignore check instead of six (a
    saving within the noise of bench/trigger_forms.py). A guard skips the statements of a file
    that the new rows cannot concern: a statement pays its executor start-up even on no rows."""
    return sections_of({f"event__{name}.sql": trigger_sql(f"event__{name}.sql") for name in names})


def summaries_sql(names: tuple[str, ...] = SUMMARY_TRIGGER_NAMES) -> str:
    """The summary trigger's statements for plain PostgreSQL (no Citus branch): its body as it
    was installed before triggers/shards.py, for comparisons."""
    return plain_body(summary_sections(names))


def summary_trigger(names: tuple[str, ...] = SUMMARY_TRIGGER_NAMES, *, name: str = "summarize") -> pgtrigger.Trigger:
    """The AFTER INSERT statement trigger on event that keeps every summary: the statements of
    the files `names` (sql/triggers/event__<name>.sql) in one function."""
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        referencing=NEW_EVENTS,
        declare=[(WORKSPACE_VARIABLE, "bigint")],
        func=sections_body(summary_sections(names), table="event", transition="new_events"),
    )


def event_triggers() -> list[pgtrigger.Trigger]:
    return [
        pgtrigger.Protect(name="append_only", operation=pgtrigger.Update),
        summary_trigger(),
        erase_trigger(),
    ]
