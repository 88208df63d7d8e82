"""Write slots: concurrent single-event writers of one workspace-hour write different rows of
every summary, readers merge the slots, and compaction folds them without changing a figure."""

import random
import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from analytics import rollups, services
from analytics.models import AgentSlot, CustomerSlot, Event
from core.models import Workspace
from tests.analytics.test_invariant import snapshot
from tests.factories import support_event, validated

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def one_hour_pool(seed: int, *, events: int = 320) -> list[dict]:
    """Support and product events on few conversations, every one in the same UTC hour."""
    rng = random.Random(seed)
    pool = []
    for number in range(events):
        kind = rng.choice(["created", "assigned", "agent_replied", "customer_replied", "resolved", "reopened"])
        event = support_event(
            kind,
            event_id=f"e{number}",
            conversation=f"c{number % 16}",
            minutes=rng.randrange(0, 60),
            channel=rng.choice(["email", "chat"]),
            agent=rng.choice(["a1", "a2", "a3"]),
            customer=f"u{number % 5}",
            variant=str(rng.randrange(3)),
        )
        pool.append(event)
    return validated(pool)


def run_writers(count: int, work) -> list[BaseException]:
    """Runs work(index) in `count` threads, each on its own database connection, started together."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def slots_per_table() -> dict[str, set[int]]:
    with connection.cursor() as cursor:
        result = {}
        for summary in rollups.SUMMARIES:
            if summary.slotted:
                cursor.execute(f"SELECT DISTINCT slot FROM {summary.table}")
                result[summary.table] = {row[0] for row in cursor.fetchall()}
        return result


def keys_with_several_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        result = {}
        for summary in rollups.SUMMARIES:
            if summary.slotted:
                key = ", ".join(summary.key)
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {summary.table} GROUP BY {key} HAVING count(*) > 1) AS k"
                )
                result[summary.table] = cursor.fetchone()[0]
        return result


@pytest.mark.django_db(transaction=True)
def test_thirty_two_connections_of_single_events_into_one_workspace_hour_stay_exact():
    """Verifies 32 connections sending one event per transaction (with retries) into one workspace-hour
    leave every summary equal to its recomputation, spread over several write slots."""
    workspace = Workspace.objects.create(slug="hot", name="Hot")
    pool = one_hour_pool(11)

    def writer(index: int) -> None:
        rng = random.Random(index)
        for event in rng.sample(pool, 24):
            services.events_ingest(workspace=workspace, events=[event])

    assert run_writers(32, writer) == []
    assert list(rollups.differences()) == []
    written = Event.objects.filter(workspace=workspace).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(events), count(DISTINCT bucket) FROM event_hourly")
        assert cursor.fetchone() == (written, 1)
    slots = slots_per_table()
    assert len(slots["event_hourly"]) > 1
    assert len(slots["support_total_hourly"]) > 1
    assert len(slots["channel_slot"]) > 1


@pytest.mark.django_db(transaction=True)
def test_compaction_folds_every_key_into_slot_zero_without_changing_a_figure():
    """Verifies compact leaves one row per key (slot 0) and exactly the same merged summaries."""
    workspace = Workspace.objects.create(slug="fold", name="Fold")
    pool = one_hour_pool(12, events=200)

    def writer(index: int) -> None:
        for event in pool[index::8]:
            services.events_ingest(workspace=workspace, events=[event])

    assert run_writers(8, writer) == []
    before = snapshot()
    assert sum(keys_with_several_rows().values()) > 0
    folded = rollups.compact(before=FAR_FUTURE)
    assert sum(folded.values()) > 0
    assert snapshot() == before
    assert keys_with_several_rows() == {table: 0 for table in keys_with_several_rows()}
    assert {table: slots for table, slots in slots_per_table().items() if slots} == {
        table: {0} for table, slots in slots_per_table().items() if slots
    }
    assert list(rollups.differences()) == []
    assert rollups.compact(before=FAR_FUTURE) == {name: 0 for name in folded}


@pytest.mark.django_db(transaction=True)
def test_compaction_only_folds_hours_before_the_horizon():
    """Verifies hourly rows of buckets at or after `before` keep their slots; earlier ones fold."""
    workspace = Workspace.objects.create(slug="horizon", name="Horizon")
    early = validated([support_event("created", event_id="x1", conversation="c1", minutes=0, channel="email")])
    late = validated([support_event("created", event_id="x2", conversation="c2", minutes=200, channel="email")])
    services.events_ingest(workspace=workspace, events=early + late)
    with connection.cursor() as cursor:
        cursor.execute("SELECT bucket FROM event_hourly ORDER BY bucket")
        first, second = (row[0] for row in cursor.fetchall())
    rollups.compact(before=second)
    with connection.cursor() as cursor:
        cursor.execute("SELECT bucket, slot FROM event_hourly ORDER BY bucket")
        rows = cursor.fetchall()
    assert rows[0] == (first, 0)
    assert rows[1][0] == second and rows[1][1] != 0
    assert list(rollups.differences()) == []


@pytest.mark.django_db(transaction=True)
def test_compaction_while_eight_connections_ingest_neither_deadlocks_nor_loses_a_count():
    """Verifies compaction running in a loop beside 8 single-event writers raises nothing and stays exact."""
    workspace = Workspace.objects.create(slug="busy", name="Busy")
    pool = one_hour_pool(13, events=240)
    done = threading.Event()

    def work(index: int) -> None:
        if index == 8:
            while not done.is_set():
                rollups.compact(before=FAR_FUTURE)
            return
        try:
            for event in pool[index::8]:
                services.events_ingest(workspace=workspace, events=[event])
        finally:
            if index == 0:
                done.set()

    assert run_writers(9, work) == []
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_dimension_view_takes_each_attribute_from_the_slot_with_the_latest_event(workspace):
    """Verifies the agent view merges slots per attribute by (occurred_at, event_id), ignoring slots without it."""
    moment = datetime(2026, 1, 5, 9, tzinfo=UTC)

    def at(minute: int) -> datetime:
        return moment.replace(minute=minute)

    common = {"workspace": workspace, "agent_id": "a1"}
    AgentSlot.objects.create(
        **common, slot=1, name="Old", name_at=at(10), name_event_id="e9", first_seen_at=at(5), last_seen_at=at(10)
    )
    AgentSlot.objects.create(
        **common, slot=2, name="New", name_at=at(20), name_event_id="e1", first_seen_at=at(20), last_seen_at=at(20)
    )
    AgentSlot.objects.create(
        **common, slot=3, name="Tie", name_at=at(20), name_event_id="e0", first_seen_at=at(1), last_seen_at=at(2)
    )
    AgentSlot.objects.create(
        **common,
        slot=4,
        email="x@example.com",
        email_at=at(3),
        email_event_id="e5",
        first_seen_at=at(3),
        last_seen_at=at(30),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, name_at, name_event_id, email, email_at, first_seen_at, last_seen_at FROM agent")
        merged = cursor.fetchall()
    assert merged == [("New", at(20), "e1", "x@example.com", at(3), at(1), at(30))]
    agent_summary = next(summary for summary in rollups.SUMMARIES if summary.name == "agent")
    generated = {key: value for key, value in zip(agent_summary.values, snapshot_row(agent_summary), strict=True)}
    assert (generated["name"], generated["email"], generated["first_seen_at"]) == ("New", "x@example.com", at(1))
    rollups.compact(before=FAR_FUTURE)
    assert list(AgentSlot.objects.values_list("slot", "name", "email")) == [(0, "New", "x@example.com")]


@pytest.mark.django_db
def test_customer_view_takes_type_and_occupation_each_from_the_slot_with_its_latest_event(workspace):
    """Verifies the customer view merges slots per attribute: the type and the occupation each come
    from the slot whose event carrying it is latest (ties by event id), also through compaction."""
    moment = datetime(2026, 1, 5, 9, tzinfo=UTC)

    def at(minute: int) -> datetime:
        return moment.replace(minute=minute)

    common = {"workspace": workspace, "customer_id": "u1", "first_seen_at": at(1), "last_seen_at": at(30)}
    CustomerSlot.objects.create(
        **common,
        slot=1,
        occupation="Padawan",
        occupation_at=at(10),
        occupation_event_id="e9",
        type="Red",
        type_at=at(25),
        type_event_id="e2",
    )
    CustomerSlot.objects.create(
        **common,
        slot=2,
        occupation="Jedi",
        occupation_at=at(20),
        occupation_event_id="e1",
        type="Green",
        type_at=at(5),
        type_event_id="e8",
    )
    CustomerSlot.objects.create(**common, slot=3, occupation="Sith", occupation_at=at(20), occupation_event_id="e0")
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, type_event_id, occupation, occupation_at, occupation_event_id FROM customer")
        assert cursor.fetchall() == [("Red", "e2", "Jedi", at(20), "e1")]
    rollups.compact(before=FAR_FUTURE)
    assert list(CustomerSlot.objects.values_list("slot", "type", "occupation")) == [(0, "Red", "Jedi")]


def snapshot_row(summary: rollups.Summary) -> tuple:
    """The one merged row of a slotted summary, computed by the merge compaction uses (not the view)."""
    keys = ", ".join(f"t.{column}" for column in summary.key)
    merged = ", ".join(summary.merged_value(column) for column in summary.values)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {merged} FROM {summary.table} AS t GROUP BY {keys}")
        (row,) = cursor.fetchall()
    return row


@pytest.mark.django_db
def test_compact_command_reports_what_it_folded_and_refuses_bad_arguments(workspace):
    """Verifies `rollups compact --before` prints the rows folded; --before elsewhere, or a datetime
    without offset, is refused."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    services.events_ingest(
        workspace=workspace,
        events=validated([support_event("created", event_id="k1", conversation="c1", minutes=0, channel="email")]),
    )
    out = StringIO()
    call_command("rollups", "compact", "--before", "2100-01-01T00:00:00Z", stdout=out)
    lines = out.getvalue().splitlines()
    assert "event_hourly: 1 slot rows folded" in lines
    assert lines[-1].startswith("compacted hours before 2100-01-01T00:00:00+00:00: ")
    with connection.cursor() as cursor:
        cursor.execute("SELECT slot, events FROM event_hourly")
        assert cursor.fetchall() == [(0, 1)]
    with pytest.raises(CommandError, match="--before applies to compact and retain only"):
        call_command("rollups", "verify", "--before", "2100-01-01T00:00:00Z")
    with pytest.raises(CommandError, match="needs a UTC offset"):
        call_command("rollups", "compact", "--before", "2100-01-01T00:00")


@pytest.mark.django_db(transaction=True)
def test_compaction_keeps_value_min_and_max_of_slots_written_apart():
    """Verifies valued events of one hourly key written through three pinned slots, compacted, then
    written again and compacted once more, keep count, sum, min and max."""
    workspace = Workspace.objects.create(slug="valued", name="Valued")
    values = {1: [5, 7], 2: [3, 9], 3: [4]}

    def write(slot: int, numbers: list[int], round_number: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET tally.write_slot = %s", [slot])
        events = [
            {"id": f"v{round_number}-{slot}-{n}", "name": "purchase", "occurred_at": at_minute(10 + n), "value": n}
            for n in numbers
        ]
        services.events_ingest(workspace=workspace, events=validated(events))

    for slot, numbers in values.items():
        write(slot, numbers, 0)
    rollups.compact(before=FAR_FUTURE)
    write(2, [1], 1)
    write(3, [12], 1)
    rollups.compact(before=FAR_FUTURE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT slot, events, value_count, value_sum, value_min, value_max FROM event_hourly")
        assert cursor.fetchall() == [(0, 7, 7, 41, 1, 12)]
        cursor.execute("RESET tally.write_slot")
    assert list(rollups.differences()) == []


def at_minute(minute: int) -> str:
    return f"2026-03-02T09:{minute:02d}:00Z"


@pytest.mark.django_db(transaction=True)
def test_compaction_skips_a_slot_row_committed_after_its_lock_instead_of_deadlocking_with_its_writer():
    """Verifies a fold meeting a row written after compaction took its locks leaves it for later.

    The order a CI run once hit: compaction locks the slot rows it sees (here channel "z"); a
    writer then commits a new slot row (channel "a", a smaller key) and, in its next transaction,
    updates "a" and waits for "z". A fold that then tried to delete "a" would wait for that writer
    while holding "z": a deadlock. The test pauses compaction between its lock and its fold to
    make that order certain.
    """
    workspace = Workspace.objects.create(slug="order", name="Order")
    live = next(summary for summary in rollups.SUMMARIES if summary.table == "support_live")
    started, locked, writer_waits = threading.Event(), threading.Event(), threading.Event()
    writer_pid: list[int] = []

    def open_conversations(*channels: str) -> None:
        events = [
            support_event(
                "created",
                event_id=f"e-{channel}-{next(numbers)}",
                conversation=f"c{next(numbers)}",
                minutes=1,
                channel=channel,
            )
            for channel in channels
        ]
        services.events_ingest(workspace=workspace, events=validated(events))

    numbers = iter(range(100))

    def pause_after_lock(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and not locked.is_set():
            locked.set()
            assert writer_waits.wait(30)
        return result

    def work(index: int) -> None:
        if index == 0:  # the writer
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                writer_pid.append(cursor.fetchone()[0])
            open_conversations("z")
            started.set()
            assert locked.wait(30)
            open_conversations("a")
            open_conversations("a", "z")
        elif index == 1:  # compaction, paused after its lock
            assert started.wait(30)
            with connection.execute_wrapper(pause_after_lock):
                rollups.compact_summary(live, before=FAR_FUTURE, workspace_id=workspace.pk)
        else:  # lets compaction go on once the writer waits for its lock
            assert locked.wait(30)
            with connection.cursor() as cursor:
                for _ in range(300):
                    cursor.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", writer_pid)
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
            writer_waits.set()

    assert run_writers(3, work) == []
    assert list(rollups.differences()) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(open) FROM support_live WHERE workspace_id = %s", [workspace.id])
        assert cursor.fetchone()[0] == 4
