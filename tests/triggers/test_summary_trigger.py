"""The one AFTER INSERT trigger on event (triggers.summary_trigger): it runs the statements of
every file of SUMMARY_TRIGGER_NAMES, in that order, each file's under its `-- @when` guard, and
is the only insert trigger installed."""

import pytest
from django.db import connection

from analytics.models import Event
from triggers import SUMMARY_TRIGGER_NAMES, sections_of, summaries_sql, summary_sections, summary_trigger, trigger_sql
from triggers.shards import LEAN_WHEN, statements


def lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def test_the_body_runs_every_file_in_the_listed_order():
    """Verifies the combined body is each file's statements (RETURN NULL aside), file after file
    in the order of SUMMARY_TRIGGER_NAMES (the lock order), and a single RETURN NULL at the end."""
    body = lines(summaries_sql())
    position = 0
    for name in SUMMARY_TRIGGER_NAMES:
        for statement in statements(trigger_sql(f"event__{name}.sql"))[:-1]:
            # A statement with a lean form is there whole, under ELSE (its condition lines aside).
            whole = lines(LEAN_WHEN.sub("", statement))
            found = body.find(whole, position)
            assert found >= position, f"{name}: {statement[:60]}"
            position = found + len(whole)
    assert body.count("RETURN NULL;") == 1 and body.endswith("RETURN NULL;")


def test_guards_wrap_their_files_statements_in_both_branches():
    """Verifies a file's `-- @when` condition becomes an IF around its statements, on plain
    PostgreSQL and around the EXECUTEs of the Citus branch, and a file without one runs always."""
    sections = {section.label: section for section in summary_sections()}
    assert sections["sql/triggers/event__count_hourly.sql"].guard is None
    guard = sections["sql/triggers/event__merge_agents.sql"].guard
    assert guard == "EXISTS (SELECT 1 FROM new_events WHERE agent_id IS NOT NULL)"
    func = summary_trigger().func
    assert func.count(f"IF {guard} THEN") == 2
    plain, citus = func.split("\nELSE\n", 1)
    assert "INSERT INTO agent_slot" in plain.split(f"IF {guard} THEN", 1)[1]
    assert "agent_slot" in citus.split(f"IF {guard} THEN", 1)[1].split("END IF;", 1)[0]


def test_a_file_without_its_return_null_or_with_two_guards_is_refused():
    """Verifies a file that does not end with RETURN NULL; cannot be joined silently (a statement
    after a RETURN would never run), nor one with two guards (the file has one condition)."""
    with pytest.raises(ValueError, match="event__b.sql must end with RETURN NULL"):
        sections_of({"event__a.sql": "SELECT 1;\nRETURN NULL;", "event__b.sql": "RETURN NULL;\nSELECT 2;"})
    with pytest.raises(ValueError, match="more than one -- @when"):
        sections_of({"event__a.sql": "-- @when true\n-- @when false\nSELECT 1;\nRETURN NULL;"})
    (section,) = sections_of({"event__a.sql": "-- @when EXISTS (SELECT 1)\nSELECT 1;\nRETURN NULL;\n"})
    assert (section.guard, section.label) == ("EXISTS (SELECT 1)", "sql/triggers/event__a.sql")


@pytest.mark.django_db
def test_migrations_install_exactly_one_insert_trigger_with_the_combined_body():
    """Verifies the migrated database has one AFTER INSERT statement trigger on event, the
    installed function being the one triggers/ generates now (not six per-file triggers)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, p.prosrc FROM pg_trigger AS t JOIN pg_proc AS p ON p.oid = t.tgfoid "
            "WHERE t.tgrelid = 'event'::regclass AND NOT t.tgisinternal AND t.tgtype & 4 = 4"  # 4: INSERT
        )
        found = cursor.fetchall()
    assert [name for name, _ in found] == [summary_trigger().get_pgid(Event)]
    assert lines(summary_trigger().func) in lines(found[0][1])
