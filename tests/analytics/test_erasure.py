"""Erasure: deleting raw events leaves every summary exactly as if the events had never arrived,
for any stream, any choice of deleted events, before or after retention sealed part of the
history, while other connections ingest, and through the API and erase_customer."""

import io
import random
import zlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import erasure, retention, rollups, services
from analytics.models import Event
from core.models import Workspace
from tests.analytics.test_invariant import PROPERTY_SETTINGS, snapshot, split
from tests.analytics.test_retention import (
    DAY,
    RolledBack,
    drop_every_partition,
    ingest_one,
    reset,
    shift_all,
    shifted,
)
from tests.analytics.test_write_slots import run_writers
from tests.factories import BASE, at, event_streams, examples, support_event, validated


def run(workspaces, batches, *, horizon_days=None, tail=(), erase=frozenset(), erase_customers=(), erase_users=()):
    """In a rolled-back savepoint: ingests `batches` [(workspace index, events)], retains before
    DAY + horizon_days, ingests `tail` one by one, then erases the events whose (index, id) is in
    `erase` (in two statements, to cross statement boundaries), each (index, customer) of
    `erase_customers` and each (index, user) of `erase_users`; returns the ids erased, verify's
    differences and the state."""
    result = {}
    try:
        with transaction.atomic():
            drop_every_partition()
            for index, batch in batches:
                services.events_ingest(workspace=workspaces[index], events=validated(batch))
            if horizon_days is not None:
                retention.retain(before=DAY + timedelta(days=horizon_days))
            for index, event in tail:
                ingest_one(workspaces[index], event)
            erased = set()
            for index, workspace in enumerate(workspaces):
                ids = sorted(event_id for i, event_id in erase if i == index)
                for part in (ids[::2], ids[1::2]):
                    erased |= {
                        (index, event_id) for event_id in erasure.erase_events(workspace=workspace, event_ids=part)
                    }
            for index, customer in erase_customers:
                erasure.erase_customer(workspace=workspaces[index], customer_id=customer)
            for index, user in erase_users:
                erasure.erase_user(workspace=workspaces[index], user_id=user)
            result["erased"] = erased
            result["differences"] = rollups.differences()
            result["snapshot"] = snapshot()
            raise RolledBack
    except RolledBack:
        pass
    finally:
        retention.forget_cached_horizon()
    return result


def workspaces_for_test() -> list[Workspace]:
    return [Workspace.objects.get_or_create(slug=f"erase{n}", defaults={"name": f"Erase {n}"})[0] for n in range(2)]


def customer_of(event: dict) -> str | None:
    customer = event.get("customer")
    return customer["id"] if isinstance(customer, dict) else customer


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
@settings(max_examples=examples(25), **PROPERTY_SETTINGS)
@given(
    streams=st.lists(event_streams(max_conversations=4, max_products=3), min_size=2, max_size=2),
    shifts=st.lists(st.integers(0, 3), min_size=1, max_size=12),
    sizes=st.lists(st.integers(1, 6), max_size=6),
    chosen=st.lists(st.integers(0, 10**6), max_size=12),
    whole=st.lists(st.integers(0, 10**6), max_size=2),
    customer=st.one_of(st.none(), st.sampled_from(["u1", "u2", "u3"])),
    user=st.one_of(st.none(), st.sampled_from(["user-1", "user-2"])),
    cut=st.floats(0, 1),
    horizon_days=st.one_of(st.none(), st.integers(1, 3)),
)
def test_erasing_any_events_ends_as_if_they_never_arrived(
    streams, shifts, sizes, chosen, whole, customer, user, cut, horizon_days
):
    """Verifies, for random streams of two workspaces over four days, optionally retention of one
    to three days after part of the stream, then the rest one by one, and the erasure of random
    events, of every event of random conversations (some erased twice, some already retired by
    retention, so not erased), and without retention of a customer and of a user of workspace 0:
    verify finds no difference, and every summary row, conversation, session and dimension equals
    a control run that never got the erased events (the same stream without them, retained at the
    same point)."""
    workspaces = workspaces_for_test()
    tagged = [(index, event) for index, stream in enumerate(streams) for event in shift_all(stream, shifts)]
    tagged.sort(key=lambda item: (zlib.crc32(item[1]["id"].encode()) % 7, item[0]))
    ids = sorted({(index, event["id"]) for index, event in tagged})
    erase = {ids[n % len(ids)] for n in chosen} if ids else set()
    conversations = sorted({(i, e["conversation_id"]) for i, e in tagged if e.get("conversation_id")})
    for n in whole if conversations else ():
        picked = conversations[n % len(conversations)]
        erase |= {(i, e["id"]) for i, e in tagged if (i, e.get("conversation_id")) == picked}
    erase_customers = [(0, customer)] if customer is not None and horizon_days is None else []
    erase_users = [(0, user)] if user is not None and horizon_days is None else []
    split_at = int(len(tagged) * cut) if horizon_days is not None else len(tagged)

    def batches_of(events):
        grouped = [(i, [event for j, event in group if j == i]) for group in split(events, sizes) for i in (0, 1)]
        return [(i, batch) for i, batch in grouped if batch]

    head, tail = tagged[:split_at], tagged[split_at:]
    erased_run = run(
        workspaces,
        batches_of(head),
        horizon_days=horizon_days,
        tail=tail,
        erase=erase,
        erase_customers=erase_customers,
        erase_users=erase_users,
    )
    erased = erased_run["erased"]
    assert erased <= erase

    def kept(items):
        # The events erased by id, and those naming the erased customer or user (a retry of one
        # with the same id but without them is a duplicate of it, so it goes too).
        gone = erased | {
            (i, e["id"])
            for i, e in items
            if (i, customer_of(e)) in set(erase_customers) or (i, e.get("user_id")) in set(erase_users)
        }
        return [(i, event) for i, event in items if (i, event["id"]) not in gone]

    control = run(workspaces, batches_of(kept(head)), horizon_days=horizon_days, tail=kept(tail))
    assert erased_run["differences"] == []
    assert control["differences"] == []
    assert erased_run["snapshot"] == control["snapshot"]


def conversation(customer: str, number: int, *, day: int = 0) -> list[dict]:
    """A conversation of `customer` on DAY + day: created, assigned, replies both ways, resolved."""
    prefix = f"{customer}-{number}-{day}"
    events = [
        support_event(
            "created", event_id=f"{prefix}-1", conversation=prefix, minutes=0, channel="chat", customer=customer
        ),
        support_event("assigned", event_id=f"{prefix}-2", conversation=prefix, minutes=3, channel="chat", agent="a1"),
        support_event(
            "agent_replied", event_id=f"{prefix}-3", conversation=prefix, minutes=7, channel="chat", agent="a1"
        ),
        support_event(
            "customer_replied",
            event_id=f"{prefix}-4",
            conversation=prefix,
            minutes=9,
            channel="chat",
            customer=customer,
        ),
        support_event("resolved", event_id=f"{prefix}-5", conversation=prefix, minutes=30, channel="chat", agent="a1"),
    ]
    return [shifted(event, day) for event in events]


def customer_rows(workspace, customer: str) -> dict[str, int]:
    """How many rows of each table still name the customer."""
    tables = ("customer_slot", "customer_sealed", "customer_interaction_hourly", "conversation", "conversation_sealed")
    with connection.cursor() as cursor:
        counts = {}
        for table in (*tables, "event"):
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE workspace_id = %s AND customer_id = %s", [workspace.pk, customer]
            )
            counts[table] = cursor.fetchone()[0]
        return counts


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_erase_customer_removes_the_customer_from_sealed_history_and_keeps_the_anonymous_totals(workspace):
    """Verifies a customer with a conversation on day 1 (retired by retention) and one on day 2,
    next to another customer: after erase_customer no table names them, the other customer is
    untouched, verify is clean, the day-1 totals (sealed) still count the conversation, and the
    day-2 conversation stays without its customer, with the agents' events."""
    drop_every_partition()
    reset()
    events = [*conversation("gone", 1), *conversation("gone", 2, day=1), *conversation("stays", 3, day=1)]
    services.events_ingest(workspace=workspace, events=validated(events))
    retention.retain(before=DAY + timedelta(days=1))
    assert customer_rows(workspace, "gone")["conversation_sealed"] == 1

    erased = erasure.erase_customer(workspace=workspace, customer_id="gone")

    assert erased.events == 2 and erased.sealed_conversations == 1 and erased.sealed_customer
    assert set(customer_rows(workspace, "gone").values()) == {0}
    assert customer_rows(workspace, "stays")["event"] == 2
    assert rollups.differences() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_trunc('day', bucket), sum(conversations_created), sum(customer_replies), sum(resolutions) "
            "FROM support_total_hourly GROUP BY 1 ORDER BY 1"
        )
        # Day 1: sealed, unchanged. Day 2: what the remaining events give: the erased customer's
        # events (its conversation's creation, its reply) are gone, the agents' events stay.
        assert [row[1:] for row in cursor.fetchall()] == [(1, 1, 1), (1, 1, 2)]
        cursor.execute("SELECT conversation_id, customer_id FROM conversation ORDER BY 1")
        assert cursor.fetchall() == [("gone-1-0", None), ("gone-2-1", None), ("stays-3-1", "stays")]
    reset()
    drop_every_partition()


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_erasing_a_retained_event_of_a_conversation_that_crosses_the_horizon_keeps_its_sealed_part(workspace):
    """Verifies a conversation created, assigned and answered on day 1 (retired) and resolved on
    day 2: erasing the resolution leaves it open with its day-1 state (created, first response,
    one reply) and its agent seen since day 1, and verify is clean."""
    drop_every_partition()
    reset()
    events = [
        support_event("created", event_id="x1", conversation="c", minutes=0, channel="chat", customer="u1"),
        support_event("assigned", event_id="x2", conversation="c", minutes=5, channel="chat", agent="a1"),
        support_event("agent_replied", event_id="x3", conversation="c", minutes=10, channel="chat", agent="a1"),
        shifted(support_event("resolved", event_id="x4", conversation="c", minutes=0, channel="chat", agent="a1"), 1),
    ]
    services.events_ingest(workspace=workspace, events=validated(events))
    retention.retain(before=DAY + timedelta(days=1))

    assert erasure.erase_events(workspace=workspace, event_ids=["x4"]) == ["x4"]

    assert rollups.differences() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, created_at, first_response_at, agent_replies FROM conversation")
        assert cursor.fetchall() == [("open", BASE, BASE + timedelta(minutes=5 + 5), 1)]
        cursor.execute("SELECT first_seen_at, last_seen_at FROM agent WHERE agent_id = 'a1'")
        assert cursor.fetchall() == [(BASE + timedelta(minutes=5), BASE + timedelta(minutes=10))]
        cursor.execute("SELECT sum(open) FROM support_live")
        assert cursor.fetchone()[0] == 1
    reset()
    drop_every_partition()


@pytest.mark.django_db
def test_erase_customer_command_reports_and_refreshes_the_rollups(workspace):
    """Verifies the command erases, says what it did, and refreshes the materialized views so
    that customer_channel_totals no longer names the customer."""
    services.events_ingest(workspace=workspace, events=validated(conversation("gone", 1) + conversation("stays", 2)))
    call_command("rollups", "refresh", stdout=io.StringIO())
    out = io.StringIO()
    call_command("erase_customer", "gone", "--workspace", workspace.slug, stdout=out)
    assert "customer gone of acme: 2 events deleted" in out.getvalue()
    assert "customer_channel_totals refreshed" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT customer_id FROM customer_channel_totals")
        assert cursor.fetchall() == [("stays",)]
    assert rollups.differences() == []


def unique_rows(workspace) -> list[tuple]:
    """event_unique_hourly's user rows: (day, name, member)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_trunc('day', bucket), name, member FROM event_unique_hourly "
            "WHERE workspace_id = %s AND kind = 'user' ORDER BY 1, 2, 3",
            [workspace.pk],
        )
        return cursor.fetchall()


def visit(event_id: str, user: str, *, day: int, minutes: int, session: str | None = None) -> dict:
    event = {"id": event_id, "name": "page.view", "occurred_at": at(minutes), "user_id": user}
    if session is not None:
        event["session_id"] = session
    return shifted(event, day)


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_erase_user_pseudonymizes_sealed_unique_counts_and_removes_the_rest(workspace):
    """Verifies a user with visits on day 1 (two hours, retired by retention) and day 2, next to
    another user: after erase_user no row names them, day 1's unique counts are unchanged (one
    pseudonym, the same in both sealed hours, so the day still counts two users), day 2 counts
    only the other user, their session is gone, the other user is untouched, and verify is clean."""
    drop_every_partition()
    reset()
    events = [
        visit("g1", "gone", day=0, minutes=0, session="sg"),
        visit("g2", "gone", day=0, minutes=120, session="sg"),
        visit("s1", "stays", day=0, minutes=5),
        visit("g3", "gone", day=1, minutes=0, session="sg2"),
        visit("s2", "stays", day=1, minutes=5),
    ]
    services.events_ingest(workspace=workspace, events=validated(events))
    retention.retain(before=DAY + timedelta(days=1))

    erased = erasure.erase_user(workspace=workspace, user_id="gone")

    assert (erased.events, erased.sealed_unique_rows) == (1, 4)  # 2 hours x (page.view, every name)
    rows = unique_rows(workspace)
    assert all(member != "gone" for _, _, member in rows)
    day1 = [(name, member) for day, name, member in rows if day == DAY]
    pseudonyms = {member for _, member in day1 if member != "stays"}
    assert len(pseudonyms) == 1 and next(iter(pseudonyms)).startswith("erased:")
    assert sorted(day1) == sorted(
        [("", "stays"), ("page.view", "stays")] + [(n, *pseudonyms) for n in ("", "page.view")] * 2
    )
    assert [(name, member) for day, name, member in rows if day > DAY] == [("", "stays"), ("page.view", "stays")]
    weeks = period_members(workspace, "week")
    assert all(member != "gone" for _, member, _, _ in weeks)
    assert sorted(member for _, member, _, _ in weeks if member != "stays") == sorted(pseudonyms)
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_id FROM session WHERE workspace_id = %s ORDER BY 1", [workspace.pk])
        cursor.execute("SELECT session_id, user_id FROM session WHERE workspace_id = %s ORDER BY 1", [workspace.pk])
        assert cursor.fetchall() == [("sg", None)]  # the sealed session of day 1 stays, without its user
        cursor.execute("SELECT count(*) FROM event WHERE user_id = 'gone'")
        assert cursor.fetchone()[0] == 0
    assert rollups.differences() == []
    reset()
    drop_every_partition()


def period_members(workspace, granularity: str) -> list[tuple]:
    """event_unique_period's user rows over every name: (period, member, first hour, last hour)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT period, member, first_bucket, last_bucket FROM event_unique_period "
            "WHERE workspace_id = %s AND kind = 'user' AND name = '' AND granularity = %s ORDER BY 1, 2",
            [workspace.pk, granularity],
        )
        return cursor.fetchall()


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_erasing_a_members_retained_event_keeps_it_in_a_period_by_its_sealed_hours(workspace):
    """Verifies a user seen on day 1 (retired by retention) and day 2: erasing the day-2 visit
    leaves them in the month with day 1's hour as first and last (read from the sealed hourly
    rows), and gone from day 2; verify is clean."""
    drop_every_partition()
    reset()
    events = [visit("k1", "keeps", day=0, minutes=30), visit("k2", "keeps", day=1, minutes=90)]
    services.events_ingest(workspace=workspace, events=validated(events))
    retention.retain(before=DAY + timedelta(days=1))
    [(month, _, first, last)] = period_members(workspace, "month")
    assert (first, last) == (DAY + timedelta(hours=8), DAY + timedelta(days=1, hours=9))

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE event IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("DELETE FROM event WHERE workspace_id = %s AND event_id = 'k2'", [workspace.pk])

    assert period_members(workspace, "month") == [(month, "keeps", first, first)]
    assert [(period, member) for period, member, _, _ in period_members(workspace, "day")] == [(DAY.date(), "keeps")]
    assert rollups.differences() == []
    reset()
    drop_every_partition()


@pytest.mark.django_db
def test_erase_user_command_reports_what_it_erased(workspace):
    """Verifies the command erases the user's events, says so, and leaves the other user's."""
    services.events_ingest(
        workspace=workspace,
        events=validated([visit("g1", "gone", day=0, minutes=0), visit("s1", "stays", day=0, minutes=1)]),
    )
    out = io.StringIO()
    call_command("erase_user", "gone", "--workspace", workspace.slug, stdout=out)
    assert out.getvalue().strip() == "user gone of acme: 1 events deleted"
    assert [member for _, _, member in unique_rows(workspace)] == ["stays", "stays"]
    assert rollups.differences() == []
    with pytest.raises(Exception, match="No workspace with slug 'nope'"):
        call_command("erase_user", "gone", "--workspace", "nope")


@pytest.mark.django_db
def test_erase_customer_command_refuses_an_unknown_workspace():
    with pytest.raises(Exception, match="No workspace with slug 'nope'"):
        call_command("erase_customer", "c", "--workspace", "nope")


@pytest.mark.django_db(transaction=True)
def test_erasing_while_eight_connections_ingest_loses_and_doubles_nothing():
    """Verifies erasures (one event, then a customer) while 8 connections send single events
    into the same workspace-hours and conversations: no error, and every summary equals its
    recomputation afterwards."""
    workspace = Workspace.objects.create(slug="erase-busy", name="Erase busy")
    try:
        services.events_ingest(workspace=workspace, events=validated(conversation("gone", 0) + conversation("c", 0)))
        rng = random.Random(7)
        streams = [[event for n in range(3) for event in conversation(f"c{index}", n)] for index in range(8)]
        for stream in streams:
            rng.shuffle(stream)

        def work(index: int) -> None:
            if index == 0:
                assert erasure.erase_events(workspace=workspace, event_ids=["c-0-0-3"]) == ["c-0-0-3"]
                erasure.erase_customer(workspace=workspace, customer_id="gone")
            for event in streams[index]:
                services.events_ingest(workspace=workspace, events=validated([event]))

        assert run_writers(8, work) == []
        assert rollups.differences(workspace_id=workspace.pk) == []
        # 8 x 15 sent, and of the first 10: one erased by id, the two naming the customer.
        assert Event.objects.filter(workspace=workspace).count() == 8 * 15 + 10 - 1 - 2
    finally:
        workspace.delete()


@pytest.mark.django_db
def test_deleting_a_workspace_deletes_its_summaries_and_leaves_the_others(workspace, other_workspace):
    """Verifies deleting a workspace removes its events and every summary row of it (the erase
    trigger skips it), and another workspace's summaries and verify are unaffected."""
    for target in (workspace, other_workspace):
        services.events_ingest(workspace=target, events=validated(conversation("u", 1)))
    before = snapshot()
    other = other_workspace.pk
    other_workspace.delete()
    with connection.cursor() as cursor:
        for model in erasure.summary_models():
            cursor.execute(f"SELECT count(*) FROM {model._meta.db_table} WHERE workspace_id = %s", [other])
            assert cursor.fetchone()[0] == 0, model._meta.db_table
    assert rollups.differences() == []
    after = snapshot()
    assert {name: [row for row in rows if row[0] == workspace.pk] for name, rows in before.items()} == after


@pytest.mark.django_db
def test_erasing_the_event_an_occupation_came_from_gives_the_one_before(workspace):
    """Verifies erasing the event a customer's occupation came from (neither its first nor its last
    event) gives the occupation of the latest remaining event that carries one, in every slot."""

    def visit(event_id: str, minutes: int, occupation: str | None) -> dict:
        customer = {"id": "u1"} if occupation is None else {"id": "u1", "occupation": occupation}
        moment = (BASE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
        return {"id": event_id, "name": "visit", "occurred_at": moment, "customer": customer}

    for event in (visit("o1", 0, "pilot"), visit("o2", 30, "nurse"), visit("o3", 60, None)):
        services.events_ingest(workspace=workspace, events=validated([event]))
    assert erasure.erase_events(workspace=workspace, event_ids=["o2"]) == ["o2"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT occupation, occupation_event_id FROM customer WHERE customer_id = 'u1'")
        assert cursor.fetchall() == [("pilot", "o1")]
    assert rollups.differences() == []
