"""The analysts' read-only role: checked from a real second connection logged in as that role."""

import io
import os

import psycopg2
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django_pgviews.models import ViewSyncer
from django_pgviews.view import View
from psycopg2 import errors

from analytics import refresh, rollups, services
from analytics.materialized import READABLE, reader_group
from core.auth import token_create
from core.models import Workspace
from tests.factories import support_event, validated

PASSWORD = "s3cret-reader"
FORBIDDEN = ("event", "api_token", "auth_user", "django_session", "django_migrations", "recompute_event_hourly")


@pytest.fixture
def reader_name():
    """A cluster-wide role name unique to this process; the role and its group are dropped afterwards."""
    name = f"tally_test_reader_{os.getpid()}"
    yield name
    group = reader_group(connection)
    with connection.cursor() as cursor:
        for role in (name, group):
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is not None:
                cursor.execute(f'DROP OWNED BY "{role}"')
                cursor.execute(f'DROP ROLE "{role}"')


def connect_as(role: str, password: str = PASSWORD):
    settings = connection.settings_dict
    reader = psycopg2.connect(
        dbname=settings["NAME"],
        user=role,
        password=password,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    reader.autocommit = True
    return reader


def select(reader, relation: str) -> int:
    with reader.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {relation}")
        return cursor.fetchone()[0]


def create_reader(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command("create_reader_role", name, *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def data(workspace):
    token_create(workspace=workspace, scopes=["read"])
    services.events_ingest(
        workspace=workspace,
        events=validated(
            [
                support_event("created", event_id="e1", conversation="c1", minutes=0, channel="email", customer="u1"),
                support_event(
                    "agent_replied", event_id="e2", conversation="c1", minutes=5, channel="email", agent="a1"
                ),
                {"id": "p1", "name": "signup", "occurred_at": "2026-03-02T09:00:00Z", "value": 3},
            ]
        ),
    )
    refresh.views_refresh()
    return workspace


@pytest.mark.django_db(transaction=True)
def test_reader_role_reads_summaries_and_views_but_not_raw_events_tokens_or_users(data, reader_name):
    """Verifies the reader SELECTs every summary and view, and gets InsufficientPrivilege on event, tokens, users."""
    output = create_reader(reader_name, "--password", PASSWORD)
    assert output.startswith(f"created role {reader_name}, a member of {reader_group(connection)}")
    reader = connect_as(reader_name)
    try:
        counts = {relation: select(reader, relation) for relation in READABLE}
        assert counts["support_daily"] == 2
        assert counts["event_daily"] == 3
        assert counts["support_hourly_report"] == 2
        assert counts["support_live_totals"] == 1
        assert counts["workspace"] == 1
        assert counts["rollup_refresh"] == 5
        for relation in FORBIDDEN:
            with pytest.raises(errors.InsufficientPrivilege):
                select(reader, relation)
        with reader.cursor() as cursor:
            cursor.execute("SHOW default_transaction_read_only")
            assert cursor.fetchone() == ("on",)
            with pytest.raises(errors.ReadOnlySqlTransaction):
                cursor.execute("DELETE FROM support_hourly")
            cursor.execute("BEGIN READ WRITE")
            with pytest.raises(errors.InsufficientPrivilege):
                cursor.execute("DELETE FROM support_hourly")
            cursor.execute("ROLLBACK")
    finally:
        reader.close()
    assert Workspace.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_create_reader_role_twice_updates_the_role(data, reader_name):
    """Verifies a second create_reader_role updates the role: new password, stray direct grants revoked."""
    create_reader(reader_name)
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT SELECT ON event TO "{reader_name}"')
        cursor.execute("SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = %s", [reader_name])
        assert cursor.fetchone() == (True,)
    output = create_reader(reader_name, "--password", "another")
    assert output.startswith(f"updated role {reader_name}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s", [reader_name])
        assert cursor.fetchone() == (True, True)
    reader = connect_as(reader_name, "another")
    try:
        assert select(reader, "support_daily") == 2
        with pytest.raises(errors.InsufficientPrivilege):
            select(reader, "event")
    finally:
        reader.close()


@pytest.mark.django_db(transaction=True)
def test_reader_keeps_its_grants_when_pgviews_recreates_a_view(data, reader_name):
    """Verifies the grants come back when the post-migrate view sync drops and recreates a materialized view."""
    create_reader(reader_name)
    with connection.cursor() as cursor:
        cursor.execute("DROP MATERIALIZED VIEW support_daily")
    ViewSyncer().run(force=True, update=True, using="default")
    reader = connect_as(reader_name)
    try:
        assert select(reader, "support_daily") == 2
    finally:
        reader.close()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["postgres", "Robert'); DROP TABLE event;--", "tally_reader_UPPER"])
def test_create_reader_role_refuses_powerful_roles_and_odd_names(name):
    """Verifies create_reader_role will not turn a superuser into a reader and accepts only plain lower-case names."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if name == "postgres" and cursor.fetchone() != (True,):
            pytest.skip("the test server's postgres role is not a superuser")
    with pytest.raises(CommandError):
        create_reader(name)


def test_readable_lists_every_summary_and_every_view_but_the_recomputations():
    """Verifies the reader's list covers every summary table and every non-recompute view, so none is forgotten."""
    views = {
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, View) and not model._meta.db_table.startswith("recompute_")
    }
    summaries = {summary.table for summary in rollups.SUMMARIES}
    assert set(READABLE) == views | summaries | {
        "workspace",
        "rollup_refresh",
        "raw_retention",
        "event_definition",
        "event_property",
        "business_schedule",
        "sla_policy",
    }
