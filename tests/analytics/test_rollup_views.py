"""The materialized rollups and plain views over the hourly summaries, and their refresh."""

import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from analytics import refresh, services
from analytics.materialized import (
    AgentLeaderboard30d,
    CustomerChannelTotals,
    EventDaily,
    RollupRefresh,
    SupportDaily,
    SupportDurationDaily,
    SupportHourlyReport,
    SupportLiveTotals,
)
from analytics.models import Agent, Channel, Customer
from core.models import Workspace
from tests.factories import support_event, validated

ROOT = Path(__file__).resolve().parent.parent.parent
MATERIALIZED = (AgentLeaderboard30d, CustomerChannelTotals, EventDaily, SupportDaily, SupportDurationDaily)
PLAIN = (SupportHourlyReport, SupportLiveTotals, Agent, Channel, Customer)

# The same aggregations as sql/views/*.sql, written independently from the hourly tables; each
# view must hold exactly these rows after a refresh.
DIRECT = {
    "support_daily": """
        SELECT h.workspace_id, timezone(w.timezone, h.bucket)::date AS day, h.channel_id, h.agent_id,
               sum(h.conversations_created), sum(h.conversations_assigned), sum(h.agent_replies),
               sum(h.customer_replies), sum(h.resolutions), sum(h.reopens),
               sum(h.first_response_count), sum(h.first_response_seconds),
               sum(h.resolution_count), sum(h.resolution_seconds)
        FROM support_hourly AS h JOIN workspace AS w ON w.id = h.workspace_id
        GROUP BY h.workspace_id, day, h.channel_id, h.agent_id
    """,
    "support_duration_daily": """
        SELECT h.workspace_id, timezone(w.timezone, h.bucket)::date AS day, h.channel_id, h.agent_id,
               h.metric, h.bin_start_seconds, sum(h.conversations)
        FROM support_duration_hourly AS h JOIN workspace AS w ON w.id = h.workspace_id
        GROUP BY h.workspace_id, day, h.channel_id, h.agent_id, h.metric, h.bin_start_seconds
    """,
    "event_daily": """
        SELECT h.workspace_id, timezone(w.timezone, h.bucket)::date AS day, h.name,
               sum(h.events), sum(h.value_count), sum(h.value_sum), min(h.value_min), max(h.value_max)
        FROM event_hourly AS h JOIN workspace AS w ON w.id = h.workspace_id
        GROUP BY h.workspace_id, day, h.name
    """,
    "customer_channel_totals": """
        SELECT workspace_id, customer_id, channel_id, sum(interactions), min(bucket), max(bucket)
        FROM customer_interaction_hourly
        GROUP BY workspace_id, customer_id, channel_id
    """,
    "agent_leaderboard_30d": """
        SELECT h.workspace_id, h.agent_id, a.name,
               sum(h.conversations_assigned), sum(h.agent_replies), sum(h.resolutions),
               sum(h.first_response_count), sum(h.first_response_seconds),
               CASE WHEN sum(h.first_response_count) > 0
                    THEN sum(h.first_response_seconds) / sum(h.first_response_count) END,
               sum(h.resolution_count), sum(h.resolution_seconds),
               CASE WHEN sum(h.resolution_count) > 0 THEN sum(h.resolution_seconds) / sum(h.resolution_count) END,
               v.window_start
        FROM support_hourly AS h
        JOIN (SELECT DISTINCT window_start FROM agent_leaderboard_30d) AS v ON h.bucket >= v.window_start
        LEFT JOIN agent AS a USING (workspace_id, agent_id)
        WHERE h.agent_id <> ''
        GROUP BY h.workspace_id, h.agent_id, a.name, v.window_start
    """,
}


def rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(cursor.fetchall(), key=repr)


def view_rows(table: str) -> list[tuple]:
    return rows(f"SELECT * FROM {table}")


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event(name: str, event_id: str, when: datetime, **fields) -> dict:
    return {"id": event_id, "name": name, "occurred_at": iso(when), **fields}


def conversation(kind: str, event_id: str, conversation_id: str, when: datetime, *, agent=None, channel="email"):
    payload = {
        "conversation_id": conversation_id,
        "channel": {"id": channel, "name": channel.title()},
    }
    if agent is not None:
        payload["agent"] = {"id": agent, "name": f"Agent {agent}"}
    return event(f"conversation.{kind}", event_id, when, **payload)


def ingest(workspace, events: list[dict]) -> None:
    services.events_ingest(workspace=workspace, events=validated(events))


def wait_until(condition, *, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


DAY = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture
def history(workspace, other_workspace, client_for):
    """Support and product events in a UTC workspace (over HTTP) and a Berlin one (service call)."""
    acme = [
        support_event("created", event_id="c1-1", conversation="c1", minutes=0, channel="email", customer="u1"),
        support_event("assigned", event_id="c1-2", conversation="c1", minutes=5, channel="email", agent="a1"),
        support_event("agent_replied", event_id="c1-3", conversation="c1", minutes=10, channel="email", agent="a1"),
        support_event(
            "customer_replied", event_id="c1-4", conversation="c1", minutes=20, channel="email", customer="u1"
        ),
        support_event("resolved", event_id="c1-5", conversation="c1", minutes=70, channel="email", agent="a1"),
        support_event("created", event_id="c2-1", conversation="c2", minutes=30, channel="chat"),
        support_event("agent_replied", event_id="c2-2", conversation="c2", minutes=90, channel="chat", agent="a2"),
        support_event("created", event_id="c3-1", conversation="c3", minutes=45, channel="chat", customer="u2"),
        event("signup", "p1", DAY + timedelta(hours=8, minutes=15), value=10, customer="u1", channel="web"),
        event("checkout", "p2", DAY + timedelta(hours=8, minutes=16), value=5.5, customer="u1", channel="web"),
        event("checkout", "p3", DAY + timedelta(hours=9, minutes=17), value=4.5, customer="u1", channel="web"),
        event("page.view", "p4", DAY + timedelta(hours=23, minutes=30)),
        event("page.view", "p5", DAY + timedelta(days=1, hours=9), customer="u1", channel="web"),
    ]
    response = client_for.post("/api/v1/events/", acme, format="json")
    assert response.status_code == 201, response.json()
    ingest(
        other_workspace,
        [
            event("page.view", "g1", DAY + timedelta(hours=22, minutes=30)),
            event("page.view", "g2", DAY + timedelta(hours=23, minutes=30)),
            conversation("created", "g3", "k1", DAY + timedelta(hours=23, minutes=30)),
            conversation("agent_replied", "g4", "k1", DAY + timedelta(hours=23, minutes=50), agent="b1"),
        ],
    )
    # Recent enough for the 30-day leaderboard.
    yesterday = timezone.now() - timedelta(days=1)
    ingest(
        Workspace.objects.create(slug="initech", name="Initech", timezone="America/New_York"),
        [
            conversation("created", "n1", "n", yesterday),
            conversation("agent_replied", "n2", "n", yesterday + timedelta(minutes=15), agent="n1"),
            conversation("resolved", "n3", "n", yesterday + timedelta(hours=1), agent="n1"),
        ],
    )
    return workspace, other_workspace


@pytest.mark.django_db
def test_views_exist_populated_with_unique_indexes_in_the_test_database():
    """Verifies the test database has the 5 materialized views populated and uniquely indexed, and the 6 plain views."""
    matviews = rows("SELECT matviewname, ispopulated FROM pg_matviews WHERE schemaname = current_schema()")
    assert matviews == sorted([(view._meta.db_table, True) for view in MATERIALIZED], key=repr)
    unique = rows(
        """
        SELECT t.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index AS i JOIN pg_class AS t ON t.oid = i.indrelid
        WHERE i.indisunique AND t.relkind = 'm'
        """
    )
    assert [table for table, _ in unique] == sorted(view._meta.db_table for view in MATERIALIZED)
    for table, definition in unique:
        view = next(view for view in MATERIALIZED if view._meta.db_table == table)
        assert definition.endswith(f"({view._concurrent_index})")
    plain = rows(
        "SELECT viewname FROM pg_views WHERE schemaname = current_schema() AND viewname NOT LIKE 'recompute_%'"
    )
    assert plain == [
        ("agent",),
        ("channel",),
        ("customer",),
        ("event_property_hourly",),
        ("support_hourly_report",),
        ("support_live_totals",),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("view", MATERIALIZED + PLAIN, ids=lambda view: view._meta.db_table)
def test_model_fields_are_the_view_columns_in_order(view):
    """Verifies each view model declares exactly the view's columns, so the ORM can read it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {view._meta.db_table} LIMIT 0")
        columns = [column.name for column in cursor.description]
    assert columns == [field.column for field in view._meta.concrete_fields]


@pytest.mark.django_db
def test_each_materialized_view_equals_the_aggregation_of_the_hourly_tables(history):
    """Verifies after a refresh every materialized view holds exactly the rows aggregated from the hourly tables."""
    refresh.views_refresh()
    for table, sql in DIRECT.items():
        assert view_rows(table) == rows(sql), table
        assert view_rows(table), table


@pytest.mark.django_db
def test_daily_views_hold_the_exact_figures_of_a_utc_workspace(history):
    """Verifies the daily views and customer_channel_totals of a UTC workspace against figures worked out by hand."""
    acme, _ = history
    refresh.views_refresh()
    support = {
        (row.channel_id, row.agent_id): row for row in SupportDaily.objects.filter(workspace=acme, day=date(2026, 3, 2))
    }
    assert sorted(support) == [("chat", ""), ("chat", "a2"), ("email", ""), ("email", "a1")]
    assert support["chat", ""].conversations_created == 2
    assert support["email", ""].conversations_created == 1
    assert support["email", ""].customer_replies == 1
    email_a1 = support["email", "a1"]
    assert (email_a1.conversations_assigned, email_a1.agent_replies, email_a1.resolutions) == (1, 1, 1)
    assert (email_a1.first_response_count, email_a1.first_response_seconds) == (1, Decimal("600"))
    assert (email_a1.resolution_count, email_a1.resolution_seconds) == (1, Decimal("4200"))
    chat_a2 = support["chat", "a2"]
    assert (chat_a2.first_response_count, chat_a2.first_response_seconds, chat_a2.resolution_count) == (
        1,
        Decimal("3600"),
        0,
    )

    histogram = sorted(
        SupportDurationDaily.objects.filter(workspace=acme).values_list(
            "day", "agent_id", "metric", "bin_start_seconds", "conversations"
        )
    )
    assert histogram == [
        (date(2026, 3, 2), "a1", "first_response", 300, 1),
        (date(2026, 3, 2), "a1", "resolution", 3600, 1),
        (date(2026, 3, 2), "a2", "first_response", 3600, 1),
    ]

    daily = {
        (row.day, row.name): (row.events, row.value_count, row.value_sum, row.value_min, row.value_max)
        for row in EventDaily.objects.filter(workspace=acme)
    }
    assert daily[date(2026, 3, 2), "checkout"] == (2, 2, Decimal("10"), Decimal("4.5"), Decimal("5.5"))
    assert daily[date(2026, 3, 2), "signup"] == (1, 1, Decimal("10"), Decimal("10"), Decimal("10"))
    assert daily[date(2026, 3, 2), "page.view"] == (1, 0, Decimal("0"), None, None)
    assert daily[date(2026, 3, 3), "page.view"] == (1, 0, Decimal("0"), None, None)
    assert daily[date(2026, 3, 2), "conversation.created"][0] == 3

    totals = {
        (row.customer_id, row.channel_id): (row.interactions, row.first_interaction_hour, row.last_interaction_hour)
        for row in CustomerChannelTotals.objects.filter(workspace=acme)
    }
    assert totals == {
        ("u1", "email"): (2, DAY + timedelta(hours=8), DAY + timedelta(hours=8)),
        ("u1", "web"): (4, DAY + timedelta(hours=8), DAY + timedelta(days=1, hours=9)),
        ("u2", "chat"): (1, DAY + timedelta(hours=8), DAY + timedelta(hours=8)),
    }


@pytest.mark.django_db
def test_an_event_at_2330_utc_counts_in_the_next_day_for_a_berlin_workspace(history):
    """Verifies 23:30 UTC falls in the next day in Europe/Berlin, and a changed timezone applies at the next refresh."""
    acme, berlin = history
    refresh.views_refresh()
    assert sorted(EventDaily.objects.filter(workspace=berlin).values_list("day", "name", "events")) == [
        (date(2026, 3, 2), "page.view", 1),
        (date(2026, 3, 3), "conversation.agent_replied", 1),
        (date(2026, 3, 3), "conversation.created", 1),
        (date(2026, 3, 3), "page.view", 1),
    ]
    assert list(
        SupportDaily.objects.filter(workspace=berlin, agent_id="").values_list("day", "conversations_created")
    ) == [(date(2026, 3, 3), 1)]
    assert EventDaily.objects.get(workspace=acme, day=date(2026, 3, 2), name="page.view").events == 1

    Workspace.objects.filter(pk=berlin.pk).update(timezone="UTC")
    assert EventDaily.objects.filter(workspace=berlin, day=date(2026, 3, 3)).count() == 3
    refresh.views_refresh()
    assert list(EventDaily.objects.filter(workspace=berlin, name="page.view").values_list("day", "events")) == [
        (date(2026, 3, 2), 2)
    ]


@pytest.mark.django_db
def test_a_day_in_asia_kolkata_starts_at_0030_because_buckets_are_utc_hours():
    """Verifies the documented approximation: in Asia/Kolkata (+05:30) 00:10 local counts in the day before."""
    kolkata = Workspace.objects.create(slug="kolkata", name="Kolkata", timezone="Asia/Kolkata")
    ingest(
        kolkata,
        [
            event("page.view", "k1", datetime(2026, 3, 2, 18, 40, tzinfo=UTC)),  # 2026-03-03 00:10 in Kolkata
            event("page.view", "k2", datetime(2026, 3, 2, 19, 5, tzinfo=UTC)),  # 2026-03-03 00:35 in Kolkata
        ],
    )
    refresh.views_refresh()
    assert sorted(EventDaily.objects.filter(workspace=kolkata).values_list("day", "events")) == [
        (date(2026, 3, 2), 1),
        (date(2026, 3, 3), 1),
    ]


@pytest.mark.django_db
def test_agent_leaderboard_covers_the_last_30_days_with_null_safe_averages(workspace):
    """Verifies the leaderboard sums the last 720 hours per agent, averages exactly (NULL without a count)."""
    now = timezone.now()
    two_days, three_days, forty_days = now - timedelta(days=2), now - timedelta(days=3), now - timedelta(days=40)
    ingest(
        workspace,
        [
            conversation("created", "r1-1", "r1", two_days),
            conversation("agent_replied", "r1-2", "r1", two_days + timedelta(minutes=10), agent="a1"),
            conversation("resolved", "r1-3", "r1", two_days + timedelta(hours=1), agent="a1"),
            conversation("created", "r2-1", "r2", three_days),
            conversation("agent_replied", "r2-2", "r2", three_days + timedelta(minutes=20), agent="a1"),
            conversation("resolved", "r2-3", "r2", three_days + timedelta(hours=2), agent="a2"),
            conversation("created", "r3-1", "r3", two_days),
            conversation("assigned", "r3-2", "r3", two_days + timedelta(minutes=1), agent="a3"),
            conversation("created", "old-1", "old", forty_days),
            conversation("agent_replied", "old-2", "old", forty_days + timedelta(minutes=5), agent="a1"),
            conversation("resolved", "old-3", "old", forty_days + timedelta(minutes=6), agent="a4"),
        ],
    )
    refresh.views_refresh()
    board = {row.agent_id: row for row in AgentLeaderboard30d.objects.filter(workspace=workspace)}
    assert sorted(board) == ["a1", "a2", "a3"]
    a1, a2, a3 = board["a1"], board["a2"], board["a3"]
    assert a1.agent_name == "Agent a1"
    assert (a1.agent_replies, a1.resolutions, a1.first_response_count, a1.first_response_seconds) == (
        2,
        1,
        2,
        Decimal("1800"),
    )
    assert a1.avg_first_response_seconds == Decimal("900")
    assert (a1.resolution_count, a1.resolution_seconds, a1.avg_resolution_seconds) == (1, 3600, Decimal("3600"))
    assert (a2.resolutions, a2.resolution_count, a2.avg_resolution_seconds) == (1, 1, Decimal("7200"))
    assert (a2.first_response_count, a2.avg_first_response_seconds) == (0, None)
    assert (a3.conversations_assigned, a3.avg_first_response_seconds, a3.avg_resolution_seconds) == (1, None, None)
    (hour,) = rows("SELECT date_trunc('hour', now(), 'UTC')")[0]
    assert a1.window_start == hour - timedelta(hours=719)
    assert view_rows("agent_leaderboard_30d") == rows(DIRECT["agent_leaderboard_30d"])


@pytest.mark.django_db
def test_plain_views_are_real_time_and_compute_averages_null_safe(history):
    """Verifies the plain views are real time: named hours with NULL-safe averages, and live totals per workspace."""
    acme, _ = history
    report = {
        (row.channel_id, row.agent_id): row
        for row in SupportHourlyReport.objects.filter(workspace=acme, bucket=DAY + timedelta(hours=8))
    }
    email_a1 = report["email", "a1"]
    assert (email_a1.workspace_slug, email_a1.channel_name, email_a1.agent_name) == ("acme", "Email", "Agent a1")
    assert email_a1.local_hour == datetime(2026, 3, 2, 8, 0)
    berlin_hour = SupportHourlyReport.objects.get(workspace=history[1], agent_id="", conversations_created=1)
    assert (berlin_hour.bucket, berlin_hour.local_hour) == (DAY + timedelta(hours=23), datetime(2026, 3, 3, 0, 0))
    assert email_a1.avg_first_response_seconds == Decimal("600")
    assert report["chat", ""].avg_first_response_seconds is None
    assert report["chat", ""].avg_resolution_seconds is None
    resolved = SupportHourlyReport.objects.get(workspace=acme, bucket=DAY + timedelta(hours=9), agent_id="a1")
    assert resolved.avg_resolution_seconds == Decimal("4200")

    totals = {
        row.workspace_id: (row.open, row.unassigned, row.unanswered)
        for row in SupportLiveTotals.objects.filter(workspace__in=history)
    }
    # acme: c2 (replied, never assigned) and c3 (neither) are open; Berlin: k1 (replied, never assigned).
    assert totals == {acme.pk: (2, 2, 1), history[1].pk: (1, 1, 0)}


@pytest.mark.django_db
def test_refresh_command_refreshes_every_view_and_records_rollup_refresh(history):
    """Verifies `rollups refresh` refreshes the 5 views concurrently, logs durations, records rollup_refresh."""
    acme, _ = history
    out = io.StringIO()
    call_command("rollups", "refresh", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == sorted(view._meta.db_table for view in MATERIALIZED)
    assert all(" refreshed concurrently in " in line and line.endswith(" ms") for line in lines)
    recorded = {row.view_name: row for row in RollupRefresh.objects.all()}
    assert sorted(recorded) == sorted(view._meta.db_table for view in MATERIALIZED)
    assert all(row.duration_ms >= 0 and row.refreshed_at <= timezone.now() for row in recorded.values())

    ingest(acme, [event("checkout", "p9", DAY + timedelta(hours=10), value=1)])
    checkout = EventDaily.objects.get(workspace=acme, day=date(2026, 3, 2), name="checkout")
    assert checkout.events == 2
    call_command("rollups", "refresh", stdout=io.StringIO())
    checkout = EventDaily.objects.get(workspace=acme, day=date(2026, 3, 2), name="checkout")
    assert (checkout.events, checkout.value_sum) == (3, Decimal("11"))


@pytest.mark.django_db
def test_a_never_populated_view_gets_a_plain_refresh(history):
    """Verifies a view emptied WITH NO DATA gets a plain refresh (CONCURRENTLY cannot) and is readable again."""
    with connection.cursor() as cursor:
        cursor.execute("REFRESH MATERIALIZED VIEW support_daily WITH NO DATA")
    done = refresh.view_refresh(view=SupportDaily)
    assert (done.view, done.concurrently) == ("support_daily", False)
    assert view_rows("support_daily") == rows(DIRECT["support_daily"])
    assert refresh.view_refresh(view=SupportDaily).concurrently is True


@pytest.mark.django_db(transaction=True)
def test_concurrent_refresh_runs_while_inserts_continue():
    """Verifies views refresh CONCURRENTLY over and over while another connection keeps ingesting, and end up exact."""
    workspace = Workspace.objects.create(slug="busy", name="Busy", timezone="Europe/Berlin")
    batches = [
        [
            support_event(
                kind,
                event_id=f"b{batch}-{kind}",
                conversation=f"c{batch % 7}",
                minutes=batch * 37 % 1440,
                channel=("email", "chat")[batch % 2],
                agent=f"a{batch % 3}" if kind in ("assigned", "agent_replied", "resolved") else None,
                customer=f"u{batch % 5}",
            )
            for kind in ("created", "assigned", "agent_replied", "customer_replied", "resolved", "reopened")
        ]
        + [event("page.view", f"p{batch}", DAY + timedelta(minutes=batch * 53), value=batch, channel="web")]
        for batch in range(60)
    ]
    writing = threading.Event()
    written = threading.Event()
    refreshes: list[refresh.Refresh] = []
    during_writes: list[refresh.Refresh] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            writing.wait(10)
            for batch in batches:
                ingest(workspace, batch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            written.set()
            connections.close_all()

    def refresher() -> None:
        try:
            writing.set()
            while not written.is_set():
                for done in refresh.views_refresh():
                    refreshes.append(done)
                    if not written.is_set():
                        during_writes.append(done)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer), threading.Thread(target=refresher)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(during_writes) >= 10
    assert all(done.concurrently for done in refreshes)

    refresh.views_refresh()
    for table, sql in DIRECT.items():
        assert view_rows(table) == rows(sql), table
    total = rows("SELECT sum(events) FROM event_daily WHERE workspace_id = %s", [workspace.pk])[0][0]
    assert total == len(batches) * 7


@pytest.mark.django_db(transaction=True)
def test_refresh_loop_survives_its_connection_being_terminated(caplog):
    """Verifies the loop logs the error, reconnects and refreshes again after its backend is terminated."""
    stop = threading.Event()
    seen: list[tuple[int, refresh.Refresh]] = []
    errors: list[BaseException] = []

    def on_refresh(done: refresh.Refresh) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            seen.append((cursor.fetchone()[0], done))

    def loop() -> None:
        try:
            refresh.refresh_loop(every=0.05, stop=stop, on_refresh=on_refresh)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop)
    with caplog.at_level(logging.WARNING, logger="analytics.refresh"):
        thread.start()
        try:
            wait_until(lambda: len(seen) >= 1)
            first_pid = seen[0][0]
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [first_pid])
                assert cursor.fetchone() == (True,)
            wait_until(lambda: len({done.view for pid, done in seen if pid != first_pid}) == len(MATERIALIZED))
        finally:
            stop.set()
            thread.join(10)
    assert not thread.is_alive()
    assert errors == []
    assert any(record.getMessage().startswith("refresh failed, retrying in 0.05s") for record in caplog.records)
    assert RollupRefresh.objects.count() == len(MATERIALIZED)


def database_url() -> str:
    settings = connection.settings_dict
    host = quote(settings["HOST"] or "", safe="")
    credentials = quote(settings["USER"], safe="") + (
        f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    )
    return f"postgres://{credentials}@/{quote(settings['NAME'], safe='')}?host={host}&port={settings['PORT'] or 5432}"


@contextmanager
def manage_loop(tmp_path, *args: str):
    """`manage.py <args>` in its own process against the test database, yielding it; on leaving,
    SIGTERM and a wait for its exit (killed if it does not stop). Yields (process, out, err): the
    paths of its stdout and stderr."""
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "core.settings"}
    out, err = tmp_path / "out", tmp_path / "err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=stdout, stderr=stderr
        )
    try:
        yield process, out, err
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.django_db(transaction=True)
def test_refresh_every_runs_until_sigterm_and_exits_cleanly(tmp_path):
    """Verifies `rollups refresh --every` keeps refreshing in its own process and stops with exit 0 on SIGTERM."""
    with manage_loop(tmp_path, "rollups", "refresh", "--every", "0.2") as (process, out, err):
        wait_until(lambda: RollupRefresh.objects.count() == len(MATERIALIZED) or process.poll() is not None)
        first = {row.view_name: row.refreshed_at for row in RollupRefresh.objects.all()}
        wait_until(
            lambda: (
                any(row.refreshed_at > first[row.view_name] for row in RollupRefresh.objects.all())
                or process.poll() is not None
            )
        )
    assert process.returncode == 0, err.read_text()
    assert out.read_text().splitlines() == ["refreshing every 0.2s; SIGTERM or Ctrl-C stops", "stopped"]
    assert "support_daily refreshed concurrently in " in err.read_text()
