"""Migration 0010 turns an existing, filled, unpartitioned event table into the partitioned one
without losing or double counting an event."""

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]
# Named after the test database, so that suites run side by side on one server (TALLY_TEST_DATABASE)
# do not drop each other's scratch database.
DATABASE = f"{os.environ.get('TALLY_TEST_DATABASE') or 'tally_test'}_partition_migration"

# What `simulate` sends (40 days, so two months), validated like the API validates it; MODE then
# stores the rows.
FILL = """
from datetime import UTC, datetime
from django.db import connection
from analytics import simulation
from analytics.serializers import EventSerializer
from analytics.services import COLUMNS, event_row, insert_params
from core.models import Workspace

# Raw SQL and only the id: the workspace table of 0009's state lacks later columns.
with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO workspace (slug, name, timezone) VALUES ('acme', 'acme', 'UTC') ON CONFLICT (slug) DO NOTHING"
    )
workspace = Workspace.objects.only("id").get(slug="acme")
events = list(simulation.history(end=datetime(2026, 11, 25, tzinfo=UTC), days=40, conversations=300, seed=3))
rows = []
for start in range(0, len(events), 1000):
    serializer = EventSerializer(data=events[start : start + 1000], many=True)
    serializer.is_valid(raise_exception=True)
    rows += [(workspace.pk, event_row(event)) for event in serializer.validated_data]
MODE
"""

# The rows stored the way migration 0009's ingest statement stored them (before event_key).
LEGACY = """
statement = (
    "INSERT INTO event (workspace_id, event_id, name, occurred_at, conversation_id, channel_id, channel_name, "
    "agent_id, agent_name, agent_email, customer_id, customer_name, customer_type, session_id, user_id, value, "
    "properties) SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[], "
    "%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], "
    "%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::numeric[], %s::jsonb[]) "
    "ON CONFLICT (workspace_id, event_id) DO NOTHING"
)
# The columns 0009 had: category and customer_occupation came later.
legacy = ["workspace_id", *(column for column in COLUMNS if column not in ("customer_occupation", "category"))]
with connection.cursor() as cursor:
    for start in range(0, len(rows), 500):
        arrays = dict(zip(["workspace_id", *COLUMNS], insert_params(rows[start : start + 500]), strict=True))
        cursor.execute(statement, [arrays[column] for column in legacy])
"""

# The same rows through today's ingest statement.
RESEND = """
from analytics.services import rows_insert
stored = sum(len(rows_insert(rows[start : start + 500])) for start in range(0, len(rows), 500))
print(f"stored {stored} of {len(rows)}")
"""


def scratch_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{DATABASE}"))


def admin_connection():
    connection = psycopg2.connect(os.environ["DATABASE_URL"])
    connection.autocommit = True
    return connection


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": scratch_url(), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )


def figures(cursor) -> dict:
    queries = {
        "events": "SELECT count(*) FROM event",
        "distinct_keys": "SELECT count(DISTINCT (workspace_id, event_id)) FROM event",
        "hourly_events": "SELECT sum(events) FROM event_hourly",
        "created": "SELECT sum(conversations_created) FROM support_total_hourly",
        "replies": "SELECT sum(agent_replies) FROM support_hourly",
        "open": "SELECT sum(open) FROM support_live",
        "conversations": "SELECT count(*) FROM conversation",
        "max_id": "SELECT max(id) FROM event",
    }
    result = {}
    for name, sql in queries.items():
        cursor.execute(sql)
        result[name] = cursor.fetchone()[0]
    return result


def verify_is_clean() -> None:
    completed = manage("rollups", "verify")
    assert (completed.returncode, completed.stdout.strip()) == (0, "0 differences"), completed.stdout


@pytest.fixture
def scratch():
    with closing(admin_connection()) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    yield
    with closing(admin_connection()) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def test_a_database_filled_by_simulate_keeps_every_event_and_figure_through_the_migration(scratch):
    """Verifies: migrate to 0009, store 40 days of `simulate` events with 0009's statement, migrate
    to the end; the same events and summary figures, one key per event, 0 differences; the same
    events sent again store nothing, and new ones get new ids."""
    # Today's views read tables of later migrations: the old state gets none (its triggers need none).
    completed = manage("migrate", "analytics", "0009_write_slots", "--noinput", TALLY_SYNC_VIEWS_ON_MIGRATE="0")
    assert completed.returncode == 0, completed.stderr
    completed = manage("shell", "-c", FILL.replace("MODE", LEGACY))
    assert completed.returncode == 0, completed.stderr
    with closing(psycopg2.connect(scratch_url())) as connection, connection.cursor() as cursor:
        before = figures(cursor)
    assert before["events"] > 2000

    completed = manage("migrate", "--noinput")
    assert completed.returncode == 0, completed.stderr
    with closing(psycopg2.connect(scratch_url())) as connection, connection.cursor() as cursor:
        assert figures(cursor) == before
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'event'")
        assert cursor.fetchone() == ("p",)
        cursor.execute("SELECT count(*) FROM event_key")
        assert cursor.fetchone() == (before["events"],)
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'event'::regclass")
        assert cursor.fetchone()[0] >= 3
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname = 'event_unpartitioned'")
        assert cursor.fetchone() == (0,)
    verify_is_clean()

    completed = manage("shell", "-c", FILL.replace("MODE", RESEND))
    assert completed.returncode == 0, completed.stderr
    assert "\nstored 0 of " in completed.stdout, completed.stdout
    more = manage("simulate", "--workspace", "acme", "--days", "1", "--conversations", "20", "--seed", "4")
    assert more.returncode == 0, more.stderr
    with closing(psycopg2.connect(scratch_url())) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT id), min(id) FILTER (WHERE id > %s) FROM event", [before["max_id"]]
        )
        total, distinct_ids, first_new = cursor.fetchone()
    assert total == distinct_ids > before["events"]
    assert first_new is not None
    verify_is_clean()
