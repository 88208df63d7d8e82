"""manage.py citus_distribute (analytics/citus.py). On plain PostgreSQL it refuses; on a Citus
coordinator (make citus-test, whose test database it has converted) every table with a
workspace_id is distributed, co-located with event, and a second run changes nothing."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from analytics import citus


@pytest.mark.django_db
def test_citus_distribute_refuses_a_database_without_citus():
    """Verifies the command names what is missing instead of failing on a Citus function."""
    if citus.is_citus():
        pytest.skip("a Citus database")
    with pytest.raises(CommandError, match="no citus extension"):
        call_command("citus_distribute")


@pytest.fixture
def coordinator(db):
    if not citus.is_citus():
        pytest.skip("needs a Citus coordinator (make citus-test)")


def test_every_workspace_table_is_distributed_with_event(coordinator):
    """Verifies workspace, api_token and the workspace settings are reference tables and every
    other table with a workspace_id is hash-distributed by it in event's co-location group (so the
    triggers write local shards)."""
    with connection.cursor() as cursor:
        names = citus.tables_to_distribute(cursor)
        cursor.execute(
            "SELECT logicalrelid::regclass::text, partmethod, repmodel, colocationid, "
            "column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition"
        )
        known = {name: rest for name, *rest in cursor.fetchall()}
    assert {"event", "event_key", "conversation", "support_hourly", "event_name_hourly"} <= set(names)
    anchor = known["event"][2]
    assert {name: [known[name][0], *known[name][2:]] for name in names} == {
        name: ["h", anchor, "workspace_id"] for name in names
    }
    assert [known[name][1] for name in citus.REFERENCE_TABLES] == ["t"] * len(citus.REFERENCE_TABLES)


def test_citus_distribute_twice_changes_nothing(coordinator):
    """Verifies the command is idempotent: on a converted database it has no step left."""
    out = StringIO()
    call_command("citus_distribute", stdout=out)
    assert out.getvalue().strip() == "already distributed, nothing to do"


def test_triggers_are_on_every_shard_of_event(coordinator):
    """Verifies Citus created each summary trigger on every shard of event (where it fires)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'event'::regclass")
        shards = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT result FROM run_command_on_shards(
                'event', $$SELECT count(*) FROM pg_trigger WHERE tgrelid = '%s'::regclass AND NOT tgisinternal$$)
            """
        )
        counts = [int(result) for (result,) in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'event'::regclass AND NOT tgisinternal")
        expected = cursor.fetchone()[0]
    assert shards > 1 and counts == [expected] * shards


def test_every_sql_function_is_on_every_worker(coordinator):
    """Verifies each function of sql/functions/ (what the triggers call on the workers) exists on
    every worker node, with the same definition as on the coordinator."""
    names = sorted(path.stem for path in (settings.BASE_DIR / "sql" / "functions").glob("*.sql"))
    definitions = (
        "SELECT string_agg(md5(pg_get_functiondef(oid)), ',' ORDER BY proname) FROM pg_proc "
        f"WHERE proname IN ({', '.join(repr(name) for name in names)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(definitions)
        (expected,) = cursor.fetchone()
        cursor.execute("SELECT nodeport, success, result FROM run_command_on_workers(%s) ORDER BY 1", [definitions])
        found = cursor.fetchall()
    assert len(names) >= 4 and expected.count(",") == len(names) - 1
    assert len(found) >= 2 and [(success, result) for _, success, result in found] == [(True, expected)] * len(found)


def test_workspace_settings_distributed_before_become_reference_tables(coordinator):
    """Verifies citus_distribute converts business_schedule and sla_policy where an earlier run
    distributed them with event (before they were reference tables): undistributed, then made
    reference tables, their rows kept."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
        # As the earlier run left them: distributed, their foreign key to workspace dropped.
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE conrelid IN ('business_schedule'::regclass, 'sla_policy'::regclass) AND contype = 'f'"
        )
        for name, key in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {name} DROP CONSTRAINT "{key}"')
        cursor.execute("INSERT INTO workspace (slug, name, timezone) VALUES ('settings', 'S', 'UTC') RETURNING id")
        (workspace,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO sla_policy (workspace_id, effective_from, first_response_seconds, first_response_business, "
            "resolution_business) VALUES (%s, '2000-01-01', 60, false, false)",
            [workspace],
        )
        for name in ("business_schedule", "sla_policy"):
            cursor.execute(f"SELECT undistribute_table('{name}')")
            cursor.execute(f"SELECT create_distributed_table('{name}', 'workspace_id', colocate_with => 'event')")
        steps = [step.what for step in citus.plan(cursor)]
        assert steps == [
            "undistribute business_schedule",
            "reference table business_schedule",
            "undistribute sla_policy",
            "reference table sla_policy",
        ]
        call_command("citus_distribute", stdout=StringIO())
        known = citus.citus_tables(cursor)
        cursor.execute("SELECT first_response_seconds FROM sla_policy WHERE workspace_id = %s", [workspace])
        assert [known["business_schedule"], known["sla_policy"], cursor.fetchall()] == [
            "reference",
            "reference",
            [(60,)],
        ]
