"""manage.py citus_distribute (analytics/citus.py). On plain PostgreSQL it refuses; on a Citus
coordinator (make citus-test, whose test database it has converted) every table with a
workspace_id is distributed, co-located with event, and a second run changes nothing."""

from io import StringIO

import pytest
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
    """Verifies workspace and api_token are reference tables and every table with a workspace_id
    is hash-distributed by it in event's co-location group (so the triggers write local shards)."""
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
    assert [known[name][1] for name in citus.REFERENCE_TABLES] == ["t", "t"]


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
