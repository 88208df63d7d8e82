"""Reply time and CSAT in the overview, the agent and channel lists and the time series, over HTTP
with real tokens, on the hand-computed week of tests/api/conftest.py plus:

    c1 email  customer message 08:20, a1 replies 08:50: a wait of 1800 s (bin [1800, 3600));
              rated 1 at 09:05, then 5 at 09:10 (the 5 counts, for the assignee a1)
    c2 chat   customer message 10:30, a2 replies 10:31: 60 s (bin [60, 300));
              rated 2 at 12:30 (never assigned: no agent)
"""

import pytest

from tests.api.conftest import conversation, ingest

WEEK = {"from": "2026-03-02", "to": "2026-03-09"}
QUALITY_EVENTS = [
    conversation("agent_replied", "q-c1-reply", "c1", "2026-03-02T08:50:00Z", "email", agent="a1"),
    conversation("rated", "q-c1-rated-1", "c1", "2026-03-02T09:05:00Z", "email", value=1),
    conversation("rated", "q-c1-rated-5", "c1", "2026-03-02T09:10:00Z", "email", value=5),
    conversation("customer_replied", "q-c2-customer", "c2", "2026-03-02T10:30:00Z", "chat"),
    conversation("agent_replied", "q-c2-reply", "c2", "2026-03-02T10:31:00Z", "chat", agent="a2"),
    conversation("rated", "q-c2-rated", "c2", "2026-03-02T12:30:00Z", "chat", value=2, properties={"comment": "meh"}),
]


def duration(count, avg, p50, p90) -> dict:
    return {"count": count, "avg_seconds": avg, "p50_seconds": p50, "p90_seconds": p90}


def csat(scores: dict, satisfied_share, response_rate) -> dict:
    return {
        "ratings": sum(scores.values()),
        **{f"score_{score}": scores.get(score, 0) for score in range(1, 6)},
        "satisfied_share": satisfied_share,
        "response_rate": response_rate,
    }


@pytest.fixture
def rated_week(support_week, make_client, workspace):
    ingest(make_client(workspace, scopes=("ingest",)), QUALITY_EVENTS)
    return workspace


@pytest.mark.django_db
def test_overview_reports_reply_time_and_csat_of_the_range_and_the_previous_one(rated_week, reader):
    """Verifies the overview's reply time (waits of 1800 s and 60 s: average 930, p50 = 60 + 240 x
    1/1 = 300, p90 = 1800 + 1800 x 0.8/1 = 3240) and CSAT (c1's latest rating 5 and c2's 2: half
    satisfied, 2 ratings for 2 resolutions), and empty ones for the previous week."""
    body = reader.get("/api/v1/summaries/overview", WEEK).json()
    assert body["reply_time"] == duration(2, 930.0, 300.0, 3240.0)
    assert body["csat"] == csat({2: 1, 5: 1}, 0.5, 1.0)
    assert body["previous"]["reply_time"] == duration(0, None, None, None)
    assert body["previous"]["csat"] == csat({}, None, 0.0)


@pytest.mark.django_db
def test_overview_filtered_by_channel_or_agent_narrows_reply_time_and_csat(rated_week, reader):
    """Verifies channel=email keeps c1's wait (one value of 1800 s: p50 = 1800 + 1800 x 0.5,
    p90 = 1800 + 1800 x 0.9) and rating, and agent=a2 keeps c2's wait but no rating (c2 has no
    assignee)."""
    email = reader.get("/api/v1/summaries/overview", {**WEEK, "channel": "email"}).json()
    assert email["reply_time"] == duration(1, 1800.0, 2700.0, 3420.0)
    assert email["csat"] == csat({5: 1}, 1.0, 1.0)
    bob = reader.get("/api/v1/summaries/overview", {**WEEK, "agent": "a2"}).json()
    assert bob["reply_time"] == duration(1, 60.0, 180.0, 276.0)
    assert bob["csat"] == csat({}, None, 0.0)
    both = reader.get("/api/v1/summaries/overview", {**WEEK, "agent": "a1", "channel": "email"}).json()
    assert (both["reply_time"], both["csat"]) == (email["reply_time"], email["csat"])


@pytest.mark.django_db
def test_agent_and_channel_lists_carry_reply_time_and_csat(rated_week, reader):
    """Verifies every agent and channel row carries its own reply time and CSAT (a rating counts
    for the conversation's assignee; a wait for the replying agent), and the CSV their columns."""
    agents = {row["id"]: row for row in reader.get("/api/v1/summaries/agents", WEEK).json()["results"]}
    assert agents["a1"]["reply_time"] == duration(1, 1800.0, 2700.0, 3420.0)
    assert agents["a1"]["csat"] == csat({5: 1}, 1.0, 1.0)
    assert agents["a2"]["reply_time"] == duration(1, 60.0, 180.0, 276.0)
    assert agents["a2"]["csat"] == csat({}, None, 0.0)
    channels = {row["id"]: row for row in reader.get("/api/v1/summaries/channels", WEEK).json()["results"]}
    assert channels["chat"]["reply_time"] == duration(1, 60.0, 180.0, 276.0)
    assert channels["chat"]["csat"] == csat({2: 1}, 0.0, 1.0)
    narrowed = reader.get("/api/v1/summaries/agents", {**WEEK, "channel": "chat"}).json()["results"]
    assert {row["id"]: row["reply_time"]["count"] for row in narrowed} == {"a1": 0, "a2": 1}
    csv = reader.get("/api/v1/summaries/channels", {**WEEK, "format": "csv"}).content.decode()
    header, *lines = csv.splitlines()
    assert "reply_time_avg_seconds" in header.split(",") and "csat_satisfied_share" in header.split(",")
    email = dict(
        zip(header.split(","), next(line for line in lines if line.startswith("email,")).split(","), strict=True)
    )
    assert (email["reply_time_count"], email["csat_score_5"], email["csat_satisfied_share"]) == ("1", "1", "1.0")


@pytest.mark.django_db
def test_timeseries_of_reply_time_and_csat(rated_week, reader):
    """Verifies the daily series of the average reply time and of the satisfied share (null on
    empty days) and of the counts (0 on empty days)."""

    def series(metric: str) -> list:
        response = reader.get(
            "/api/v1/summaries/timeseries", {"metric": metric, "from": "2026-03-01", "to": "2026-03-04"}
        )
        assert response.status_code == 200, response.content
        return [point["value"] for point in response.json()]

    assert series("avg_reply_seconds") == [None, 930.0, None]
    assert series("reply_count") == [0, 2, 0]
    assert series("csat_ratings") == [0, 2, 0]
    assert series("csat_satisfied_share") == [None, 0.5, None]


@pytest.mark.django_db
def test_agent_and_channel_lists_order_by_reply_time_and_csat(rated_week, reader):
    """Verifies the lists sort by a reply-time or CSAT figure (nulls last, ties by id) and that a
    name the lists do not have is a 400 naming ordering."""

    def ids(path: str, ordering: str) -> list[str]:
        response = reader.get(f"/api/v1/summaries/{path}", {**WEEK, "ordering": ordering})
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    agents = ids("agents", "-reply_time_avg_seconds")
    assert agents[:2] == ["a1", "a2"] and ids("agents", "reply_time_avg_seconds")[:2] == ["a2", "a1"]
    channels = ids("channels", "-csat_satisfied_share")
    assert channels[:2] == ["email", "chat"]
    assert ids("channels", "csat_satisfied_share")[:2] == ["chat", "email"]
    assert ids("channels", "-csat_score_2")[0] == "chat"
    response = reader.get("/api/v1/summaries/agents", {**WEEK, "ordering": "-csat_comment"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "ordering"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["agents", "channels"])
@pytest.mark.parametrize(
    "ordering", ["-resolutions", "name", "-reply_time_avg_seconds", "resolution_p90_seconds", "-reply_time_p50_seconds"]
)
def test_pages_of_one_row_give_the_whole_list(rated_week, reader, path, ordering):
    """Verifies every page of a list equals those rows of the whole list, percentiles included:
    a page ordered by anything but a percentile computes the percentiles of its own rows only
    (analytics.summaries.LISTED), so a row must not get another row's histogram or none."""
    whole = reader.get(f"/api/v1/summaries/{path}", {**WEEK, "ordering": ordering, "page_size": 100}).json()
    rows = whole["results"]
    assert len(rows) >= 2 and any(row["first_response"]["p50_seconds"] is not None for row in rows)
    paged = []
    for page in range(1, len(rows) + 1):
        response = reader.get(f"/api/v1/summaries/{path}", {**WEEK, "ordering": ordering, "page_size": 1, "page": page})
        assert response.status_code == 200, response.content
        paged += response.json()["results"]
    assert paged == rows
