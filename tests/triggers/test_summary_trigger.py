"""The one AFTER INSERT trigger on event (triggers.summary_trigger): it runs the statements of
every file of SUMMARY_TRIGGER_NAMES, in that order, and is the only insert trigger installed."""

import pytest
from django.db import connection

from analytics.models import Event
from triggers import SUMMARY_TRIGGER_NAMES, joined_bodies, summaries_sql, summary_trigger, trigger_sql
from triggers.shards import statements


def test_the_body_runs_every_file_in_the_listed_order():
    """Verifies the combined body is each file's statements (RETURN NULL aside), file after file
    in the order of SUMMARY_TRIGGER_NAMES (the lock order), and a single RETURN NULL at the end."""
    body = summaries_sql()
    position = 0
    for name in SUMMARY_TRIGGER_NAMES:
        for statement in statements(trigger_sql(f"event__{name}.sql"))[:-1]:
            found = body.find(statement, position)
            assert found >= position, f"{name}: {statement[:60]}"
            position = found + len(statement)
    assert body.count("RETURN NULL;") == 1 and body.rstrip().endswith("RETURN NULL;")


def test_a_file_without_its_return_null_is_refused():
    """Verifies a file that does not end with RETURN NULL; cannot be joined silently (a statement
    after a RETURN would never run)."""
    with pytest.raises(ValueError, match="event__b.sql must end with RETURN NULL"):
        joined_bodies({"event__a.sql": "SELECT 1;\nRETURN NULL;", "event__b.sql": "RETURN NULL;\nSELECT 2;"})
    joined = joined_bodies({"event__a.sql": "SELECT 1;\nRETURN NULL;\n"})
    assert joined == "-- sql/triggers/event__a.sql\nSELECT 1;\nRETURN NULL;"


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
    for name in SUMMARY_TRIGGER_NAMES:
        assert f"-- sql/triggers/event__{name}.sql" in found[0][1]
