"""GET /api/v1/summaries/agents and /channels: every agent/channel, figures, ordering, pages."""

import pytest

WEEK = {"from": "2026-03-02", "to": "2026-03-09"}


def duration(count, avg, p50, p90) -> dict:
    return {"count": count, "avg_seconds": avg, "p50_seconds": p50, "p90_seconds": p90}


# The week has no rating, and its one customer message (c1, 08:20) no reply after it.
NO_REPLY_TIME = duration(0, None, None, None)


def no_csat(resolved: int) -> dict:
    """No rating: a response rate of 0 of the conversations resolved, null when none was."""
    return {
        "ratings": 0,
        **{f"score_{score}": 0 for score in range(1, 6)},
        "satisfied_share": None,
        "response_rate": 0.0 if resolved else None,
    }


# The week's workspace has no SLA targets: nothing is held to one, nothing pending.
NO_SLA = {
    "first_response_targeted": 0,
    "first_response_breaches": 0,
    "resolution_targeted": 0,
    "resolution_breaches": 0,
}

ANN = {
    "id": "a1",
    "name": "Ann",
    "conversations_created": 0,
    "conversations_assigned": 1,
    "agent_replies": 1,
    "customer_replies": 0,
    "resolutions": 1,
    "reopens": 0,
    "first_response": duration(1, 600.0, 600.0, 840.0),
    "resolution": duration(1, 3600.0, 5400.0, 6840.0),
    "reply_time": NO_REPLY_TIME,
    "csat": no_csat(1),
    "sla": NO_SLA,
}
BOB = {
    "id": "a2",
    "name": "Bob",
    "conversations_created": 0,
    "conversations_assigned": 1,
    "agent_replies": 1,
    "customer_replies": 0,
    "resolutions": 2,
    "reopens": 0,
    "first_response": duration(1, 60.0, 180.0, 276.0),
    "resolution": duration(1, 7200.0, 10800.0, 13680.0),
    "reply_time": NO_REPLY_TIME,
    "csat": no_csat(1),
    "sla": NO_SLA,
}
CHAT = {
    "id": "chat",
    "name": "Chat",
    "conversations_created": 2,
    "conversations_assigned": 1,
    "agent_replies": 1,
    "customer_replies": 0,
    "resolutions": 2,
    "reopens": 1,
    "first_response": duration(1, 60.0, 180.0, 276.0),
    "resolution": duration(1, 7200.0, 10800.0, 13680.0),
    "reply_time": NO_REPLY_TIME,
    "csat": no_csat(1),
    "sla": NO_SLA,
    "open_now": 1,
    "unassigned_now": 0,
    "unanswered_now": 1,
    "breaching_within_hour_now": 0,
    "overdue_now": 0,
}
EMAIL = {
    "id": "email",
    "name": "Email",
    "conversations_created": 2,
    "conversations_assigned": 1,
    "agent_replies": 1,
    "customer_replies": 1,
    "resolutions": 1,
    "reopens": 0,
    "first_response": duration(1, 600.0, 600.0, 840.0),
    "resolution": duration(1, 3600.0, 5400.0, 6840.0),
    "reply_time": NO_REPLY_TIME,
    "csat": no_csat(1),
    "sla": NO_SLA,
    "open_now": 1,
    "unassigned_now": 1,
    "unanswered_now": 1,
    "breaching_within_hour_now": 0,
    "overdue_now": 0,
}


@pytest.mark.django_db
def test_agents_carry_the_overview_figures_of_their_own_events(support_week, reader):
    """Verifies each agent's counts and durations for the week, ordered by id by default."""
    body = reader.get("/api/v1/summaries/agents", WEEK).json()
    assert body == {"count": 2, "next": None, "previous": None, "results": [ANN, BOB]}


@pytest.mark.django_db
def test_channels_carry_figures_and_live_counters(support_week, reader):
    """Verifies each channel's figures and live counters; globex's sms channel is absent."""
    body = reader.get("/api/v1/summaries/channels", WEEK).json()
    assert body["results"] == [CHAT, EMAIL]


@pytest.mark.django_db
def test_ordering_by_any_figure_descending(support_week, reader):
    """Verifies ordering=-resolutions and ordering by a percentile."""
    by_resolutions = reader.get("/api/v1/summaries/agents", {**WEEK, "ordering": "-resolutions"}).json()
    assert [row["id"] for row in by_resolutions["results"]] == ["a2", "a1"]
    by_p90 = reader.get("/api/v1/summaries/channels", {**WEEK, "ordering": "first_response_p90_seconds"}).json()
    assert [row["id"] for row in by_p90["results"]] == ["chat", "email"]
    by_open = reader.get("/api/v1/summaries/channels", {**WEEK, "ordering": "-customer_replies"}).json()
    assert [row["id"] for row in by_open["results"]] == ["email", "chat"]


@pytest.mark.django_db
def test_pages_follow_the_ordering(support_week, reader):
    """Verifies page_size and page give the rows of the ordering, with a total count."""
    first = reader.get("/api/v1/summaries/agents", {**WEEK, "ordering": "-resolutions", "page_size": 1}).json()
    assert (first["count"], [row["id"] for row in first["results"]]) == (2, ["a2"])
    assert "page=2" in first["next"]
    second = reader.get("/api/v1/summaries/agents", {**WEEK, "ordering": "-resolutions", "page_size": 1, "page": 2})
    assert [row["id"] for row in second.json()["results"]] == ["a1"]


@pytest.mark.django_db
def test_idle_agents_are_listed_with_zeros(support_week, reader):
    """Verifies an agent without events in the range still appears, with zero counts and null durations."""
    body = reader.get("/api/v1/summaries/agents", {"from": "2026-02-23", "to": "2026-03-02"}).json()
    bob = body["results"][1]
    assert (bob["id"], bob["agent_replies"], bob["first_response"]) == ("a2", 0, duration(0, None, None, None))
    assert body["results"][0]["first_response"] == duration(1, 120.0, 180.0, 276.0)


@pytest.mark.django_db
def test_dimension_filters_narrow_the_rows_and_the_figures(support_week, reader):
    """Verifies agent= keeps one agent row and channel= narrows the agents' figures."""
    only_bob = reader.get("/api/v1/summaries/agents", {**WEEK, "agent": "a2"}).json()
    assert only_bob["results"] == [BOB]
    on_email = reader.get("/api/v1/summaries/agents", {**WEEK, "channel": "email"}).json()["results"]
    assert [(row["id"], row["resolutions"]) for row in on_email] == [("a1", 1), ("a2", 0)]
