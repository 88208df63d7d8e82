"""GET /api/v1/summaries/overview against the hand-computed week of tests/api/conftest.py."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.api.conftest import conversation, ingest
from tests.api.test_dimensions import NO_SLA

URL = "/api/v1/summaries/overview"
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


@pytest.mark.django_db
def test_overview_figures_match_the_hand_computed_week(support_week, reader):
    """Verifies every figure of the week, its previous period and the live counters."""
    response = reader.get(URL, WEEK)
    assert response.status_code == 200
    assert list(response.json())[:3] == ["from", "to", "tz"]
    assert response.json() == {
        "from": "2026-03-02T00:00:00+00:00",
        "to": "2026-03-09T00:00:00+00:00",
        "tz": "UTC",
        "business_hours": False,
        "conversations_created": 4,
        "conversations_assigned": 2,
        "agent_replies": 2,
        "customer_replies": 1,
        "resolutions": 3,
        "reopens": 1,
        # 60 s and 600 s: bins [60, 300) and [300, 900); p50 = 60 + 240 x 1/1, p90 = 300 + 600 x 0.8/1.
        "first_response": duration(2, 330.0, 300.0, 780.0),
        # 3600 s and 7200 s (c4 was reopened): p50 = 3600 + 3600 x 1/1, p90 = 7200 + 7200 x 0.8/1.
        "resolution": duration(2, 5400.0, 7200.0, 12960.0),
        "reply_time": NO_REPLY_TIME,
        "csat": no_csat(2),
        "sla": NO_SLA,
        "open_now": 2,
        "unassigned_now": 1,
        "unanswered_now": 2,
        "breaching_within_hour_now": 0,
        "overdue_now": 0,
        "previous": {
            "from": "2026-02-23T00:00:00+00:00",
            "to": "2026-03-02T00:00:00+00:00",
            "conversations_created": 1,
            "conversations_assigned": 0,
            "agent_replies": 1,
            "customer_replies": 0,
            "resolutions": 1,
            "reopens": 0,
            "first_response": duration(1, 120.0, 180.0, 276.0),
            "resolution": duration(1, 3600.0, 5400.0, 6840.0),
            "reply_time": NO_REPLY_TIME,
            "csat": no_csat(1),
            "sla": NO_SLA,
        },
    }


@pytest.mark.django_db
def test_overview_filtered_by_channel_narrows_figures_and_live_counters(support_week, reader):
    """Verifies channel=email keeps c1 and c3 only, live counters included."""
    body = reader.get(URL, {**WEEK, "channel": "email"}).json()
    figures = {key: body[key] for key in ("conversations_created", "conversations_assigned", "resolutions", "reopens")}
    assert figures == {"conversations_created": 2, "conversations_assigned": 1, "resolutions": 1, "reopens": 0}
    assert body["first_response"] == duration(1, 600.0, 600.0, 840.0)
    assert body["resolution"] == duration(1, 3600.0, 5400.0, 6840.0)
    assert (body["open_now"], body["unassigned_now"], body["unanswered_now"]) == (1, 1, 1)
    assert body["previous"]["conversations_created"] == 1


@pytest.mark.django_db
def test_overview_filtered_by_agent_leaves_live_counters_whole(support_week, reader):
    """Verifies agent=a2 counts a2's events and durations, and live counters ignore the agent."""
    body = reader.get(URL, {**WEEK, "agent": "a2"}).json()
    assert body["conversations_created"] == 0  # creation has no agent
    assert (body["conversations_assigned"], body["agent_replies"], body["resolutions"]) == (1, 1, 2)
    assert body["first_response"] == duration(1, 60.0, 180.0, 276.0)
    assert body["resolution"] == duration(1, 7200.0, 10800.0, 13680.0)
    assert (body["open_now"], body["unassigned_now"], body["unanswered_now"]) == (2, 1, 2)


@pytest.mark.django_db
def test_empty_range_has_zero_counts_and_null_durations(support_week, reader):
    """Verifies a range without events gives zeros and null averages and percentiles."""
    body = reader.get(URL, {"from": "2025-01-01", "to": "2025-01-02"}).json()
    assert body["conversations_created"] == 0
    assert body["first_response"] == duration(0, None, None, None)
    assert body["previous"]["resolution"] == duration(0, None, None, None)


@pytest.mark.django_db
def test_open_ended_last_bin_ends_at_three_times_its_start(make_client, workspace):
    """Verifies a 4-day resolution (bin >3 days) interpolates up to 3 x 259200 s."""
    client = make_client(workspace)
    ingest(
        client,
        [
            conversation("created", "x1", "x", "2026-03-02T00:00:00Z", "email"),
            conversation("resolved", "x2", "x", "2026-03-06T00:00:00Z", "email"),
        ],
    )
    body = client.get(URL, WEEK).json()
    assert body["resolution"] == duration(1, 345600.0, 259200 + 518400 * 0.5, 259200 + 518400 * 0.9)


@pytest.mark.django_db
def test_default_range_is_the_last_seven_days_of_the_workspace_zone(make_client, workspace):
    """Verifies that without from/to the range is the 7 calendar days ending today, in the zone."""
    workspace.timezone = "Europe/Berlin"
    workspace.save()
    client = make_client(workspace)
    moment = timezone.now() - timedelta(minutes=5)
    ingest(client, [conversation("created", "now-1", "now", moment.isoformat(), "email")])
    body = client.get(URL).json()
    today = timezone.now().astimezone(ZoneInfo("Europe/Berlin")).date()
    assert body["tz"] == "Europe/Berlin"
    assert body["from"].startswith(f"{today - timedelta(days=6)}T00:00:00+")
    assert body["to"].startswith(f"{today + timedelta(days=1)}T00:00:00+")
    assert body["conversations_created"] == 1
