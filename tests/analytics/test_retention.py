"""Retention drops whole raw partitions and no figure changes: sealed hours stay, conversations
and dimensions that continue past the horizon end as if every raw event were there, verify and
rebuild leave the sealed hours alone, and events before the horizon are refused."""

import io
import random
import threading
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import erasure, partitions, refresh, retention, rollups, services
from analytics.models import Event, EventKey, RawRetention
from core.models import Workspace
from tests.analytics.test_invariant import PROPERTY_SETTINGS, SUMMARY_TABLES, snapshot, split
from tests.analytics.test_write_slots import run_writers
from tests.factories import BASE, at, event_streams, examples, support_event, validated

DAY = BASE.replace(hour=0, minute=0)
SEALED_TABLES = tuple(retention.SEALED_KEYS)
HOURLY = [summary for summary in rollups.SUMMARIES if summary.hourly]


def shifted(event: dict, days: int) -> dict:
    moment = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")) + timedelta(days=days)
    return {**event, "occurred_at": moment.isoformat().replace("+00:00", "Z")}


def reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE event, event_key, raw_retention, {', '.join([*SUMMARY_TABLES, *SEALED_TABLES])}")
    retention.forget_cached_horizon()


def drop_every_partition() -> None:
    """For a test whose transaction commits: partitions outlive the flush after earlier such tests,
    and a monthly one of theirs would hold this test's day partitions' events."""
    with connection.cursor() as cursor:
        for partition in partitions.existing(cursor):
            cursor.execute(f"DROP TABLE {partition.name}")


def sealed_hours(horizon: datetime) -> dict[str, list[tuple]]:
    """The hourly summaries' merged rows before the horizon."""
    with connection.cursor() as cursor:
        rows = {}
        for summary in HOURLY:
            cursor.execute(
                f"SELECT * FROM ({summary.merged_sql('WHERE bucket < %s')}) AS m ORDER BY 1, 2, 3", [horizon]
            )
            rows[summary.name] = cursor.fetchall()
        return rows


def ingest_one(workspace, event: dict) -> bool:
    """True if stored or a duplicate; False if refused as before the horizon."""
    try:
        services.events_ingest(workspace=workspace, events=validated([event]))
    except retention.BeforeHorizon:
        return False
    return True


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_a_conversation_across_the_horizon_ends_as_if_nothing_was_dropped(workspace):
    """Verifies a conversation created, assigned and answered on day 1, with day 1 retired, then
    resolved on day 2: the resolution counts its full duration, verify is clean, and the sealed
    state holds day 1's half."""
    day_one = [
        support_event("created", event_id="x1", conversation="c", minutes=0, channel="chat", customer="u1"),
        support_event("assigned", event_id="x2", conversation="c", minutes=5, channel="chat", agent="a1"),
        support_event("agent_replied", event_id="x3", conversation="c", minutes=10, channel="chat", agent="a1"),
    ]
    services.events_ingest(workspace=workspace, events=validated(day_one))
    done = retention.retain(before=DAY + timedelta(days=1))
    assert done.partitions == [f"event_p{DAY:%Y%m%d}"] and done.events == 3
    assert done.horizon == DAY + timedelta(days=1)
    resolved = shifted(
        support_event("resolved", event_id="x4", conversation="c", minutes=0, channel="chat", agent="a1"), 1
    )
    services.events_ingest(workspace=workspace, events=validated([resolved]))
    assert rollups.differences() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT resolution_count, resolution_seconds FROM support_total_hourly WHERE resolution_count > 0"
        )
        assert cursor.fetchall() == [(1, 86400)]
        cursor.execute("SELECT agent_replies, first_response_at FROM conversation_sealed")
        assert cursor.fetchall() == [(1, BASE + timedelta(minutes=10))]
    assert Event.objects.count() == 1
    # Every key stays: a retry of a dropped event with a later date is still a duplicate.
    assert EventKey.objects.count() == 4
    again = shifted(support_event("created", event_id="x1", conversation="c", minutes=0, channel="chat"), 2)
    assert services.events_ingest(workspace=workspace, events=validated([again])).duplicates == 1


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_an_event_before_the_horizon_is_refused_with_a_400_naming_it_and_nothing_is_written(workspace, client_for):
    """Verifies after retention a batch holding one event before the horizon gets a 400 whose error
    names its index, the field and the horizon, and that its valid events are not stored either."""
    services.events_ingest(
        workspace=workspace,
        events=validated(
            [shifted(support_event("created", event_id="old", conversation="c", minutes=0, channel="chat"), 0)]
        ),
    )
    retention.retain(before=DAY + timedelta(days=1))
    fresh = shifted(support_event("created", event_id="new", conversation="d", minutes=0, channel="chat"), 2)
    late = support_event("created", event_id="late", conversation="e", minutes=30, channel="chat")
    response = client_for.post("/api/v1/events/", [fresh, late], format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [
        {
            "index": 1,
            "field": "occurred_at",
            "message": "Is before the retention horizon 2026-03-03T00:00:00Z: raw events before it have been "
            "retired and their hours are sealed.",
        }
    ]
    single = client_for.post("/api/v1/events/", late, format="json")
    assert single.status_code == 400 and single.json()["errors"][0]["index"] is None
    assert not Event.objects.filter(event_id__in=["new", "late"]).exists()


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_a_stale_cached_horizon_is_caught_by_the_database(workspace):
    """Verifies an event before the horizon is refused even when this process's cached horizon is
    older: its partition is gone and none is created below the horizon."""
    services.events_ingest(
        workspace=workspace,
        events=validated([support_event("created", event_id="a", conversation="c", minutes=0, channel="chat")]),
    )
    assert retention.cached_horizon() is None
    retention.retain(before=DAY + timedelta(days=1))
    retention._cached = (float("inf"), None)
    with pytest.raises(retention.BeforeHorizon):
        services.events_ingest(
            workspace=workspace,
            events=validated([support_event("created", event_id="b", conversation="d", minutes=1, channel="chat")]),
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'event'::regclass AND inhrelid::regclass::text = %s",
            [f"event_p{DAY:%Y%m%d}"],
        )
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_verify_and_rebuild_never_touch_sealed_hours_and_a_range_covers_only_its_hours(workspace):
    """Verifies: a planted difference in a sealed hour is never reported and survives rebuild; one in
    a retained hour is found by a full verify and by --since that day, not by a range that excludes
    it, and a rebuild of that range repairs it."""
    events = [
        shifted(support_event("created", event_id=f"e{day}", conversation=f"c{day}", minutes=0, channel="chat"), day)
        for day in range(3)
    ]
    services.events_ingest(workspace=workspace, events=validated(events))
    retention.retain(before=DAY + timedelta(days=1))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE event_hourly SET events = events + 5")
    day2 = DAY + timedelta(days=2)
    assert {d.key["bucket"] for d in rollups.differences()} == {
        DAY + timedelta(days=1, hours=8),
        day2 + timedelta(hours=8),
    }
    assert {d.key["bucket"] for d in rollups.differences(since=day2)} == {day2 + timedelta(hours=8)}
    assert rollups.differences(since=DAY + timedelta(days=1), until=DAY + timedelta(days=1, hours=8)) == []
    rollups.rebuild(since=day2)
    assert {d.key["bucket"] for d in rollups.differences()} == {DAY + timedelta(days=1, hours=8)}
    rollups.rebuild()
    assert rollups.differences() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT events FROM event_hourly WHERE bucket < %s", [DAY + timedelta(days=1)])
        assert cursor.fetchall() == [(6,)]


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_the_retain_command_and_the_refresh_loops_retention_setting(workspace):
    """Verifies `rollups retain --before` reports what it dropped, refuses a missing --before and
    --workspace, and TALLY_RAW_RETENTION=1d makes the refresh pass retire what is older."""
    services.events_ingest(
        workspace=workspace,
        events=validated(
            [
                shifted(
                    support_event("created", event_id=f"e{day}", conversation=f"c{day}", minutes=0, channel="chat"), day
                )
                for day in range(3)
            ]
        ),
    )
    out = io.StringIO()
    call_command("rollups", "retain", "--before", f"{DAY + timedelta(days=1):%Y-%m-%d}", stdout=out)
    assert out.getvalue().startswith(f"dropped 1 raw partitions (event_p{DAY:%Y%m%d}), 1 events sealed, horizon ")
    out = io.StringIO()
    call_command("partitions", stdout=out)
    horizon = (DAY + timedelta(days=1)).isoformat()
    assert out.getvalue().splitlines()[-1] == (
        f"retention horizon: {horizon} (1 events sealed from 1 dropped partitions; table raw_retention)"
    )
    with pytest.raises(CommandError, match="retain needs --before"):
        call_command("rollups", "retain")
    with pytest.raises(CommandError, match="retain needs --before"):
        call_command("rollups", "retain", "--before", "2026-03-04", "--workspace", "acme")
    with override_settings(TALLY_RAW_RETENTION="1d"):
        done = refresh.retain_due(now=DAY + timedelta(days=3, hours=1))
    assert done.partitions == [f"event_p{DAY + timedelta(days=1):%Y%m%d}"]
    assert list(RawRetention.objects.order_by("range_start").values_list("events", flat=True)) == [1, 1]
    with override_settings(TALLY_RAW_RETENTION=""):
        assert refresh.retain_due() is None
    assert rollups.differences() == []


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("12w", 84), (" 1D ", 1), ("", None)])
def test_retention_setting_parses_days_and_weeks(text, days):
    """Verifies TALLY_RAW_RETENTION accepts Nd and Nw, empty for forever."""
    assert retention.parse_retention(text) == (None if days is None else timedelta(days=days))


@pytest.mark.parametrize("text", ["0d", "3m", "forever", "-1d"])
def test_retention_setting_refuses_anything_else(text):
    with pytest.raises(ValueError, match="TALLY_RAW_RETENTION"):
        retention.parse_retention(text)


@pytest.mark.django_db(transaction=True)
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_retention_while_eight_connections_ingest_loses_and_doubles_nothing():
    """Verifies retain detaches (CONCURRENTLY, outside a transaction) and drops two old day
    partitions while 8 connections ingest single events into the current days: no error, every
    event stored once, verify clean."""
    drop_every_partition()
    workspace = Workspace.objects.create(slug="busy", name="Busy")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    old = [
        {"id": f"old{n}", "name": "visit", "occurred_at": (DAY + timedelta(days=n % 2, minutes=n)).isoformat()}
        for n in range(20)
    ]
    services.events_ingest(workspace=workspace, events=validated(old))
    live = [
        {"id": f"live{n}", "name": "visit", "occurred_at": (now - timedelta(minutes=n % 90)).isoformat(), "value": n}
        for n in range(400)
    ]
    retained = []

    def work(index: int) -> None:
        if index == 8:
            retained.append(retention.retain(before=DAY + timedelta(days=2)))
            return
        rng = random.Random(index)
        for event in rng.sample(live, 60):
            services.events_ingest(workspace=workspace, events=validated([event]))

    assert run_writers(9, work) == []
    assert retained[0].events == 20
    stored = set(Event.objects.filter(workspace=workspace).values_list("event_id", flat=True))
    sent = {event["id"] for index in range(8) for event in random.Random(index).sample(live, 60)}
    assert stored == sent
    assert rollups.differences() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(events) FROM event_hourly WHERE workspace_id = %s AND bucket >= %s",
            [workspace.pk, now - timedelta(days=1)],
        )
        assert cursor.fetchone() == (len(sent),)


class RolledBack(Exception):
    """Ends a run's savepoint so the next run starts from the same empty state."""


def run_lifecycle(workspaces, before: list[tuple[int, list[dict]]], after: list[tuple[int, dict]], horizon_days):
    """Ingests the `before` batches, retains before DAY + horizon_days (None: no retention), then
    the `after` events one by one; returns what was refused, the state, and the sealed hours."""
    refused, result = [], {}
    try:
        with transaction.atomic():
            drop_every_partition()
            for index, batch in before:
                services.events_ingest(workspace=workspaces[index], events=validated(batch))
            horizon = None
            if horizon_days is not None:
                horizon = DAY + timedelta(days=horizon_days)
                retention.retain(before=horizon)
                result["sealed_at_retain"] = sealed_hours(horizon)
            for position, (index, event) in enumerate(after):
                if not ingest_one(workspaces[index], event):
                    refused.append(position)
            result["differences"] = rollups.differences()
            result["snapshot"] = snapshot()
            if horizon is not None:
                result["sealed_at_end"] = sealed_hours(horizon)
            raise RolledBack
    except RolledBack:
        pass
    finally:
        retention.forget_cached_horizon()
    return refused, result


def shift_all(events: list[dict], shifts: list[int]) -> list[dict]:
    return [shifted(event, shifts[position % len(shifts)]) for position, event in enumerate(events)]


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
@settings(max_examples=examples(25), **PROPERTY_SETTINGS)
@given(
    streams=st.lists(event_streams(max_conversations=4, max_products=3), min_size=2, max_size=2),
    shifts=st.lists(st.integers(0, 3), min_size=1, max_size=12),
    cut=st.floats(0, 1),
    horizon_days=st.integers(1, 3),
    sizes=st.lists(st.integers(1, 6), max_size=6),
)
def test_retention_at_any_point_of_any_stream_ends_as_without_it(streams, shifts, cut, horizon_days, sizes):
    """Verifies, for random streams of two workspaces spread over four days (so conversations
    cross partitions, and retries of one id carry other dates), retention of one to three days at
    a random point of the stream, then the rest of the stream one event at a time, late ones on
    both sides of the horizon: events before the horizon are refused and everything else ends
    exactly as in a control run that got the same accepted events without any retention (every
    summary row, conversation and dimension, sealed hours included), verify finds nothing, and
    hours before the horizon hold the same event counts as when they were sealed."""
    workspaces = [Workspace.objects.get_or_create(slug=f"life{n}", defaults={"name": f"Life {n}"})[0] for n in range(2)]
    tagged = [(index, event) for index, stream in enumerate(streams) for event in shift_all(stream, shifts)]
    # Interleave the two workspaces deterministically by event id, then cut.
    tagged.sort(key=lambda item: (zlib.crc32(item[1]["id"].encode()) % 7, item[0]))
    split_at = int(len(tagged) * cut)
    head, tail = tagged[:split_at], tagged[split_at:]
    before = [(index, [event for i, event in group if i == index]) for group in split(head, sizes) for index in (0, 1)]
    before = [(index, batch) for index, batch in before if batch]

    refused, retained = run_lifecycle(workspaces, before, tail, horizon_days)
    accepted = [item for position, item in enumerate(tail) if position not in set(refused)]
    horizon = DAY + timedelta(days=horizon_days)
    for position in refused:
        assert datetime.fromisoformat(tail[position][1]["occurred_at"].replace("Z", "+00:00")) < horizon
    _, control = run_lifecycle(workspaces, before, accepted, None)

    assert retained["differences"] == []
    assert control["differences"] == []
    assert retained["snapshot"] == control["snapshot"]
    counted = ("event_hourly", "customer_interaction_hourly")
    assert {name: retained["sealed_at_end"][name] for name in counted} == {
        name: retained["sealed_at_retain"][name] for name in counted
    }


@pytest.mark.django_db(transaction=True)
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_retain_does_not_wait_for_a_transaction_holding_a_key_share_lock_on_the_workspace_table():
    """Verifies retain completes while another connection holds the lock every ingest statement's
    foreign-key check takes on workspace (FOR KEY SHARE), in an open transaction: the retired
    partition's foreign key is dropped on its own (SHARE ROW EXCLUSIVE on workspace, which does
    not conflict with it), so dropping the table needs no lock on workspace. Before, DROP TABLE
    took ACCESS EXCLUSIVE on workspace, waited behind such a transaction, and every ingest
    statement queued behind the DROP."""
    drop_every_partition()
    workspace = Workspace.objects.create(slug="open", name="Open")
    services.events_ingest(
        workspace=workspace, events=validated([{"id": "old", "name": "visit", "occurred_at": DAY.isoformat()}])
    )
    held = threading.Event()
    release = threading.Event()

    def key_share() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT id FROM workspace WHERE id = %s FOR KEY SHARE", [workspace.pk])
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=key_share)
    thread.start()
    try:
        assert held.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        try:
            done = retention.retain(before=DAY + timedelta(days=1))
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = DEFAULT")
    finally:
        release.set()
        thread.join()
    assert done.events == 1
    assert not Event.objects.exists()
    assert rollups.differences() == []


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_a_session_across_the_horizon_keeps_its_first_event_and_count(workspace):
    """Verifies a session with two events on day 1, day 1 retired, then a third on day 2: the
    session still starts on day 1 and counts three events, session_sealed holds day 1's part,
    verify is clean, and erasing the day 2 event leaves day 1's part."""

    def visit(event_id: str, minutes: int) -> dict:
        return {"id": event_id, "name": "page.view", "occurred_at": at(minutes), "session_id": "s", "user_id": "u"}

    services.events_ingest(workspace=workspace, events=validated([visit("v1", 0), visit("v2", 30)]))
    retention.retain(before=DAY + timedelta(days=1))
    services.events_ingest(workspace=workspace, events=validated([shifted(visit("v3", 10), 1)]))
    assert rollups.differences() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT first_event_at, last_event_at, events FROM session")
        assert cursor.fetchall() == [(BASE, BASE + timedelta(days=1, minutes=10), 3)]
        cursor.execute("SELECT first_event_at, last_event_at, events FROM session_sealed")
        assert cursor.fetchall() == [(BASE, BASE + timedelta(minutes=30), 2)]
    assert rollups.rebuild() > 0
    assert rollups.differences() == []
    # Erasing its one retained event leaves the session as its sealed part.
    assert erasure.erase_events(workspace=workspace, event_ids=["v3"]) == ["v3"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT first_event_at, last_event_at, events FROM session")
        assert cursor.fetchall() == [(BASE, BASE + timedelta(minutes=30), 2)]
    assert rollups.differences() == []
