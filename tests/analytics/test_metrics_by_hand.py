"""Each metric's definition on a small example whose numbers are computed by hand."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from analytics.models import (
    Agent,
    Conversation,
    CustomerInteractionHourly,
    EventHourly,
    SupportDurationHourly,
    SupportHourly,
    SupportLive,
)

URL = "/api/v1/events/"


def hour(h: int) -> datetime:
    return datetime(2026, 6, 1, h, tzinfo=UTC)


def event(event_id: str, kind: str, clock: str, conversation: str = "c1", channel: str = "email", **extra) -> dict:
    return {
        "id": event_id,
        "name": f"conversation.{kind}",
        "occurred_at": f"2026-06-01T{clock}:00Z",
        "conversation_id": conversation,
        "channel": channel,
        **extra,
    }


def post(client, *events) -> None:
    response = client.post(URL, list(events), format="json")
    assert response.status_code == 201, response.json()


def support(workspace, **filters) -> dict:
    rows = SupportHourly.objects.filter(workspace=workspace, **filters).values()
    return {(row["bucket"].hour, row["channel_id"], row["agent_id"]): row for row in rows}


def histogram(workspace, metric: str) -> dict:
    rows = SupportDurationHourly.objects.filter(workspace=workspace, metric=metric).exclude(conversations=0)
    return {(row.bucket.hour, row.agent_id, row.bin_start_seconds): row.conversations for row in rows}


def open_count(workspace, channel: str) -> int:
    row = SupportLive.objects.filter(workspace=workspace, channel_id=channel).first()
    return 0 if row is None else row.open


def assert_consistent() -> None:
    call_command("rollups", "verify")


FIRST_RESPONSE = [
    event("e1", "created", "10:00"),
    event("e2", "customer_replied", "10:02", customer="u1"),
    event("e3", "agent_replied", "10:07", agent="a1"),
    event("e4", "agent_replied", "10:30", agent="a2"),
]


@pytest.mark.django_db
def test_first_response_time_is_the_earliest_reply_after_creation(client_for, workspace):
    """Verifies first response = earliest agent reply − created_at, counted once, for the first responder."""
    post(client_for, *FIRST_RESPONSE)
    rows = support(workspace)
    # 10:07 - 10:00 = 420 s, in the 10:00 hour, for a1; a2's later reply is only a reply.
    assert (rows[10, "email", "a1"]["first_response_count"], rows[10, "email", "a1"]["first_response_seconds"]) == (
        1,
        Decimal(420),
    )
    assert rows[10, "email", "a2"]["first_response_count"] == 0
    assert (rows[10, "email", "a1"]["agent_replies"], rows[10, "email", "a2"]["agent_replies"]) == (1, 1)
    assert rows[10, "email", ""]["customer_replies"] == 1
    assert rows[10, "email", ""]["conversations_created"] == 1
    assert histogram(workspace, "first_response") == {(10, "a1", 300): 1}  # 420 s lies in [5m, 15m)
    assert_consistent()


@pytest.mark.django_db
def test_reply_before_created_counts_no_first_response_until_created_arrives(client_for, workspace):
    """Verifies a reply that arrives first gives no duration until created arrives, then the same numbers."""
    post(client_for, *FIRST_RESPONSE[1:])
    assert sum(row["first_response_count"] for row in support(workspace).values()) == 0
    assert SupportLive.objects.filter(workspace=workspace).exclude(open=0).count() == 0
    post(client_for, FIRST_RESPONSE[0])
    row = support(workspace)[10, "email", "a1"]
    assert (row["first_response_count"], row["first_response_seconds"]) == (1, Decimal(420))
    assert histogram(workspace, "first_response") == {(10, "a1", 300): 1}
    assert_consistent()


@pytest.mark.django_db
def test_resolution_time_after_a_reopen_moves_to_the_last_resolution(client_for, workspace):
    """Verifies resolution time = last resolution − created_at, in the last resolution's hour, for its agent."""
    post(
        client_for,
        event("e1", "created", "09:00"),
        event("e2", "resolved", "09:30", agent="a1"),
        event("e3", "reopened", "10:15"),
        event("e4", "resolved", "13:45", agent="a2"),
    )
    rows = support(workspace)
    # Resolutions count events: one at 09:xx by a1, one at 13:xx by a2; one reopen at 10:xx.
    assert (rows[9, "email", "a1"]["resolutions"], rows[13, "email", "a2"]["resolutions"]) == (1, 1)
    assert rows[10, "email", ""]["reopens"] == 1
    # 13:45 - 09:00 = 4h45m = 17100 s, counted once, at 13:00 for a2; nothing left at 09:00.
    assert (rows[13, "email", "a2"]["resolution_count"], rows[13, "email", "a2"]["resolution_seconds"]) == (
        1,
        Decimal(17100),
    )
    assert (rows[9, "email", "a1"]["resolution_count"], rows[9, "email", "a1"]["resolution_seconds"]) == (0, 0)
    assert histogram(workspace, "resolution") == {(13, "a2", 14400): 1}  # 4h45m lies in [4h, 8h)
    assert open_count(workspace, "email") == 0
    post(client_for, event("e5", "reopened", "14:00"))
    assert sum(row["resolution_count"] for row in support(workspace).values()) == 0
    assert histogram(workspace, "resolution") == {}
    assert open_count(workspace, "email") == 1
    assert_consistent()


@pytest.mark.django_db
def test_resolved_and_reopened_at_the_same_instant_is_open(client_for, workspace):
    """Verifies status is resolved only when the last resolution is strictly later than the last reopen."""
    post(
        client_for,
        event("e1", "created", "09:00"),
        event("e2", "reopened", "09:30"),
        event("e3", "resolved", "09:30", agent="a1"),
    )
    assert Conversation.objects.get(workspace=workspace).status == "open"
    assert SupportLive.objects.get(workspace=workspace, channel_id="email").open == 1
    assert_consistent()


@pytest.mark.django_db
def test_live_counters_open_unassigned_unanswered(client_for, workspace):
    """Verifies open, unassigned and unanswered over four conversations in different states."""
    post(
        client_for,
        event("a1", "created", "09:00", conversation="A", channel="chat"),
        event("b1", "created", "09:00", conversation="B", channel="chat"),
        event("b2", "assigned", "09:05", conversation="B", channel="chat", agent="x"),
        event("c1", "created", "09:00", conversation="C", channel="chat"),
        event("c2", "assigned", "09:05", conversation="C", channel="chat", agent="x"),
        event("c3", "agent_replied", "09:06", conversation="C", channel="chat", agent="x"),
        event("d1", "created", "09:00", conversation="D", channel="chat"),
        event("d2", "resolved", "09:10", conversation="D", channel="chat"),
    )
    live = SupportLive.objects.get(workspace=workspace, channel_id="chat")
    # open: A, B, C (D is resolved); unassigned: A; unanswered: A, B.
    assert (live.open, live.unassigned, live.unanswered) == (3, 1, 2)
    assert_consistent()


@pytest.mark.parametrize("order", [("a-1", "a-2"), ("a-2", "a-1")])
@pytest.mark.django_db
def test_assignee_is_the_latest_assignment_with_ties_broken_by_event_id(client_for, workspace, order):
    """Verifies two assignments at the same instant resolve to the greater event id, in either arrival order."""
    agents = {"a-1": "x", "a-2": "y"}
    for event_id in order:
        post(client_for, event(event_id, "assigned", "09:00", agent=agents[event_id]))
    assert Conversation.objects.get(workspace=workspace).assignee_id == "y"
    assert_consistent()


@pytest.mark.django_db
def test_channel_comes_from_the_created_event(client_for, workspace):
    """Verifies a conversation takes the created event's channel even when another event arrived first."""
    post(client_for, event("r", "customer_replied", "10:05", channel="email"))
    assert Conversation.objects.get(workspace=workspace).channel_id == "email"
    post(client_for, event("c", "created", "10:00", channel="chat"))
    assert Conversation.objects.get(workspace=workspace).channel_id == "chat"
    assert support(workspace)[10, "chat", ""]["conversations_created"] == 1
    assert support(workspace)[10, "email", ""]["customer_replies"] == 1
    assert_consistent()


@pytest.mark.django_db
def test_interactions_count_events_naming_a_customer_and_a_channel(client_for, workspace):
    """Verifies each event with both a customer and a channel is one interaction in its hour."""
    post(
        client_for,
        event("e1", "created", "09:10", customer="u1"),
        event("e2", "customer_replied", "09:50", customer="u1"),
        event("e3", "customer_replied", "11:00", customer="u1", channel="chat"),
        {"id": "p1", "name": "page.view", "occurred_at": "2026-06-01T09:20:00Z", "customer": "u1", "channel": "web"},
        {"id": "p2", "name": "page.view", "occurred_at": "2026-06-01T09:30:00Z", "customer": "u1"},
    )
    rows = CustomerInteractionHourly.objects.filter(workspace=workspace, customer_id="u1")
    assert {(row.bucket.hour, row.channel_id): row.interactions for row in rows} == {
        (9, "email"): 2,
        (11, "chat"): 1,
        (9, "web"): 1,
    }
    assert_consistent()


@pytest.mark.django_db
def test_product_event_values_are_counted_summed_and_bounded(client_for, workspace):
    """Verifies count, sum, min and max of value per hour and name, events without value counted apart."""
    post(
        client_for,
        *[
            {"id": f"v{number}", "name": "checkout", "occurred_at": "2026-06-01T12:15:00Z", **value}
            for number, value in enumerate([{"value": 10}, {"value": 2.5}, {"value": -1}, {}])
        ],
    )
    row = EventHourly.objects.get(workspace=workspace, name="checkout")
    # 10 + 2.5 - 1 = 11.5 over 3 values, 4 events.
    assert (row.bucket, row.events, row.value_count) == (hour(12), 4, 3)
    assert (row.value_sum, row.value_min, row.value_max) == (Decimal("11.5"), Decimal(-1), Decimal(10))
    assert_consistent()


@pytest.mark.django_db
def test_dimension_name_comes_from_the_latest_event_that_carried_it(client_for, workspace):
    """Verifies an older event arriving later, or a bare id, does not overwrite an agent's name."""
    post(client_for, event("e1", "agent_replied", "10:00", agent={"id": "a1", "name": "Ann"}))
    post(client_for, event("e2", "agent_replied", "09:00", agent={"id": "a1", "name": "Ann B."}))
    post(client_for, event("e3", "agent_replied", "11:00", agent="a1"))
    agent = Agent.objects.get(workspace=workspace, agent_id="a1")
    assert (agent.name, agent.first_seen_at, agent.last_seen_at) == ("Ann", hour(9), hour(11))
    assert_consistent()


@pytest.mark.django_db
def test_retried_events_change_no_summary(client_for, workspace):
    """Verifies posting the same events again leaves every summary exactly as it was."""
    post(client_for, *FIRST_RESPONSE)
    before = list(SupportHourly.objects.filter(workspace=workspace).order_by("bucket", "agent_id").values())
    post(client_for, *FIRST_RESPONSE)
    after = list(SupportHourly.objects.filter(workspace=workspace).order_by("bucket", "agent_id").values())
    assert before == after
    assert_consistent()
