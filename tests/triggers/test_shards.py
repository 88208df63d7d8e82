"""The installed trigger bodies (triggers/shards.py): the plain form is the file's statements
unchanged, the Citus form runs the same statements against co-located shards."""

import random
from datetime import UTC, datetime

import pytest
from django.db import connection

from analytics import rollups, services
from analytics.models import Event
from analytics.simulation import history
from core.sql import SQL_DIR, read_sql
from tests.factories import validated
from triggers import SUMMARY_TRIGGER_NAMES, summary_trigger, trigger_sql
from triggers.shards import LEAN_WHEN, lean_form, relations, shard_aware_body, sharded, statements

TRIGGER_FILES = sorted(SQL_DIR.glob("triggers/*.sql"))


def installed(path) -> tuple[str, str]:
    """The statements a trigger file installs (its includes expanded) and its transition table."""
    return trigger_sql(path.name), "old_events" if path.name == "event__erase.sql" else "new_events"


def test_statements_split_on_semicolons_outside_strings_and_comments():
    """Verifies a `;` inside a string or a comment does not end a statement."""
    sql = "-- a; b\nINSERT INTO t SELECT ';' FROM new_events;\n/* x; */ UPDATE t SET a = 1;\nRETURN NULL;"
    assert statements(sql) == [
        "-- a; b\nINSERT INTO t SELECT ';' FROM new_events;",
        "/* x; */ UPDATE t SET a = 1;",
        "RETURN NULL;",
    ]


def test_sharded_replaces_tables_and_keeps_ctes_functions_and_the_transition_table():
    """Verifies every table becomes a placeholder (aliased by its name where it had no alias),
    while CTE names, set-returning functions, EXTRACT(... FROM ...) and the transition table stay."""
    sql = (
        "WITH counts AS (SELECT workspace_id, EXTRACT(EPOCH FROM occurred_at) AS e FROM new_events), "
        "ins AS (INSERT INTO hourly AS h (workspace_id) SELECT workspace_id FROM counts "
        "ON CONFLICT (workspace_id) DO UPDATE SET n = h.n + 1) "
        "UPDATE conversation SET n = conversation.n + 1 FROM counts JOIN unnest(ARRAY[1]) AS u ON true "
        "WHERE conversation.workspace_id = counts.workspace_id AND name LIKE 'conversation.%'"
    )
    text, tables = sharded(sql, transition="new_events")
    assert tables == ["hourly", "conversation"]
    assert "INSERT INTO %1$s AS h (workspace_id)" in text
    assert "UPDATE %2$s AS conversation SET n = conversation.n + 1 FROM counts JOIN unnest(" in text
    assert "EXTRACT(EPOCH FROM occurred_at)" in text and "FROM new_events" in text
    assert "LIKE 'conversation.%%'" in text


def test_sharded_handles_a_delete_trigger_on_old_events():
    """Verifies a statement-level AFTER DELETE body reading old_events is rewritten the same way,
    and PERFORM (no result) becomes SELECT for EXECUTE."""
    text, tables = sharded(
        "DELETE FROM customer_slot AS d USING old_events AS o WHERE d.workspace_id = o.workspace_id;",
        transition="old_events",
    )
    assert (text, tables) == (
        "DELETE FROM %1$s AS d USING old_events AS o WHERE d.workspace_id = o.workspace_id;",
        ["customer_slot"],
    )
    text, tables = sharded("LOCK TABLE event IN SHARE ROW EXCLUSIVE MODE;", transition="old_events")
    assert (text, tables) == ("LOCK TABLE %1$s IN SHARE ROW EXCLUSIVE MODE;", ["event"])
    text, tables = sharded("PERFORM 1 FROM conversation AS c FOR UPDATE;", transition="old_events")
    assert (text, tables) == ("SELECT 1 FROM %1$s AS c FOR UPDATE;", ["conversation"])
    body = shard_aware_body(
        "DELETE FROM event_hourly USING old_events;\nRETURN NULL;", table="event", transition="old_events"
    )
    assert "SELECT workspace_id INTO tally_workspace_id FROM old_events LIMIT 1;" in body


@pytest.mark.parametrize("path", TRIGGER_FILES, ids=lambda path: path.name)
def test_plain_branch_is_the_file_unchanged(path):
    """Verifies that on plain PostgreSQL the installed body runs the file's statements as written
    (static SQL, planned and cached by PL/pgSQL as before)."""
    sql, transition = installed(path)
    table = path.name.split("__")[0]
    body = shard_aware_body(sql, table=table, transition=transition)
    plain = body.split("\nELSE\n    -- A Citus shard")[0]
    assert plain.startswith(f"IF TG_TABLE_NAME = '{table}' THEN")
    for statement in statements(sql)[:-1]:
        # A statement with a lean form is there whole too, under ELSE (its condition lines aside).
        assert "\n".join(line.strip() for line in LEAN_WHEN.sub("", statement).splitlines()) in "\n".join(
            line.strip() for line in plain.splitlines()
        )


LEAN_SQL = (
    "DELETE FROM event_hourly USING new_events;\n"
    "-- @lean-when NOT EXISTS (\n"
    "-- @lean-when     SELECT 1 FROM new_events WHERE name <> 'x')\n"
    "WITH a AS (SELECT 1 FROM new_events),\n"
    "-- @full-only {\n"
    "b AS (INSERT INTO support_team_hourly SELECT * FROM new_events),\n"
    "-- @full-only }\n"
    "c AS (SELECT 2)\n"
    "INSERT INTO event_name_hourly SELECT * FROM a\n"
    "-- @full-only {\n"
    "UNION ALL SELECT * FROM c\n"
    "-- @full-only }\n"
    ";\nRETURN NULL;"
)


def test_a_lean_form_runs_without_its_full_only_spans_when_its_condition_holds():
    """Verifies a statement with `-- @lean-when` lines becomes, on plain PostgreSQL, IF <the lines
    joined> THEN <the statement without its -- @full-only spans> ELSE <the whole statement>, and
    that a shard runs the whole statement (its form is not generated there)."""
    condition, lean = lean_form(statements(LEAN_SQL)[1])
    assert condition == "NOT EXISTS (\n    SELECT 1 FROM new_events WHERE name <> 'x')"
    assert "support_team_hourly" not in lean and "UNION ALL" not in lean and "@lean-when" not in lean
    assert "c AS (SELECT 2)\nINSERT INTO event_name_hourly SELECT * FROM a\n;" in lean
    body = shard_aware_body(LEAN_SQL, table="event", transition="new_events")
    plain, citus = body.split("\nELSE\n    -- A Citus shard")
    lines = [line.strip() for line in plain.splitlines()]
    start = lines.index("IF NOT EXISTS (")
    assert lines[start + 1 : start + 3] == [
        "SELECT 1 FROM new_events WHERE name <> 'x') THEN",
        "WITH a AS (SELECT 1 FROM new_events),",
    ]
    assert lines.count("ELSE") == 1 and plain.count("support_team_hourly") == 1
    assert plain.count("DELETE FROM event_hourly") == 1
    assert "shard_name('support_team_hourly'" in citus and "UNION ALL" in citus and "IF NOT EXISTS" not in citus


def test_a_lean_form_needs_balanced_full_only_spans():
    """Verifies an opening `-- @full-only {` without its closing line is refused, not cut to the
    end of the statement."""
    broken = LEAN_SQL.replace("-- @full-only }\nc AS", "c AS")
    with pytest.raises(ValueError, match="balanced"):
        shard_aware_body(broken, table="event", transition="new_events")


def test_a_statement_marked_not_on_citus_runs_on_plain_postgresql_only():
    """Verifies a statement after a `-- @not-on-citus` line is in the plain branch and not in the
    shard branch, and the statements around it are in both."""
    body = shard_aware_body(
        "UPDATE event_hourly SET events = events FROM new_events;\n"
        "-- @not-on-citus: the workspace's row\n"
        "PERFORM 1 FROM workspace WHERE id IN (SELECT workspace_id FROM new_events) FOR SHARE;\n"
        "DELETE FROM event_name_hourly USING new_events;\nRETURN NULL;",
        table="event",
        transition="new_events",
    )
    plain, citus = body.split("\nELSE\n")
    assert "FOR SHARE" in plain and "FOR SHARE" not in citus
    assert "shard_name('event_hourly'" in citus and "shard_name('event_name_hourly'" in citus
    assert "workspace" not in citus.replace("tally_workspace_id", "").replace("workspace_id", "")


@pytest.mark.django_db
@pytest.mark.parametrize("path", TRIGGER_FILES, ids=lambda path: path.name)
def test_every_relation_of_a_trigger_is_a_table(path):
    """Verifies the generator found only tables (a view or a CTE taken for a table would break the
    Citus form), and at least one per statement that is not RETURN NULL."""
    with connection.cursor() as cursor:
        sql, transition = installed(path)
        for statement in statements(sql)[:-1]:
            names = relations(statement, transition=transition)
            assert names, statement[:80]
            cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY (%s) AND relkind IN ('r', 'p')", [names])
            assert sorted(name for (name,) in cursor.fetchall()) == sorted(names)


def stand_in_shard(cursor, name: str = "event_102008") -> None:
    """A table named like a Citus shard of event, with event's triggers as triggers/ generates them
    now (not as last migrated), and Citus's two lookup functions answering that every other table
    is its own shard, and that the shard of event co-located with this one is this one (as on
    Citus, where a trigger's reads of event stay on the shard it fires on): the Citus branch then
    runs on plain PostgreSQL against the real summary tables. (Rolled back with the test.)"""
    cursor.execute(
        "CREATE FUNCTION get_shard_id_for_distribution_column(regclass, anyelement) RETURNS bigint "
        "LANGUAGE sql AS 'SELECT 102008::bigint'"
    )
    cursor.execute(
        "CREATE FUNCTION shard_name(regclass, bigint) RETURNS text LANGUAGE sql "
        f"AS $$SELECT CASE WHEN $1 = 'event'::regclass THEN '{name}' ELSE $1::text END$$"
    )
    cursor.execute(f"CREATE TABLE {name} (LIKE event INCLUDING DEFAULTS INCLUDING IDENTITY)")
    cursor.execute(summary_trigger().compile(Event).install_sql)
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'event'::regclass AND NOT tgisinternal"
    )
    for (definition,) in cursor.fetchall():
        cursor.execute(definition.replace(" ON public.event ", f" ON {name} "))


@pytest.mark.django_db
def test_citus_branch_keeps_every_summary_exact(workspace):
    """Verifies the Citus form of every summary trigger (the EXECUTE format(...) statements on the
    co-located shards) writes exactly what the recomputation from the raw events gives: events
    stored in event with triggers off, then inserted into a stand-in shard whose triggers take the
    Citus branch, in batches of random size."""
    events = list(history(end=datetime(2026, 3, 4, tzinfo=UTC), days=2, conversations=40, seed=3))
    rows = [(workspace.id, services.event_row(event)) for event in validated(events)]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        services.rows_insert(rows)
        cursor.execute("SET LOCAL session_replication_role = origin")
        stand_in_shard(cursor)
        cursor.execute("SELECT id FROM event ORDER BY occurred_at, id")
        ids = [event_id for (event_id,) in cursor.fetchall()]
        rng, start = random.Random(7), 0
        while start < len(ids):
            size = rng.choice([1, 2, 5, 40, 300])
            cursor.execute(
                "INSERT INTO event_102008 SELECT * FROM event WHERE id = ANY (%s)", [ids[start : start + size]]
            )
            start += size
        cursor.execute("SELECT sum(events) FROM event_hourly")
        assert cursor.fetchone()[0] == len(ids) > 300
    assert rollups.differences() == []
    # Erasure through the shard's erase trigger (its Citus branch reads the remaining events from
    # the co-located shard of event, the stand-in itself): the rows go from event with triggers
    # off (what verify recomputes from), then from the stand-in shard, in two statements.
    gone = sorted(random.Random(8).sample(ids, len(ids) // 3))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM event WHERE id = ANY (%s)", [gone])
        cursor.execute("SET LOCAL session_replication_role = origin")
        for part in (gone[::2], gone[1::2]):
            cursor.execute("DELETE FROM event_102008 WHERE id = ANY (%s)", [part])
    assert rollups.differences() == []


def test_every_summary_trigger_has_a_file():
    """Verifies the trigger list and sql/triggers/ agree (a file without a trigger is never installed)."""
    assert sorted(f"event__{name}.sql" for name in (*SUMMARY_TRIGGER_NAMES, "erase")) == sorted(
        path.name for path in TRIGGER_FILES if path.name.startswith("event__")
    )
    assert all(read_sql(f"triggers/event__{name}.sql") for name in SUMMARY_TRIGGER_NAMES)
