"""The invariant: every summary equals its recomputation from the raw events, whatever the order,
duplication, batching, write path or concurrency of the writes."""

import random
import threading

import pytest
from django.db import connection, connections
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analytics import rollups, services
from analytics.models import Event, EventKey
from core.auth import token_create
from core.models import Workspace
from tests.factories import (
    BUSINESS_SCHEDULES,
    SLA_POLICIES,
    add_business_schedules,
    add_sla_policies,
    at,
    event_streams,
    examples,
    orm_events,
    support_event,
    validated,
)

SUMMARY_TABLES = [summary.table for summary in rollups.SUMMARIES]


def reset_tables() -> None:
    with connection.cursor() as cursor:
        # The event -> workspace foreign key is deferred; its pending checks would block TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE event, event_key, {', '.join(SUMMARY_TABLES)}")


def is_zero(value) -> bool:
    """0, or a histogram array of zeros."""
    return all(item == 0 for item in value) if isinstance(value, list) else value == 0


def snapshot() -> dict[str, list[tuple]]:
    """Every summary row with its write slots merged (which slot a connection writes is not part
    of the state), zero rows of additive tables left out (they equal a missing row). Tables of
    days are left out too: they hold what compaction has folded so far, not a figure (verify
    compares them with the slot 0 rows they sum)."""
    tables = {}
    with connection.cursor() as cursor:
        for summary in rollups.SUMMARIES:
            if summary.per_day:
                continue
            cursor.execute(f"SELECT {', '.join([*summary.key, *summary.values])} FROM ({summary.merged_sql()}) AS m")
            rows = cursor.fetchall()
            if summary.additive:
                first_value = len(summary.key)
                rows = [row for row in rows if not all(is_zero(value) for value in row[first_value:])]
            tables[summary.name] = sorted(rows, key=repr)
    return tables


def write(workspace, batch: list[dict], path: str, client) -> None:
    if path == "http":
        response = client.post("/api/v1/events/", batch, format="json")
        assert response.status_code == 201, response.json()
    elif path == "orm":
        # The ORM's bulk INSERT, with the keys claimed the way the ingest statement claims them:
        # the first copy of an id in the batch, unless the workspace has the id already.
        objects = {}
        for event in orm_events(workspace, batch):
            objects.setdefault(event.event_id, event)
        known = set(
            EventKey.objects.filter(workspace=workspace, event_id__in=objects).values_list("event_id", flat=True)
        )
        new = [objects[event_id] for event_id in sorted(objects) if event_id not in known]
        EventKey.objects.bulk_create(
            [EventKey(workspace=workspace, event_id=event.event_id, occurred_at=event.occurred_at) for event in new]
        )
        Event.objects.bulk_create(new)
    else:
        services.events_ingest(workspace=workspace, events=validated(batch))


def split(events: list, sizes: list[int]) -> list[list]:
    batches, start = [], 0
    for size in sizes:
        if start >= len(events):
            break
        batches.append(events[start : start + size])
        start += size
    if start < len(events):
        batches.append(events[start:])
    return batches


@pytest.fixture
def workspaces(db, make_client):
    result = []
    # w2 keeps its unique counts per day, week and month of a zone whose days start at half past
    # a UTC hour.
    for slug, zone in (("w1", "UTC"), ("w2", "Asia/Kolkata")):
        workspace = Workspace.objects.create(slug=slug, name=slug, timezone=zone)
        add_business_schedules(workspace, BUSINESS_SCHEDULES[slug])
        add_sla_policies(workspace, SLA_POLICIES[slug])
        result.append((workspace, make_client(workspace, scopes=["ingest"])))
    return result


PROPERTY_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


def valued(event_id: str, value: int, *, minutes: int = 10) -> dict:
    return {"id": event_id, "name": "signup", "occurred_at": at(minutes), "channel": "email", "value": value}


def typed(event_id: str, customer_type: str, occupation: str | None = None) -> dict:
    """A product event of customer u1 at a fixed moment: two of them tie on occurred_at."""
    customer = {"id": "u1", "type": customer_type, "occupation": occupation}
    return {"id": event_id, "name": "visit", "occurred_at": at(30), "customer": customer}


# Durations exactly on bin starts: first response 60 s, resolution 900 s (then 3600 s after a reopen).
ON_BIN_STARTS = [
    support_event("created", event_id="b1", conversation="b", minutes=0, channel="chat"),
    support_event("agent_replied", event_id="b2", conversation="b", minutes=1, channel="chat", agent="a1"),
    support_event("resolved", event_id="b3", conversation="b", minutes=15, channel="chat", agent="a1"),
    support_event("reopened", event_id="b4", conversation="b", minutes=20, channel="chat"),
    support_event("resolved", event_id="b5", conversation="b", minutes=60, channel="chat", agent="a2"),
]


# The resolution moves from a1 to a2 within one hour and channel: the channel's and the hour's
# rows net to zero while the agents' rows change (support_agent_hourly, support_channel_hourly).
RESOLVER_MOVES = [
    support_event("created", event_id="m1", conversation="m", minutes=0, channel="chat"),
    support_event("resolved", event_id="m2", conversation="m", minutes=10, channel="chat", agent="a1"),
    support_event("resolved", event_id="m3", conversation="m", minutes=20, channel="chat", agent="a2"),
]


# A reply arriving last splits the wait of two customer messages: before it, both are answered by
# r5; with it, the first is answered by r3 (reply times re-pair the conversation).
REPLY_SPLIT = [
    support_event("created", event_id="r1", conversation="r", minutes=0, channel="chat"),
    support_event("customer_replied", event_id="r2", conversation="r", minutes=5, channel="chat"),
    support_event("customer_replied", event_id="r4", conversation="r", minutes=10, channel="chat"),
    support_event("agent_replied", event_id="r5", conversation="r", minutes=30, channel="email", agent="a1"),
    support_event("agent_replied", event_id="r3", conversation="r", minutes=8, channel="chat", agent="a2"),
    # A message and a reply at the same moment: the reply answers it (wait 0).
    support_event("customer_replied", event_id="r6", conversation="r", minutes=30, channel="chat"),
]

# Two ratings at the same moment: the one with the greater event id is the conversation's rating,
# counted for the assignee and team of the latest assignment.
RATING_TIE = [
    support_event("assigned", event_id="q1", conversation="q", minutes=0, channel="chat", agent="a1"),
    support_event("rated", event_id="q2", conversation="q", minutes=10, channel="chat", value=2),
    support_event("rated", event_id="q3", conversation="q", minutes=10, channel="chat", value=5),
    support_event(
        "assigned", event_id="q4", conversation="q", minutes=5, channel="chat", agent="a2", properties={"team": "t"}
    ),
]


def toggle(kind: str, event_id: str, minutes: int, label: str) -> dict:
    """A conversation.labeled / .unlabeled event of conversation g."""
    return support_event(
        kind, event_id=event_id, conversation="g", minutes=minutes, channel="chat", properties={"label": label}
    )


# One label toggled several times, three events at the same moment (the greatest event id decides),
# on a conversation that is created, answered, resolved and rated: labeling moves all of it.
LABEL_TOGGLES = [
    support_event("created", event_id="g1", conversation="g", minutes=0, channel="chat"),
    support_event("agent_replied", event_id="g2", conversation="g", minutes=3, channel="chat", agent="a1"),
    toggle("labeled", "g3", 10, "bug"),
    toggle("unlabeled", "g5", 10, "bug"),
    toggle("labeled", "g4", 10, "bug"),
    toggle("labeled", "g6", 5, "vip"),
    support_event("resolved", event_id="g7", conversation="g", minutes=70, channel="chat", agent="a1"),
    support_event("rated", event_id="g8", conversation="g", minutes=75, channel="chat", value=4),
    toggle("unlabeled", "g9", 2, "vip"),
    toggle("labeled", "g0", 20, "bug"),
]


def test_the_invariant_covers_the_per_channel_agent_and_name_summaries():
    """Verifies the invariant compares the per-channel, per-agent and per-name tables too, CSAT,
    reply times, the per-team and per-label figures, the conversations' label state, the sets
    and period counts of the unique counts and the folded days of the declared properties."""
    assert {
        "support_channel_hourly",
        "support_agent_hourly",
        "event_name_hourly",
        "event_name_lifetime",
        "support_csat_hourly",
        "support_reply_hourly",
        "support_team_hourly",
        "support_label_hourly",
        "conversation_label",
        "support_business_hourly",
        "support_sla_hourly",
        "conversation_due",
        "event_unique_hourly",
        "event_unique_period",
        "event_unique_period_count",
        "event_property_daily",
    } <= set(SUMMARY_TABLES)


@pytest.mark.django_db
@settings(max_examples=examples(200), **PROPERTY_SETTINGS)
@given(
    streams=st.lists(event_streams(), min_size=1, max_size=2),
    sizes=st.lists(st.integers(1, 7), max_size=10),
    paths=st.lists(st.sampled_from(["service", "orm", "http"]), min_size=1, max_size=10),
)
# The collisions a mutation audit found random runs hitting only sometimes, pinned in both orders:
# two valued events on one hourly key in separate statements (min/max kept, not overwritten),
# two events tying on occurred_at with different attributes (the tie-break by event id, across
# statements and within one), and
# durations on the histogram's bin edges.
@example(streams=[[valued("v1", 3), valued("v2", 5)]], sizes=[1, 1], paths=["service"])
@example(streams=[[valued("v2", 5), valued("v1", 3)]], sizes=[1, 1], paths=["service"])
@example(streams=[[typed("t-a", "person"), typed("t-b", "company")]], sizes=[1, 1], paths=["service"])
@example(streams=[[typed("t-b", "company"), typed("t-a", "person")]], sizes=[1, 1], paths=["service"])
@example(streams=[[typed("o-a", "person", "pilot"), typed("o-b", "person", "nurse")]], sizes=[1, 1], paths=["service"])
@example(streams=[[typed("o-b", "person", "nurse"), typed("o-a", "person", "pilot")]], sizes=[1, 1], paths=["orm"])
@example(streams=[[typed("o-a", "person", "pilot"), typed("o-b", "person", "nurse")]], sizes=[2], paths=["service"])
@example(streams=[ON_BIN_STARTS], sizes=[1, 1, 1, 1, 1], paths=["service"])
@example(streams=[ON_BIN_STARTS[::-1]], sizes=[2, 3], paths=["orm"])
@example(streams=[RESOLVER_MOVES], sizes=[1, 1, 1], paths=["service"])
@example(streams=[REPLY_SPLIT], sizes=[1, 1, 1, 1, 1, 1], paths=["service"])
@example(streams=[REPLY_SPLIT[::-1]], sizes=[1, 1, 1, 1, 1, 1], paths=["orm"])
@example(streams=[RATING_TIE], sizes=[1, 1, 1, 1], paths=["service"])
@example(streams=[RATING_TIE[::-1]], sizes=[1, 1, 1, 1], paths=["http"])
@example(streams=[LABEL_TOGGLES], sizes=[1] * 10, paths=["service"])
@example(streams=[LABEL_TOGGLES[::-1]], sizes=[1] * 10, paths=["orm"])
@example(streams=[LABEL_TOGGLES], sizes=[3, 2, 5], paths=["http", "service"])
def test_summaries_equal_recomputation_for_any_order_duplication_batching_and_path(workspaces, streams, sizes, paths):
    """Verifies rollups find 0 differences after random events arrive shuffled, repeated and batched."""
    reset_tables()
    for (workspace, client), events in zip(workspaces, streams, strict=False):
        for number, batch in enumerate(split(events, sizes)):
            write(workspace, batch, paths[number % len(paths)], client)
    assert list(rollups.differences()) == []


@pytest.mark.django_db
@settings(max_examples=examples(60), **PROPERTY_SETTINGS)
@given(events=event_streams(max_conversations=6, max_products=3))
def test_forward_and_reversed_arrival_give_identical_summaries(workspaces, events):
    """Verifies the same events one by one in forward and in reversed order leave identical summary tables."""
    workspace, client = workspaces[0]
    results = []
    for ordering in (events, events[::-1]):
        reset_tables()
        for event in ordering:
            write(workspace, [event], "service", client)
        results.append(snapshot())
    assert results[0] == results[1]
    assert list(rollups.differences()) == []


def concurrent_pool() -> list[dict]:
    """Many events on few conversations and hours, so concurrent writers contend for the same rows."""
    rng = random.Random(7)
    events = []
    for number in range(40):
        conversation = f"c{number % 12}"
        kind = rng.choice(["created", "assigned", "agent_replied", "customer_replied", "resolved", "reopened", "rated"])
        for repeat in range(6):
            agent = rng.choice(["a1", "a2", "a3"])
            events.append(
                support_event(
                    kind,
                    event_id=f"e{number}-{repeat}",
                    conversation=conversation,
                    minutes=rng.randrange(0, 180),
                    channel=rng.choice(["email", "chat"]),
                    agent=agent if kind in ("assigned", "agent_replied", "resolved") else None,
                    customer=rng.choice(["u1", "u2", None]),
                    value=rng.randint(1, 5) if kind == "rated" else None,
                    properties={"team": rng.choice(["t1", "t2"])} if kind == "assigned" else None,
                )
            )
    for number in range(120):
        events.append(
            {
                "id": f"p{number}",
                "name": "page.view",
                "occurred_at": events[number]["occurred_at"],
                "value": number,
                "channel": "web",
                "customer": rng.choice(["u1", "u2"]),
            }
        )
    return events


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_on_the_same_rows_stay_exact_without_deadlocks():
    """Verifies 8 connections inserting overlapping batches into the same hours and conversations keep exact totals."""
    workspace = Workspace.objects.create(slug="busy", name="Busy")
    add_business_schedules(workspace, BUSINESS_SCHEDULES["w2"])
    add_sla_policies(workspace, SLA_POLICIES["w2"])
    pool = concurrent_pool()
    validated_pool = {event["id"]: event for event in validated(pool)}
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(12):
                batch = rng.sample(list(validated_pool.values()), rng.randint(1, 40))
                services.events_ingest(workspace=workspace, events=batch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert list(rollups.differences()) == []
    written = Event.objects.filter(workspace=workspace).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(events) FROM event_hourly WHERE workspace_id = %s", [workspace.pk])
        assert cursor.fetchone()[0] == written


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_http_clients_retrying_the_same_batch_accept_it_once(live_server):
    """Verifies the same batch posted by 8 clients at once is accepted exactly once in total."""
    import json
    import urllib.request

    workspace = Workspace.objects.create(slug="retry", name="Retry")
    _, key = token_create(workspace=workspace, scopes=["ingest"])
    batch = concurrent_pool()[:200]
    accepted: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def client() -> None:
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/events/",
            data=json.dumps(batch).encode(),
            headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
        )
        try:
            barrier.wait()
            with urllib.request.urlopen(request, timeout=60) as response:
                accepted.append(json.load(response)["accepted"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(accepted) == len({event["id"] for event in batch})
    assert list(rollups.differences()) == []
