"""Per-team figures (support_team_hourly and GET /api/v1/summaries/teams) on a small desk posted
over HTTP in three arrival orders, against numbers computed by hand; then after the erasure of the
event that moved a conversation to another team. Each test ends with `rollups verify`.

    c1 chat   created 09:00, assigned 09:05 to a1 of t1, first reply 09:15 (900 s), resolved
              10:30 (5400 s), rated 2 at 11:00                                     -> team t1
    c2 email  created 09:30, assigned 09:40 to a2 of t1, first reply 09:50 (1200 s), reassigned
              10:10 to a1 of t2, resolved 11:45 (8100 s), rated 5 at 12:00         -> team t2
    c3 chat   created 10:00, assigned 10:05 to a2 without a team, resolved 10:20, reopened 10:40
              (open: no resolution figure)                                         -> no team
    c4 chat   created 11:00, never assigned                                        -> no team

A conversation's figures all belong to the team of its latest assignment: c2's first reply, made
while it was t1's, counts for t2.
"""

import pytest

from analytics.models import SupportTeamHourly
from tests.analytics.test_metric_definitions import DAY, POSTING, conv, hour, post_as, verify
from tests.api.test_csat_and_reply_time_reads import csat, duration

EVENTS = [
    conv("t-c1-created", "created", "09:00"),
    conv("t-c1-assigned", "assigned", "09:05", agent="a1", properties={"team": "t1"}),
    conv("t-c1-reply", "agent_replied", "09:15", agent="a1"),
    conv("t-c1-resolved", "resolved", "10:30", agent="a1"),
    conv("t-c1-rated", "rated", "11:00", value=2),
    conv("t-c2-created", "created", "09:30", conversation="c2", channel="email"),
    conv(
        "t-c2-assigned",
        "assigned",
        "09:40",
        conversation="c2",
        channel="email",
        agent="a2",
        properties={"team": "t1"},
    ),
    conv("t-c2-reply", "agent_replied", "09:50", conversation="c2", channel="email", agent="a2"),
    conv(
        "t-c2-reassigned",
        "assigned",
        "10:10",
        conversation="c2",
        channel="email",
        agent="a1",
        properties={"team": "t2"},
    ),
    conv("t-c2-resolved", "resolved", "11:45", conversation="c2", channel="email", agent="a1"),
    conv("t-c2-rated", "rated", "12:00", conversation="c2", channel="email", value=5),
    conv("t-c3-created", "created", "10:00", conversation="c3"),
    conv("t-c3-assigned", "assigned", "10:05", conversation="c3", agent="a2"),
    conv("t-c3-resolved", "resolved", "10:20", conversation="c3", agent="a2"),
    conv("t-c3-reopened", "reopened", "10:40", conversation="c3"),
    conv("t-c4-created", "created", "11:00", conversation="c4"),
]

# No SLA policy on this desk: nothing is held to a target.
NO_SLA = dict.fromkeys(
    ("first_response_targeted", "first_response_breaches", "resolution_targeted", "resolution_breaches"), 0
)


def bins(**counts) -> dict:
    """{bin index: conversations}: b3 is the bin starting at 900 s, b5 at 3600 s, b6 at 7200 s."""
    return {int(name[1:]): n for name, n in counts.items()}


TEAMS = {
    (hour(9), "t1"): {"created": 1, "first_response": (1, 900, bins(b3=1))},
    (hour(9), "t2"): {"created": 1, "first_response": (1, 1200, bins(b3=1))},
    (hour(10), "t1"): {"resolution": (1, 5400, bins(b5=1))},
    (hour(10), ""): {"created": 1},
    (hour(11), "t2"): {"resolution": (1, 8100, bins(b6=1))},
    (hour(11), ""): {"created": 1},
}


def team_table(workspace) -> dict:
    """{(bucket, team): figures} with the write slots summed and zero figures left out."""
    sums: dict = {}
    for row in SupportTeamHourly.objects.filter(workspace=workspace):
        total = sums.setdefault((row.bucket, row.team_id), [0, 0, 0, [0] * 11, 0, 0, [0] * 11])
        total[0] += row.conversations_created
        total[1] += row.first_response_count
        total[2] += row.first_response_seconds
        total[3] = [a + b for a, b in zip(total[3], row.first_response_bins, strict=True)]
        total[4] += row.resolution_count
        total[5] += row.resolution_seconds
        total[6] = [a + b for a, b in zip(total[6], row.resolution_bins, strict=True)]
    table = {}
    for key, (created, fr_count, fr_seconds, fr_bins, res_count, res_seconds, res_bins) in sums.items():
        figures = {}
        if created:
            figures["created"] = created
        for name, count, seconds, histogram in (
            ("first_response", fr_count, fr_seconds, fr_bins),
            ("resolution", res_count, res_seconds, res_bins),
        ):
            if count or seconds or any(histogram):
                figures[name] = (count, seconds, {i: n for i, n in enumerate(histogram) if n})
        if figures:
            table[key] = figures
    return table


DAY_RANGE = {"from": DAY, "to": "2026-03-11"}


@pytest.mark.django_db
@pytest.mark.parametrize("mode", POSTING)
def test_team_figures_follow_each_conversations_latest_assignment(client_for, workspace, mode):
    """Verifies support_team_hourly: each conversation created, first answered and resolved (while
    resolved) in its hours, for the team of its latest assignment ('' for none), the durations as
    count, seconds and bin, whatever the arrival order."""
    post_as(client_for, EVENTS, mode)
    assert team_table(workspace) == TEAMS
    verify()


@pytest.mark.django_db
def test_teams_endpoint_answers_every_teams_figures_and_refuses_channel_and_agent(
    client_for, make_client, workspace, other_workspace
):
    """Verifies GET /api/v1/summaries/teams: t1 (one value per histogram: p50 = 900 + 900 x 0.5,
    p90 = 900 + 900 x 0.9; resolution 3600 + 3600 x 0.5 and x 0.9), t2 (resolution in the bin from
    7200 s), no team last (null id, nothing measured), CSAT by team with its response rate; the
    ordering, the CSV, a 400 naming channel or agent, and another workspace's token seeing none."""
    post_as(client_for, EVENTS, "batch")
    response = client_for.get("/api/v1/summaries/teams", DAY_RANGE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    assert body["results"] == [
        {
            "id": "t1",
            "conversations_created": 1,
            "first_response": duration(1, 900.0, 1350.0, 1710.0),
            "resolution": duration(1, 5400.0, 5400.0, 6840.0),
            "csat": csat({2: 1}, 0.0, 1.0),
            "sla": NO_SLA,
        },
        {
            "id": "t2",
            "conversations_created": 1,
            "first_response": duration(1, 1200.0, 1350.0, 1710.0),
            "resolution": duration(1, 8100.0, 10800.0, 13680.0),
            "csat": csat({5: 1}, 1.0, 1.0),
            "sla": NO_SLA,
        },
        {
            "id": None,
            "conversations_created": 2,
            "first_response": duration(0, None, None, None),
            "resolution": duration(0, None, None, None),
            "csat": csat({}, None, None),
            "sla": NO_SLA,
        },
    ]
    ordered = client_for.get("/api/v1/summaries/teams", {**DAY_RANGE, "ordering": "-resolution_avg_seconds"})
    assert [row["id"] for row in ordered.json()["results"]] == ["t2", "t1", None]
    by_share = client_for.get("/api/v1/summaries/teams", {**DAY_RANGE, "ordering": "-csat_satisfied_share"})
    assert [row["id"] for row in by_share.json()["results"]] == ["t2", "t1", None]
    csv_lines = client_for.get("/api/v1/summaries/teams", {**DAY_RANGE, "format": "csv"}).content.decode().splitlines()
    assert csv_lines[0].startswith("id,conversations_created,first_response_count,first_response_avg_seconds,")
    assert [line.split(",")[0] for line in csv_lines[1:]] == ["t1", "t2", ""]
    for name in ("channel", "agent"):
        refused = client_for.get("/api/v1/summaries/teams", {**DAY_RANGE, name: "chat"})
        assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == name
    other = make_client(other_workspace, scopes=("read",)).get("/api/v1/summaries/teams", DAY_RANGE)
    assert other.status_code == 200 and other.json()["results"] == []
    assert client_for.get("/api/v1/summaries/teams", {"from": "2026-03-11", "to": "2026-03-12"}).json()["count"] == 0


@pytest.mark.django_db
def test_erasing_the_reassignment_moves_the_conversation_back_to_its_first_team(make_client, workspace):
    """Verifies that erasing c2's reassignment (DELETE /api/v1/events/{id}) gives all of c2 back to
    t1, as if that event had never been sent, and that verify stays clean."""
    client = make_client(workspace, scopes=("ingest", "read", "erase"))
    post_as(client, EVENTS, "batch")
    assert client.delete("/api/v1/events/t-c2-reassigned").status_code == 204
    expected = dict(TEAMS)
    del expected[hour(9), "t2"], expected[hour(11), "t2"]
    expected[hour(9), "t1"] = {"created": 2, "first_response": (2, 2100, bins(b3=2))}
    expected[hour(11), "t1"] = {"resolution": (1, 8100, bins(b6=1))}
    assert team_table(workspace) == expected
    teams = client.get("/api/v1/summaries/teams", DAY_RANGE).json()["results"]
    assert [(row["id"], row["conversations_created"], row["csat"]["ratings"]) for row in teams] == [
        ("t1", 2, 2),
        (None, 2, 0),
    ]
    verify()
