"""Every metric of DESIGN.md ("Conversation state", "Support metrics", "Generic events and
customers") on small examples posted over HTTP, checked against numbers computed by hand.

Summary tables are compared whole: the helpers return every row that is not all zeros (the
triggers may leave zero rows behind when a contribution moves to another hour), so a metric
counted in a wrong bucket, channel or agent fails as surely as a wrong value. Each test ends
with `rollups verify`, which compares every summary with its recomputation from raw events.
"""

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from analytics.models import (
    Agent,
    Channel,
    Conversation,
    Customer,
    CustomerInteractionHourly,
    EventHourly,
    SupportDurationHourly,
    SupportHourly,
    SupportLive,
)

URL = "/api/v1/events/"
DAY = "2026-03-10"

SUPPORT_COLUMNS = (
    "conversations_created",
    "conversations_assigned",
    "agent_replies",
    "customer_replies",
    "resolutions",
    "reopens",
    "first_response_count",
    "first_response_seconds",
    "resolution_count",
    "resolution_seconds",
)


def at(clock: str) -> datetime:
    """ "10:07" on DAY, in UTC."""
    hours, minutes = clock.split(":")
    return datetime(2026, 3, 10, int(hours), int(minutes), tzinfo=UTC)


def hour(h: int) -> datetime:
    return datetime(2026, 3, 10, h, tzinfo=UTC)


def conv(event_id: str, kind: str, clock: str, *, conversation: str = "c1", channel="chat", **extra) -> dict:
    return {
        "id": event_id,
        "name": f"conversation.{kind}",
        "occurred_at": f"{DAY}T{clock}:00Z",
        "conversation_id": conversation,
        "channel": channel,
        **extra,
    }


def product(event_id: str, name: str, clock: str, **extra) -> dict:
    return {"id": event_id, "name": name, "occurred_at": f"{DAY}T{clock}:00Z", **extra}


def post(client, events: list[dict]) -> dict:
    response = client.post(URL, events, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def post_each(client, events: list[dict]) -> None:
    for one in events:
        post(client, [one])


def post_as(client, events: list[dict], mode: str) -> None:
    """Posts the events as one batch, one request each in order, or one request each in reverse."""
    if mode == "batch":
        post(client, events)
    elif mode == "one_by_one":
        post_each(client, events)
    else:
        post_each(client, list(reversed(events)))


POSTING = ["batch", "one_by_one", "reversed"]


def support_table(workspace) -> dict:
    """{(bucket, channel, agent): {column: value}} with only the non-zero columns of non-zero rows."""
    table = {}
    for row in SupportHourly.objects.filter(workspace=workspace).values():
        values = {column: row[column] for column in SUPPORT_COLUMNS if row[column] != 0}
        if values:
            table[row["bucket"], row["channel_id"], row["agent_id"]] = values
    return table


def duration_table(workspace) -> dict:
    rows = SupportDurationHourly.objects.filter(workspace=workspace).exclude(conversations=0)
    return {
        (row.bucket, row.channel_id, row.agent_id, row.metric, row.bin_start_seconds): row.conversations for row in rows
    }


def live_table(workspace) -> dict:
    return {
        row.channel_id: (row.open, row.unassigned, row.unanswered)
        for row in SupportLive.objects.filter(workspace=workspace)
        if (row.open, row.unassigned, row.unanswered) != (0, 0, 0)
    }


def verify() -> None:
    call_command("rollups", "verify", stdout=StringIO())


# --- 1. first response time ---------------------------------------------------------------

FIRST_RESPONSE_EVENTS = [
    conv("e1", "created", "10:00"),
    conv("e2", "customer_replied", "10:02", customer="cu1"),
    conv("e3", "agent_replied", "10:07", agent="a1"),
    conv("e4", "agent_replied", "10:30", agent="a2"),
]

FIRST_RESPONSE_SUPPORT = {
    # created and the customer's message carry no agent
    (hour(10), "chat", ""): {"conversations_created": 1, "customer_replies": 1},
    # first response 10:07 - 10:00 = 7 * 60 = 420 s, in the hour of 10:07, for a1
    (hour(10), "chat", "a1"): {"agent_replies": 1, "first_response_count": 1, "first_response_seconds": 420},
    # a2's 10:30 reply is a reply, not a first response
    (hour(10), "chat", "a2"): {"agent_replies": 1},
}
# 420 s: 300 <= 420 < 900, the 5-15 min bin
FIRST_RESPONSE_DURATIONS = {(hour(10), "chat", "a1", "first_response", 300): 1}
# open (never resolved), never assigned, answered
FIRST_RESPONSE_LIVE = {"chat": (1, 1, 0)}


@pytest.mark.parametrize("mode", POSTING)
@pytest.mark.django_db
def test_first_response_time_is_earliest_agent_reply_minus_created(client_for, workspace, mode):
    """Verifies first response = earliest agent reply − created, counted once for the first responder."""
    post_as(client_for, FIRST_RESPONSE_EVENTS, mode)

    assert support_table(workspace) == FIRST_RESPONSE_SUPPORT
    assert duration_table(workspace) == FIRST_RESPONSE_DURATIONS
    assert live_table(workspace) == FIRST_RESPONSE_LIVE
    conversation = Conversation.objects.get(workspace=workspace, conversation_id="c1")
    assert (conversation.first_response_at, conversation.first_responder_id) == (at("10:07"), "a1")
    assert (conversation.agent_replies, conversation.customer_replies) == (2, 1)
    verify()


# --- 2. first response arriving before created ----------------------------------------------


@pytest.mark.django_db
def test_reply_before_created_gives_no_first_response_until_created_arrives(client_for, workspace):
    """Verifies replies that arrive before created count as replies only, then as case 1 once created lands."""
    post(client_for, [FIRST_RESPONSE_EVENTS[3]])
    post(client_for, [FIRST_RESPONSE_EVENTS[2]])
    post(client_for, [FIRST_RESPONSE_EVENTS[1]])

    # No created_at yet: replies are counted, but no created, no first response, no live row.
    assert support_table(workspace) == {
        (hour(10), "chat", ""): {"customer_replies": 1},
        (hour(10), "chat", "a1"): {"agent_replies": 1},
        (hour(10), "chat", "a2"): {"agent_replies": 1},
    }
    assert duration_table(workspace) == {}
    assert live_table(workspace) == {}
    conversation = Conversation.objects.get(workspace=workspace, conversation_id="c1")
    assert (conversation.created_at, conversation.first_response_at) == (None, at("10:07"))
    verify()

    post(client_for, [FIRST_RESPONSE_EVENTS[0]])

    assert support_table(workspace) == FIRST_RESPONSE_SUPPORT
    assert duration_table(workspace) == FIRST_RESPONSE_DURATIONS
    assert live_table(workspace) == FIRST_RESPONSE_LIVE
    verify()


# --- 3. resolution time after a reopen ------------------------------------------------------

RESOLUTION_EVENTS = [
    conv("e1", "created", "09:00"),
    conv("e2", "resolved", "09:30", agent="a1"),
    conv("e3", "reopened", "10:15"),
    conv("e4", "resolved", "13:45", agent="a2"),
]

RESOLUTION_SUPPORT = {
    (hour(9), "chat", ""): {"conversations_created": 1},
    # the 09:30 resolution is still one resolution event, but no longer the resolution time
    (hour(9), "chat", "a1"): {"resolutions": 1},
    (hour(10), "chat", ""): {"reopens": 1},
    # 13:45 - 09:00 = 4 h 45 min = 4 * 3600 + 45 * 60 = 14400 + 2700 = 17100 s
    (hour(13), "chat", "a2"): {"resolutions": 1, "resolution_count": 1, "resolution_seconds": 17100},
}


@pytest.mark.parametrize("mode", POSTING)
@pytest.mark.django_db
def test_resolution_time_after_reopen_is_last_resolution_minus_created(client_for, workspace, mode):
    """Verifies resolution time = last resolution − created, in its hour and agent, gone after a reopen."""
    post_as(client_for, RESOLUTION_EVENTS, mode)

    assert support_table(workspace) == RESOLUTION_SUPPORT
    nine = SupportHourly.objects.filter(workspace=workspace, bucket=hour(9), channel_id="chat", agent_id="a1").get()
    assert (nine.resolution_count, nine.resolution_seconds) == (0, 0)
    # 17100 s: 14400 <= 17100 < 28800, the 4-8 h bin
    assert duration_table(workspace) == {(hour(13), "chat", "a2", "resolution", 14400): 1}
    assert live_table(workspace) == {}
    conversation = Conversation.objects.get(workspace=workspace, conversation_id="c1")
    assert (conversation.status, conversation.resolver_id) == ("resolved", "a2")
    assert (conversation.first_resolved_at, conversation.last_resolved_at) == (at("09:30"), at("13:45"))
    verify()

    post(client_for, [conv("e5", "reopened", "14:00")])

    # reopened at 14:00 > resolved at 13:45: open again, no resolution time anywhere
    assert support_table(workspace) == {
        (hour(9), "chat", ""): {"conversations_created": 1},
        (hour(9), "chat", "a1"): {"resolutions": 1},
        (hour(10), "chat", ""): {"reopens": 1},
        (hour(13), "chat", "a2"): {"resolutions": 1},
        (hour(14), "chat", ""): {"reopens": 1},
    }
    assert sum(row.resolution_count for row in SupportHourly.objects.filter(workspace=workspace)) == 0
    assert duration_table(workspace) == {}
    # open, never assigned, never answered
    assert live_table(workspace) == {"chat": (1, 1, 1)}
    assert Conversation.objects.get(workspace=workspace, conversation_id="c1").status == "open"
    verify()


@pytest.mark.django_db
def test_resolution_time_follows_each_step_of_resolve_reopen_resolve(client_for, workspace):
    """Verifies the resolution time moves hour, agent and bin at each resolve and reopen posted one by one."""
    post(client_for, RESOLUTION_EVENTS[:2])
    # 09:30 - 09:00 = 1800 s, at 09:00 for a1; 1800 <= 1800 < 3600, the 30-60 min bin
    assert support_table(workspace) == {
        (hour(9), "chat", ""): {"conversations_created": 1},
        (hour(9), "chat", "a1"): {"resolutions": 1, "resolution_count": 1, "resolution_seconds": 1800},
    }
    assert duration_table(workspace) == {(hour(9), "chat", "a1", "resolution", 1800): 1}
    assert live_table(workspace) == {}

    post(client_for, [RESOLUTION_EVENTS[2]])
    assert support_table(workspace) == {
        (hour(9), "chat", ""): {"conversations_created": 1},
        (hour(9), "chat", "a1"): {"resolutions": 1},
        (hour(10), "chat", ""): {"reopens": 1},
    }
    assert duration_table(workspace) == {}
    assert live_table(workspace) == {"chat": (1, 1, 1)}

    post(client_for, [RESOLUTION_EVENTS[3]])
    assert support_table(workspace) == RESOLUTION_SUPPORT
    assert duration_table(workspace) == {(hour(13), "chat", "a2", "resolution", 14400): 1}
    assert live_table(workspace) == {}
    verify()


# --- 4. resolve and reopen at the same instant ----------------------------------------------


@pytest.mark.django_db
def test_resolved_and_reopened_at_same_instant_is_open(client_for, workspace):
    """Verifies a resolution at the same instant as the last reopen leaves the conversation open."""
    # c1: resolved then reopened (arrival order); c2: reopened then resolved; both at 11:00.
    post(client_for, [conv("r1", "created", "10:00"), conv("r2", "resolved", "11:00", agent="a1")])
    post(client_for, [conv("r3", "reopened", "11:00")])
    post(
        client_for,
        [conv("s1", "created", "10:00", conversation="c2"), conv("s2", "reopened", "11:00", conversation="c2")],
    )
    post(client_for, [conv("s3", "resolved", "11:00", conversation="c2", agent="a1")])
    # c3: both in one batch
    post(
        client_for,
        [
            conv("t1", "created", "10:00", conversation="c3"),
            conv("t2", "resolved", "11:00", conversation="c3", agent="a1"),
            conv("t3", "reopened", "11:00", conversation="c3"),
        ],
    )

    statuses = dict(Conversation.objects.filter(workspace=workspace).values_list("conversation_id", "status"))
    assert statuses == {"c1": "open", "c2": "open", "c3": "open"}
    assert support_table(workspace) == {
        (hour(10), "chat", ""): {"conversations_created": 3},
        # one resolution event each, but none is a current resolution (no resolution_count)
        (hour(11), "chat", "a1"): {"resolutions": 3},
        (hour(11), "chat", ""): {"reopens": 3},
    }
    assert duration_table(workspace) == {}
    # 3 open, none assigned, none answered
    assert live_table(workspace) == {"chat": (3, 3, 3)}
    verify()


# --- 5. unanswered and unassigned -----------------------------------------------------------

LIVE_EVENTS = [
    conv("A1", "created", "09:00", conversation="A"),
    conv("B1", "created", "09:00", conversation="B"),
    conv("B2", "assigned", "09:05", conversation="B", agent="x"),
    conv("C1", "created", "09:00", conversation="C"),
    conv("C2", "assigned", "09:05", conversation="C", agent="x"),
    conv("C3", "agent_replied", "09:06", conversation="C", agent="x"),
    conv("D1", "created", "09:00", conversation="D"),
    conv("D2", "resolved", "09:10", conversation="D"),
]


@pytest.mark.parametrize("mode", POSTING)
@pytest.mark.django_db
def test_live_counts_open_unassigned_and_unanswered(client_for, workspace, mode):
    """Verifies open excludes resolved, unassigned counts never-assigned and unanswered never-replied open ones."""
    post_as(client_for, LIVE_EVENTS, mode)

    # open: A, B, C (D resolved) = 3; unassigned: A = 1; unanswered: A, B = 2
    assert live_table(workspace) == {"chat": (3, 1, 2)}
    assert support_table(workspace) == {
        # A, B, C, D created; D resolved without an agent
        (hour(9), "chat", ""): {
            "conversations_created": 4,
            "resolutions": 1,
            # D: 09:10 - 09:00 = 600 s, no resolver
            "resolution_count": 1,
            "resolution_seconds": 600,
        },
        # B and C assigned to x; C answered by x at 09:06 - 09:00 = 360 s
        (hour(9), "chat", "x"): {
            "conversations_assigned": 2,
            "agent_replies": 1,
            "first_response_count": 1,
            "first_response_seconds": 360,
        },
    }
    # 360 s in [300, 900); 600 s in [300, 900)
    assert duration_table(workspace) == {
        (hour(9), "chat", "x", "first_response", 300): 1,
        (hour(9), "chat", "", "resolution", 300): 1,
    }
    verify()


# --- 6. assignee: latest assignment, ties by event id ---------------------------------------


@pytest.mark.parametrize("mode", POSTING)
@pytest.mark.django_db
def test_assignee_is_latest_assignment_with_ties_broken_by_greater_event_id(
    make_client, workspace, other_workspace, mode
):
    """Verifies two assignments at the same instant give the agent of the greater event id, whatever the order."""
    events = [
        conv("a-0", "created", "09:00"),
        conv("a-1", "assigned", "10:00", agent="x"),
        conv("a-2", "assigned", "10:00", agent="y"),
    ]
    # acme gets the posting of this parametrization, globex the two assignments in the opposite order
    post_as(make_client(workspace), events, mode)
    post_each(make_client(other_workspace), [events[0], events[2], events[1]])

    for space in (workspace, other_workspace):
        conversation = Conversation.objects.get(workspace=space, conversation_id="c1")
        # same occurred_at, "a-2" > "a-1": the assignee is y
        assert (conversation.assignee_id, conversation.assigned_event_id) == ("y", "a-2")
        assert (conversation.first_assigned_at, conversation.assigned_at) == (at("10:00"), at("10:00"))
        assert support_table(space) == {
            (hour(9), "chat", ""): {"conversations_created": 1},
            (hour(10), "chat", "x"): {"conversations_assigned": 1},
            (hour(10), "chat", "y"): {"conversations_assigned": 1},
        }
        # open, assigned, not answered
        assert live_table(space) == {"chat": (1, 0, 1)}
    verify()


@pytest.mark.django_db
def test_later_assignment_wins_over_greater_event_id(client_for, workspace):
    """Verifies the latest assignment by time wins even when an earlier one has the greater event id."""
    post(client_for, [conv("z-9", "assigned", "11:00", agent="late")])
    post(client_for, [conv("a-1", "assigned", "10:00", agent="early")])
    conversation = Conversation.objects.get(workspace=workspace, conversation_id="c1")
    assert (conversation.assignee_id, conversation.first_assigned_at) == ("late", at("10:00"))
    verify()


# --- 7. channel comes from the created event ------------------------------------------------


@pytest.mark.django_db
def test_conversation_channel_comes_from_created_event_even_when_it_arrives_late(client_for, workspace):
    """Verifies the created event's channel replaces an earlier-arriving event's and counts created there."""
    post(client_for, [conv("r", "agent_replied", "10:05", channel="email", agent="a1")])

    conversation = Conversation.objects.get(workspace=workspace, conversation_id="c1")
    assert (conversation.channel_id, conversation.channel_rank) == ("email", 1)
    assert support_table(workspace) == {(hour(10), "email", "a1"): {"agent_replies": 1}}
    assert live_table(workspace) == {}

    post(client_for, [conv("c", "created", "10:00", channel={"id": "chat", "name": "Live chat"})])

    conversation = Conversation.objects.get(workspace=workspace, conversation_id="c1")
    assert (conversation.channel_id, conversation.channel_rank, conversation.channel_event_id) == ("chat", 0, "c")
    assert support_table(workspace) == {
        # created counted under the conversation's channel
        (hour(10), "chat", ""): {"conversations_created": 1},
        # the reply event is counted under its own channel
        (hour(10), "email", "a1"): {"agent_replies": 1},
        # the first response belongs to the conversation: 10:05 - 10:00 = 300 s, under chat
        (hour(10), "chat", "a1"): {"first_response_count": 1, "first_response_seconds": 300},
    }
    # 300 s: 300 <= 300 < 900
    assert duration_table(workspace) == {(hour(10), "chat", "a1", "first_response", 300): 1}
    # open, unassigned, answered — under chat only
    assert live_table(workspace) == {"chat": (1, 1, 0)}
    assert Channel.objects.get(workspace=workspace, channel_id="chat").name == "Live chat"
    verify()


# --- 8. customer interactions ---------------------------------------------------------------


@pytest.mark.parametrize("mode", POSTING)
@pytest.mark.django_db
def test_interaction_is_an_event_naming_both_customer_and_channel(client_for, workspace, mode):
    """Verifies each conversation or product event with a customer and a channel is one interaction per hour."""
    events = [
        conv("e1", "created", "10:00", customer="cu1"),
        conv("e2", "customer_replied", "10:20", customer="cu1"),
        conv("e3", "agent_replied", "10:25", agent="a1"),  # no customer: none
        product("p1", "page.viewed", "10:40", customer="cu1", channel="web"),
        product("p2", "page.viewed", "10:50", customer="cu1"),  # no channel: none
        product("p3", "page.viewed", "10:55", channel="web"),  # no customer: none
        product("p4", "checkout", "11:05", customer="cu1", channel="web"),
        product("p5", "checkout", "11:10", customer={"id": "cu2", "name": "Bob"}, channel="web"),
        conv("e4", "customer_replied", "11:59", customer="cu1"),
    ]
    post_as(client_for, events, mode)

    rows = CustomerInteractionHourly.objects.filter(workspace=workspace)
    assert {(row.bucket, row.customer_id, row.channel_id): row.interactions for row in rows} == {
        (hour(10), "cu1", "chat"): 2,  # e1 + e2
        (hour(10), "cu1", "web"): 1,  # p1
        (hour(11), "cu1", "web"): 1,  # p4
        (hour(11), "cu2", "web"): 1,  # p5
        (hour(11), "cu1", "chat"): 1,  # e4
    }
    customers = {
        row.customer_id: (row.name, row.first_seen_at, row.last_seen_at)
        for row in Customer.objects.filter(workspace=workspace)
    }
    # cu1 seen 10:00 .. 11:59, including the channel-less p2
    assert customers == {"cu1": (None, at("10:00"), at("11:59")), "cu2": ("Bob", at("11:10"), at("11:10"))}
    assert Conversation.objects.get(workspace=workspace, conversation_id="c1").customer_id == "cu1"
    verify()


# --- 9. product events ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", POSTING)
@pytest.mark.django_db
def test_product_event_value_count_sum_min_max_per_hour_name_and_channel(client_for, workspace, mode):
    """Verifies product events are counted per hour × name × channel with count, sum, min and max of value."""
    events = [
        product("v1", "purchase", "10:01", channel="web", value=10),
        product("v2", "purchase", "10:15", channel="web", value=2.5),
        product("v3", "purchase", "10:30", channel="web", value=-1),
        product("v4", "purchase", "10:59", channel="web"),
        product("v5", "purchase", "10:20", channel="app", value=100),
        product("v6", "purchase", "11:00", channel="web", value=7),
        product("v7", "purchase", "10:40", value=0.125),
        product("v8", "refund", "10:10", channel="web", value=-3),
        product("v9", "signup", "10:05", channel="web", properties={"plan": "pro"}),
    ]
    post_as(client_for, events, mode)

    table = {
        (row.bucket, row.name, row.channel_id, row.agent_id): (
            row.events,
            row.value_count,
            row.value_sum,
            row.value_min,
            row.value_max,
        )
        for row in EventHourly.objects.filter(workspace=workspace)
    }
    assert table == {
        # v1..v4: 4 events, 3 values; 10 + 2.5 + (-1) = 11.5; min -1; max 10
        (hour(10), "purchase", "web", ""): (4, 3, Decimal("11.5"), Decimal("-1"), Decimal("10")),
        # v5 alone on app
        (hour(10), "purchase", "app", ""): (1, 1, Decimal("100"), Decimal("100"), Decimal("100")),
        # v6 at 11:00 opens the next hour
        (hour(11), "purchase", "web", ""): (1, 1, Decimal("7"), Decimal("7"), Decimal("7")),
        # v7 without a channel
        (hour(10), "purchase", "", ""): (1, 1, Decimal("0.125"), Decimal("0.125"), Decimal("0.125")),
        (hour(10), "refund", "web", ""): (1, 1, Decimal("-3"), Decimal("-3"), Decimal("-3")),
        # no value: counted, sum 0, min and max unknown
        (hour(10), "signup", "web", ""): (1, 0, Decimal("0"), None, None),
    }
    # product events touch no support summary
    assert support_table(workspace) == {}
    assert not Conversation.objects.filter(workspace=workspace).exists()
    verify()


# --- 10. dimension names --------------------------------------------------------------------

NAMED_AGENT_EVENTS = [
    conv("n1", "agent_replied", "10:00", agent={"id": "a1", "name": "Ann"}),
    conv("n2", "agent_replied", "09:00", agent={"id": "a1", "name": "Ann B."}),
    conv("n3", "assigned", "11:00", agent="a1"),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
@pytest.mark.django_db
def test_agent_name_is_latest_named_event_and_bare_id_keeps_it(client_for, workspace, order):
    """Verifies an agent's name comes from the latest event carrying one, whatever the arrival order."""
    post_each(client_for, [NAMED_AGENT_EVENTS[index] for index in order])

    agent = Agent.objects.get(workspace=workspace, agent_id="a1")
    # "Ann" at 10:00 is later than "Ann B." at 09:00; the bare id at 11:00 carries no name
    assert (agent.name, agent.name_at, agent.name_event_id) == ("Ann", at("10:00"), "n1")
    assert (agent.first_seen_at, agent.last_seen_at) == (at("09:00"), at("11:00"))
    verify()


PARTIAL_ATTRIBUTE_EVENTS = [
    conv(
        "m1",
        "agent_replied",
        "08:00",
        agent={"id": "a1", "name": "Early", "email": "early@example.com"},
        customer={"id": "u1", "name": "Cy", "type": "trial", "occupation": "pilot"},
    ),
    conv("m2", "assigned", "09:00", agent={"id": "a1", "name": "Ann", "email": "ann@example.com"}),
    conv(
        "m3",
        "agent_replied",
        "10:00",
        agent={"id": "a1", "email": "ann@new.example.com"},
        customer={"id": "u1", "type": "paying"},
    ),
    conv("m4", "resolved", "11:00", agent={"id": "a1", "name": "Ann B."}, customer={"id": "u1"}),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
@pytest.mark.django_db
def test_each_attribute_comes_from_the_latest_event_that_carried_it(client_for, workspace, order):
    """Verifies an event without an attribute leaves it alone: the name and the email (the
    customer's name, type and occupation) come from different events, whatever the arrival order."""
    post_each(client_for, [PARTIAL_ATTRIBUTE_EVENTS[index] for index in order])

    agent = Agent.objects.get(workspace=workspace, agent_id="a1")
    assert (agent.name, agent.name_at, agent.name_event_id) == ("Ann B.", at("11:00"), "m4")
    assert (agent.email, agent.email_at, agent.email_event_id) == ("ann@new.example.com", at("10:00"), "m3")
    customer = Customer.objects.get(workspace=workspace, customer_id="u1")
    assert (customer.name, customer.name_event_id, customer.type, customer.type_event_id) == (
        "Cy",
        "m1",
        "paying",
        "m3",
    )
    assert (customer.occupation, customer.occupation_at, customer.occupation_event_id) == ("pilot", at("08:00"), "m1")
    verify()


# --- 11. retries ----------------------------------------------------------------------------

RETRY_EVENTS = [
    conv("e1", "created", "10:00", customer={"id": "cu1", "name": "Cy"}),
    conv("e2", "customer_replied", "10:02", customer="cu1"),
    conv("e3", "agent_replied", "10:07", agent={"id": "a1", "name": "Ann"}),
    conv("e4", "assigned", "10:08", agent="a2"),
    conv("e5", "resolved", "12:00", agent="a2"),
    conv("e6", "reopened", "12:30"),
    conv("e7", "resolved", "13:00", agent="a1"),
    product("p1", "purchase", "10:30", channel="web", customer="cu1", value=5),
    product("p2", "purchase", "10:40", channel="web", value=2),
]


def snapshot(workspace) -> dict:
    models = (
        SupportHourly,
        SupportDurationHourly,
        SupportLive,
        EventHourly,
        CustomerInteractionHourly,
        Conversation,
        Agent,
        Channel,
        Customer,
    )
    return {
        model.__name__: sorted(
            (tuple(sorted(row.items())) for row in model.objects.filter(workspace=workspace).values()), key=repr
        )
        for model in models
    }


@pytest.mark.django_db
def test_retrying_the_same_events_changes_no_summary(client_for, workspace):
    """Verifies events posted again with the same ids — as a batch, one by one, or altered — change nothing."""
    assert post(client_for, RETRY_EVENTS) == {"accepted": 9, "duplicates": 0}
    before = snapshot(workspace)

    assert post(client_for, RETRY_EVENTS) == {"accepted": 0, "duplicates": 9}
    for one in reversed(RETRY_EVENTS):
        assert post(client_for, [one]) == {"accepted": 0, "duplicates": 1}
    # same ids, different contents: still duplicates (idempotent by event id)
    altered = [
        conv("e5", "resolved", "15:00", agent="a3"),
        conv("e6", "reopened", "09:00"),
        product("p1", "purchase", "10:30", channel="web", customer="cu1", value=500),
    ]
    assert post(client_for, altered) == {"accepted": 0, "duplicates": 3}
    # a retry mixed with one new event accepts only the new one
    assert post(client_for, [*RETRY_EVENTS[:2], product("p3", "other", "10:00")]) == {"accepted": 1, "duplicates": 2}

    after = snapshot(workspace)
    after["EventHourly"] = [row for row in after["EventHourly"] if dict(row)["name"] != "other"]
    assert after == before
    assert support_table(workspace) == {
        (hour(10), "chat", ""): {"conversations_created": 1, "customer_replies": 1},
        # 10:07 - 10:00 = 420 s
        (hour(10), "chat", "a1"): {"agent_replies": 1, "first_response_count": 1, "first_response_seconds": 420},
        (hour(10), "chat", "a2"): {"conversations_assigned": 1},
        (hour(12), "chat", "a2"): {"resolutions": 1},
        (hour(12), "chat", ""): {"reopens": 1},
        # 13:00 - 10:00 = 3 h = 10800 s
        (hour(13), "chat", "a1"): {"resolutions": 1, "resolution_count": 1, "resolution_seconds": 10800},
    }
    # 420 in [300, 900); 10800 in [7200, 14400)
    assert duration_table(workspace) == {
        (hour(10), "chat", "a1", "first_response", 300): 1,
        (hour(13), "chat", "a1", "resolution", 7200): 1,
    }
    assert live_table(workspace) == {}
    purchase = EventHourly.objects.get(workspace=workspace, name="purchase")
    # p1 + p2 = 5 + 2 = 7
    assert (purchase.events, purchase.value_sum) == (2, Decimal("7"))
    verify()


@pytest.mark.django_db
def test_product_event_hour_is_utc_and_value_sum_is_exact(client_for, workspace):
    """Verifies an event with a UTC offset lands in its UTC hour and decimal values add up exactly."""
    post(
        client_for,
        [
            # 11:30+01:00 = 10:30 UTC
            {"id": "t1", "name": "tip", "occurred_at": f"{DAY}T11:30:00+01:00", "channel": "web", "value": 0.1},
            product("t2", "tip", "10:10", channel="web", value=0.2),
        ],
    )
    row = EventHourly.objects.get(workspace=workspace, name="tip")
    # 0.1 + 0.2 = 0.3 exactly (decimal, not float)
    assert (row.bucket, row.events, row.value_sum) == (hour(10), 2, Decimal("0.3"))
    verify()


@pytest.mark.django_db
def test_duplicate_id_within_one_batch_counts_once(client_for, workspace):
    """Verifies an id repeated inside one batch is stored and counted once and reported as a duplicate."""
    batch = [
        conv("e1", "created", "10:00"),
        conv("e2", "agent_replied", "10:07", agent="a1"),
        conv("e2", "agent_replied", "10:07", agent="a1"),
    ]
    assert post(client_for, batch) == {"accepted": 2, "duplicates": 1}
    # one reply: 10:07 - 10:00 = 420 s
    assert support_table(workspace) == {
        (hour(10), "chat", ""): {"conversations_created": 1},
        (hour(10), "chat", "a1"): {"agent_replies": 1, "first_response_count": 1, "first_response_seconds": 420},
    }
    assert Conversation.objects.get(workspace=workspace, conversation_id="c1").agent_replies == 1
    verify()
