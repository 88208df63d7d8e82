"""Deferred summaries (TALLY_SUMMARIES=deferred, analytics/settling.py): ingest stores events as
pending, tally_settle() summarizes them, and every read through Tally settles first. The
summaries equal their recomputation from `event` at every moment, and after a settle they equal
what immediate ingest of the same events gives, whatever the order, duplication, batching, mode
and concurrency of the writes and settles."""

import json
import random
import threading
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from analytics import erasure, retention, rollups, services, settling
from analytics.models import Event, PendingEvent
from core.auth import token_create
from core.models import Workspace
from tests.analytics.test_invariant import PROPERTY_SETTINGS, reset_tables, snapshot, split
from tests.analytics.test_retention import DAY as MIDNIGHT
from tests.analytics.test_retention import drop_every_partition
from tests.analytics.test_rollup_views import manage_loop, wait_until
from tests.analytics.test_write_slots import one_hour_pool, run_writers
from tests.factories import at, event_streams, examples, support_event, validated

DEFERRED = override_settings(TALLY_SUMMARIES="deferred")
DAY = at(0)[:10]
"""The day of the factories' events."""


def ingest(workspace, events: list[dict], *, deferred: bool) -> services.IngestResult:
    with override_settings(TALLY_SUMMARIES="deferred" if deferred else "immediate"):
        return services.events_ingest(workspace=workspace, events=validated(events))


def pending_count(workspace=None) -> int:
    rows = PendingEvent.objects.all()
    return (rows.filter(workspace=workspace) if workspace is not None else rows).count()


def reset_all() -> None:
    reset_tables()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE event_pending")


@pytest.fixture
def desk(db):
    return Workspace.objects.create(slug="desk", name="Desk")


def test_pending_events_have_every_column_of_event():
    """Verifies event_pending stores every column the raw table has (tally_settle() copies them by name)."""
    event_columns = {field.column for field in Event._meta.concrete_fields} - {"id"}
    pending_columns = {field.column for field in PendingEvent._meta.concrete_fields if field.column}
    assert event_columns == pending_columns


@pytest.mark.django_db
@settings(max_examples=examples(80), **PROPERTY_SETTINGS)
@given(
    events=event_streams(max_conversations=5, max_products=3),
    sizes=st.lists(st.integers(1, 6), max_size=12),
    modes=st.lists(st.sampled_from(["deferred", "immediate"]), min_size=1, max_size=8),
    settles=st.lists(st.booleans(), max_size=12),
)
def test_any_mix_of_deferred_immediate_and_settles_stays_exact_and_settles_to_immediate(
    desk, events, sizes, modes, settles
):
    """Verifies batches written deferred or immediate, with settles between some of them, keep every
    summary equal to its recomputation from `event` after each step, and after a final settle equal
    to the summaries of the same events all written immediately one by one in reversed order."""
    reset_all()
    for number, batch in enumerate(split(events, sizes)):
        ingest(desk, batch, deferred=modes[number % len(modes)] == "deferred")
        if settles and settles[number % len(settles)]:
            settling.settle(desk.pk)
        assert list(rollups.differences()) == []
    settling.settle(desk.pk)
    assert pending_count() == 0
    mixed = snapshot()

    reset_all()
    for event in events[::-1]:
        ingest(desk, [event], deferred=False)
    assert snapshot() == mixed
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_a_retried_pending_event_is_a_duplicate_and_is_stored_once(desk):
    """Verifies a retry of an event still pending (and one already settled) is answered as a duplicate."""
    event = support_event("created", event_id="c1-created", conversation="c1", minutes=5, channel="email")
    assert ingest(desk, [event], deferred=True) == services.IngestResult(accepted=1, duplicates=0)
    assert ingest(desk, [event], deferred=True) == services.IngestResult(accepted=0, duplicates=1)
    assert ingest(desk, [event], deferred=False) == services.IngestResult(accepted=0, duplicates=1)
    assert pending_count(desk) == 1
    assert settling.settle(desk.pk) == 1
    assert ingest(desk, [event], deferred=True) == services.IngestResult(accepted=0, duplicates=1)
    assert Event.objects.filter(workspace=desk).count() == 1
    assert pending_count() == 0


@pytest.mark.django_db
def test_settle_moves_a_backlog_in_bounded_transactions(desk, monkeypatch):
    """Verifies a backlog larger than one settle transaction is settled completely, in several."""
    monkeypatch.setattr(settling, "SETTLE_MOST", 3)
    calls = []
    once = settling._settle_once
    monkeypatch.setattr(settling, "_settle_once", lambda workspace_id: calls.append(once(workspace_id)) or calls[-1])
    events = [
        support_event("created", event_id=f"c{n}", conversation=f"c{n}", minutes=n, channel="chat") for n in range(8)
    ]
    ingest(desk, events, deferred=True)
    assert settling.settle(desk.pk) == 8
    assert calls == [3, 3, 2]
    assert pending_count() == 0
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_settle_creates_the_raw_partition_an_old_pending_event_needs(desk):
    """Verifies a pending event dated where no raw partition exists yet is settled into a new partition."""
    old = {"id": "old-1", "name": "signup", "occurred_at": "2019-03-04T05:06:07Z", "value": 2}
    ingest(desk, [old], deferred=True)
    assert settling.settle(desk.pk) == 1
    stored = Event.objects.get(workspace=desk, event_id="old-1")
    assert stored.occurred_at == datetime(2019, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_every_api_read_counts_the_events_acknowledged_before_it(desk, make_client):
    """Verifies an overview read right after deferred POSTs shows them, the same figures an immediate
    workspace shows, and leaves nothing pending."""
    immediate = Workspace.objects.create(slug="now", name="Now")
    events = [
        support_event("created", event_id="c1-created", conversation="c1", minutes=1, channel="email"),
        support_event("agent_replied", event_id="c1-reply", conversation="c1", minutes=9, channel="email", agent="a1"),
        support_event("resolved", event_id="c1-resolved", conversation="c1", minutes=30, channel="email", agent="a1"),
    ]
    figures = {}
    for workspace, mode in ((desk, "deferred"), (immediate, "immediate")):
        client = make_client(workspace, scopes=["ingest", "read"])
        with override_settings(TALLY_SUMMARIES=mode):
            response = client.post("/api/v1/events/", events, format="json")
            assert response.status_code == 201, response.json()
            assert pending_count(workspace) == (3 if mode == "deferred" else 0)
            response = client.get("/api/v1/summaries/overview", {"from": DAY, "to": at(24 * 60)[:10], "tz": "UTC"})
        assert response.status_code == 200, response.json()
        assert pending_count(workspace) == 0
        figures[mode] = response.json()
    assert figures["deferred"]["conversations_created"] == 1
    assert figures["deferred"] == figures["immediate"]


@pytest.mark.django_db
def test_the_dashboard_settles_before_it_shows_a_workspace(desk, client, django_user_model):
    """Verifies a dashboard page settles its workspace's pending events (its first ones here)."""
    from dashboard.models import Membership

    user = django_user_model.objects.create_user("lead", password="pw")
    Membership.objects.create(user=user, workspace=desk)
    ingest(desk, [support_event("created", event_id="c1", conversation="c1", minutes=1, channel="chat")], deferred=True)
    client.force_login(user)
    with DEFERRED:
        response = client.get(f"/w/{desk.slug}/")
    assert response.status_code == 200
    assert pending_count() == 0
    assert Event.objects.filter(workspace=desk).count() == 1


@pytest.mark.django_db
def test_erasure_deletes_pending_events_without_touching_a_summary(desk):
    """Verifies erasing a customer, a user or events by id deletes their pending events too and
    leaves every summary equal to its recomputation."""
    events = [
        support_event(
            "created", event_id=f"e{n}", conversation=f"c{n % 3}", minutes=n, channel="chat", customer=f"u{n % 2}"
        )
        for n in range(10)
    ]
    ingest(desk, events[:5], deferred=False)
    ingest(desk, events[5:], deferred=True)
    erased = erasure.erase_customer(workspace=desk, customer_id="u1")
    assert erased.events == 5
    assert not PendingEvent.objects.filter(customer_id="u1").exists()
    assert erasure.erase_events(workspace=desk, event_ids=["e6", "e0", "nope"]) == ["e0", "e6"]
    assert pending_count() == 1
    assert list(rollups.differences()) == []
    settling.settle(desk.pk)
    assert sorted(Event.objects.values_list("event_id", flat=True)) == ["e2", "e4", "e8"]
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_settle_command_once_for_a_workspace_and_for_all(desk, capsys):
    """Verifies `rollups settle` settles one workspace or every one and says how many events."""
    other = Workspace.objects.create(slug="other", name="Other")
    ingest(desk, [support_event("created", event_id="a", conversation="a", minutes=1, channel="chat")], deferred=True)
    ingest(other, [support_event("created", event_id="b", conversation="b", minutes=1, channel="chat")], deferred=True)
    call_command("rollups", "settle", "--workspace", "desk")
    assert "settled 1 pending events" in capsys.readouterr().out
    assert pending_count(desk) == 0 and pending_count(other) == 1
    call_command("rollups", "settle")
    assert "settled 1 pending events" in capsys.readouterr().out
    assert pending_count() == 0


@pytest.mark.django_db(transaction=True)
def test_thirty_two_deferred_writers_with_concurrent_settles_and_reads_stay_exact():
    """Verifies 32 connections of single-event deferred transactions into one workspace-hour, while two
    connections settle and one reads through the API, lose and double nothing: every read counts at
    least the events acknowledged before it, and at the end every summary equals its recomputation."""
    workspace = Workspace.objects.create(slug="hot", name="Hot")
    _, key = token_create(workspace=workspace, scopes=["read"])
    pool = one_hour_pool(12)
    lock = threading.Lock()
    acknowledged = []
    writing = [32]
    done = threading.Event()
    seen: list[tuple[int, int]] = []

    def writer(index: int) -> None:
        rng = random.Random(index)
        try:
            for event in rng.sample(pool, 16):
                stored = services.events_ingest(workspace=workspace, events=[event]).accepted
                with lock:
                    acknowledged.append(stored)
        finally:
            with lock:
                writing[0] -= 1
                if writing[0] == 0:
                    done.set()

    def settler() -> None:
        while not done.is_set():
            settling.settle(workspace.pk)

    def reader() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        while not done.is_set():
            with lock:
                before = sum(acknowledged)
            response = client.get("/api/v1/events/frequency", {"start_date": DAY, "end_date": DAY, "tz": "UTC"})
            assert response.status_code == 200, response.content
            seen.append((before, sum(row["total"] for row in response.json())))

    def work(index: int) -> None:
        if index < 32:
            writer(index)
        elif index < 34:
            settler()
        else:
            reader()

    # Settings are global: overridden once for every thread (reads settle only when deferred).
    with DEFERRED:
        assert run_writers(35, work) == []
    settling.settle(workspace.pk)
    assert pending_count() == 0
    assert list(rollups.differences()) == []
    written = Event.objects.filter(workspace=workspace).count()
    assert written == sum(acknowledged) > 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(events) FROM event_hourly")
        assert cursor.fetchone()[0] == written
    assert seen and all(total >= before for before, total in seen)


@pytest.mark.django_db(transaction=True)
def test_a_deferred_http_post_is_acknowledged_and_read_back_exactly(live_server):
    """Verifies, over real HTTP with a real token, that a deferred POST's 201 is followed by a read that
    counts it."""
    workspace = Workspace.objects.create(slug="http", name="Http")
    _, key = token_create(workspace=workspace, scopes=["ingest", "read"])
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    event = {"id": "x1", "name": "signup", "occurred_at": at(5), "value": 3}
    with DEFERRED:
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/events/", data=json.dumps(event).encode(), headers=headers
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
        assert pending_count(workspace) == 1
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/events/frequency?start_date={DAY}&end_date={DAY}&tz=UTC", headers=headers
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.load(response)
    assert [(row["event_name"], row["total"]) for row in body] == [("signup", 1)]
    assert pending_count() == 0


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_a_pending_event_before_a_horizon_that_moved_after_its_201_is_dropped_with_a_warning(desk, caplog):
    """Verifies the one race that loses an acknowledged event: it passed a stale cached retention
    horizon, then retention moved the horizon past it. Settling drops it with a warning (immediate
    ingest would have refused it with a 400) instead of failing every later read of the workspace."""
    drop_every_partition()
    kept = support_event("created", event_id="kept", conversation="k", minutes=60 * 30, channel="chat")
    ingest(desk, [kept], deferred=False)
    retention.retain(before=MIDNIGHT + timedelta(days=1))
    retention._cached = (float("inf"), None)
    late = support_event("created", event_id="late", conversation="c", minutes=5, channel="chat")
    assert ingest(desk, [late], deferred=True).accepted == 1
    assert settling.settle(desk.pk) == 0
    assert pending_count() == 0
    assert "dropped 1 pending events" in caplog.text and "late" in caplog.text
    assert list(Event.objects.values_list("event_id", flat=True)) == ["kept"]
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_deleting_a_workspace_deletes_its_pending_events(desk):
    """Verifies a workspace's pending events go with it, and another workspace's stay."""
    other = Workspace.objects.create(slug="other", name="Other")
    for workspace in (desk, other):
        ingest(
            workspace,
            [support_event("created", event_id="a", conversation="a", minutes=1, channel="chat")],
            deferred=True,
        )
    desk.delete()
    assert list(PendingEvent.objects.values_list("workspace_id", flat=True)) == [other.pk]


@pytest.mark.django_db(transaction=True)
def test_settle_every_settles_what_arrives_until_sigterm(tmp_path):
    """Verifies `rollups settle --every` in its own process settles events as they arrive, and on
    SIGTERM stops with exit 0 and logs what it settled."""
    workspace = Workspace.objects.create(slug="loop", name="Loop")
    with manage_loop(tmp_path, "rollups", "settle", "--every", "0.2") as (process, out, err):
        for number in range(3):
            event = support_event("created", event_id=f"c{number}", conversation="c", minutes=number, channel="chat")
            ingest(workspace, [event], deferred=True)
            wait_until(lambda: pending_count() == 0 or process.poll() is not None)
    assert process.returncode == 0, err.read_text()
    assert out.read_text().splitlines() == ["settling every 0.2s; SIGTERM or Ctrl-C stops", "stopped"]
    assert Event.objects.filter(workspace=workspace).count() == 3
    assert "settled 3 pending events in " in err.read_text()
    assert list(rollups.differences()) == []
