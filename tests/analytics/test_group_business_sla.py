"""Business time and SLA outcomes per team and per label (the business_* and SLA columns of
support_team_hourly and support_label_hourly, business_hours=true and `sla` on the teams and
labels lists), on the desk of tests/analytics/test_business_hours.py posted in three arrival
orders, against numbers computed by hand. Each test ends with `rollups verify`.

The business hours are those of that desk (Monday to Friday 09:00-19:00 Europe/Berlin, Tuesday
03-10 a holiday). The SLA policy: first response within 3,600 s of business time, resolution
within 28,800 s of calendar time.

    c1  first response 600 business s (no breach), resolved after 3,900 business s and 227,100
        calendar s (breach); team t-north; labels {billing} (vip labeled, then unlabeled)
    c2  first response 1,800 business s (no breach), open; team t-south; labels {bug}
    c3  first response 22,200 business s (breach), resolved after 25,200 business s and 162,000
        calendar s (breach); assigned to t-north, then to t-south (the latest decides); labels
        {billing, bug}

The assignments and labels come last in the list: posted one by one in order they move
conversations whose figures are already counted (a change of team or labels alone), in reverse
they arrive first.
"""

import importlib

import pytest
from django.db import connection

from analytics import rollups
from tests.analytics.test_business_hours import EVENTS as BUSINESS_EVENTS
from tests.analytics.test_business_hours import RANGE, SCHEDULE, event
from tests.analytics.test_metric_definitions import POSTING, post_as, verify
from tests.api.test_csat_and_reply_time_reads import duration
from tests.factories import add_business_schedules, add_sla_policies


def assigned(event_id: str, moment: str, conversation: str, agent: str, team: str) -> dict:
    return event(event_id, "assigned", moment, conversation=conversation, agent=agent, properties={"team": team})


def label(event_id: str, kind: str, moment: str, conversation: str, name: str) -> dict:
    channel = "email" if conversation == "c2" else "chat"
    return event(event_id, kind, moment, conversation=conversation, channel=channel, properties={"label": name})


EVENTS = BUSINESS_EVENTS + [
    assigned("g-c1-assigned", "06T17:56", "c1", "a1", "t-north"),
    {**assigned("g-c2-assigned", "07T10:01", "c2", "a2", "t-south"), "channel": "email"},
    assigned("g-c3-assigned", "09T12:01", "c3", "a1", "t-north"),
    assigned("g-c3-reassigned", "10T12:00", "c3", "a2", "t-south"),
    label("g-c1-billing", "labeled", "06T17:57", "c1", "billing"),
    label("g-c1-vip", "labeled", "06T17:58", "c1", "vip"),
    label("g-c1-vip-off", "unlabeled", "09T10:00", "c1", "vip"),
    label("g-c2-bug", "labeled", "07T10:02", "c2", "bug"),
    label("g-c3-billing", "labeled", "09T12:02", "c3", "billing"),
    label("g-c3-bug", "labeled", "09T12:03", "c3", "bug"),
]
POLICY = [("2000-01-01T00:00:00Z", (3600, True), (28800, False))]

FIGURES = (
    "business_first_response_count",
    "business_first_response_seconds",
    "business_resolution_count",
    "business_resolution_seconds",
    "first_response_targeted",
    "first_response_breaches",
    "resolution_targeted",
    "resolution_breaches",
)
# Per group: (business first responses, their seconds, business resolutions, their seconds, first
# responses targeted, breached, resolutions targeted, breached), then the business bins that are
# not empty ({index: conversations}; 2 is the bin from 300 s, 4 from 1,800 s, 5 from 3,600 s, 7
# from 14,400 s).
TEAMS = {
    "t-north": ((1, 600, 1, 3900, 1, 0, 1, 1), {2: 1}, {5: 1}),
    "t-south": ((2, 24000, 1, 25200, 2, 1, 1, 1), {4: 1, 7: 1}, {7: 1}),
}
LABELS = {
    "billing": ((2, 22800, 2, 29100, 2, 1, 2, 2), {2: 1, 7: 1}, {5: 1, 7: 1}),
    "bug": ((2, 24000, 1, 25200, 2, 1, 1, 1), {4: 1, 7: 1}, {7: 1}),
}


def group_table(table: str, key: str) -> dict:
    """{group: (figures, first response bins, resolution bins)}: every hour and write slot of the
    group summed, groups whose figures are all 0 left out."""
    sums = ", ".join(f"sum({name})" for name in FIGURES)
    bins = ", ".join(
        f"ARRAY[{', '.join(f'sum({name}[{i}])' for i in range(1, 12))}]"
        for name in ("business_first_response_bins", "business_resolution_bins")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, {sums}, {bins} FROM {table} GROUP BY 1 ORDER BY 1")
        rows = cursor.fetchall()
    found = {}
    for group, *values in rows:
        figures, first_response_bins, resolution_bins = tuple(values[:-2]), values[-2], values[-1]
        if any(figures) or any(first_response_bins) or any(resolution_bins):
            found[group] = (
                figures,
                {i: n for i, n in enumerate(first_response_bins) if n},
                {i: n for i, n in enumerate(resolution_bins) if n},
            )
    return found


@pytest.fixture
def desk(workspace):
    add_business_schedules(workspace, SCHEDULE)
    add_sla_policies(workspace, POLICY)
    return workspace


@pytest.mark.django_db
@pytest.mark.parametrize("mode", POSTING)
def test_teams_and_labels_keep_business_time_and_sla_outcomes_whatever_the_arrival_order(client_for, desk, mode):
    """Verifies the business-time durations and SLA outcomes of support_team_hourly and
    support_label_hourly: each conversation under the team of its latest assignment and under every
    label it has now, including when an assignment or a label arrives after the figures it moves."""
    post_as(client_for, EVENTS, mode)
    assert group_table("support_team_hourly", "team_id") == TEAMS
    assert group_table("support_label_hourly", "label") == LABELS
    verify()


@pytest.mark.django_db
def test_the_teams_and_labels_lists_switch_to_business_time_and_carry_the_sla_outcomes(client_for, desk):
    """Verifies GET /api/v1/summaries/teams and /labels: business_hours=true gives the business
    durations (t-south: 1,800 and 22,200 s, average 12,000, p50 in the bin from 1,800 s = 1,800 +
    1,800 x 1, p90 14,400 + 14,400 x 0.8), calendar time without it, `sla` either way, and the
    lists can be ordered by an SLA figure."""
    post_as(client_for, EVENTS, "batch")
    teams = client_for.get("/api/v1/summaries/teams", {**RANGE, "business_hours": "true"}).json()["results"]
    assert [row["id"] for row in teams] == ["t-north", "t-south"]
    north, south = teams
    assert north["first_response"] == duration(1, 600.0, 600.0, 840.0)
    assert north["resolution"] == duration(1, 3900.0, 5400.0, 6840.0)
    assert south["first_response"] == duration(2, 12000.0, 3600.0, 25920.0)
    assert south["resolution"] == duration(1, 25200.0, 21600.0, 27360.0)
    sla = {row["id"]: row["sla"] for row in teams}
    assert sla == {
        "t-north": {
            "first_response_targeted": 1,
            "first_response_breaches": 0,
            "resolution_targeted": 1,
            "resolution_breaches": 1,
        },
        "t-south": {
            "first_response_targeted": 2,
            "first_response_breaches": 1,
            "resolution_targeted": 1,
            "resolution_breaches": 1,
        },
    }
    calendar = client_for.get("/api/v1/summaries/teams", RANGE).json()["results"]
    assert calendar[0]["first_response"]["avg_seconds"] == 223800.0
    assert {row["id"]: row["sla"] for row in calendar} == sla
    assert [row["conversations_created"] for row in calendar] == [row["conversations_created"] for row in teams]

    labels = client_for.get(
        "/api/v1/summaries/labels", {**RANGE, "business_hours": "true", "ordering": "-sla_resolution_breaches"}
    ).json()["results"]
    assert [row["id"] for row in labels] == ["billing", "bug"]
    billing, bug = labels
    assert billing["first_response"] == duration(2, 11400.0, 900.0, 25920.0)
    assert billing["resolution"] == duration(2, 14550.0, 7200.0, 25920.0)
    assert bug["first_response"] == south["first_response"]
    assert billing["sla"]["resolution_breaches"] == 2 and bug["sla"]["resolution_breaches"] == 1
    assert client_for.get("/api/v1/summaries/labels", {**RANGE, "business_hours": "maybe"}).status_code == 400
    verify()


@pytest.mark.django_db
def test_the_backfill_migration_fills_the_new_columns_from_the_stored_conversations(client_for, desk):
    """Verifies the SQL of migration 0050 (for databases upgraded with conversations already
    stored): with the new columns zeroed, verify finds the difference, and the backfill, which reads
    the conversation rows rather than the raw events, gives back what the trigger kept."""
    backfill = importlib.import_module("analytics.migrations.0050_team_label_business_sla")
    post_as(client_for, EVENTS, "batch")
    zeroed = ", ".join(
        f"{name} = array_fill(0::bigint, ARRAY[11])" if name.endswith("_bins") else f"{name} = 0"
        for name in (*FIGURES, "business_first_response_bins", "business_resolution_bins")
    )
    with connection.cursor() as cursor:
        for table in ("support_team_hourly", "support_label_hourly"):
            cursor.execute(f"UPDATE {table} SET {zeroed}")
    assert {d.table for d in rollups.differences()} == {"support_team_hourly", "support_label_hourly"}
    with connection.cursor() as cursor:
        cursor.execute(backfill.BACKFILL)
    assert group_table("support_team_hourly", "team_id") == TEAMS
    assert group_table("support_label_hourly", "label") == LABELS
    verify()
