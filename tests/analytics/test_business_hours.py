"""Business hours: first response and resolution in business time (support_business_hourly and
business_hours=true on the reads) on a small desk posted over HTTP in three arrival orders,
against numbers computed by hand; the schedule versions' API; erasure. Each test ends with
`rollups verify`.

The workspace's hours: Monday to Friday 09:00-19:00 Europe/Berlin (UTC+1 in March 2026), Tuesday
2026-03-10 a holiday. Times below are UTC (local = UTC + 1).

    c1 chat   created Fri 03-06 17:55 (18:55 local), first reply Mon 03-09 08:05 by a1 (09:05
              local): 5 min on Friday + 5 min on Monday = 600 s (calendar 223,800 s); resolved Mon
              09:00 by a1 (10:00 local): 300 + 3,600 = 3,900 s
    c2 email  created Sat 03-07 10:00 (closed), first reply Mon 03-09 08:30 by a2: 09:00-09:30 local
              = 1,800 s
    c3 chat   created Mon 03-09 12:00 (13:00 local), first reply Wed 03-11 08:10 by a1: Monday
              13:00-19:00 (21,600) + the holiday (0) + Wednesday 09:00-09:10 (600) = 22,200 s;
              resolved Wed 09:00 by a2 (10:00 local): 21,600 + 3,600 = 25,200 s
"""

from datetime import UTC, datetime

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.models import SupportBusinessHourly
from tests.analytics.test_metric_definitions import POSTING, post_as, verify
from tests.api.test_csat_and_reply_time_reads import duration
from tests.factories import add_business_schedules, examples

WEEKDAYS_9_TO_19 = [(weekday, "09:00", "19:00") for weekday in range(1, 6)]
SCHEDULE = [("2000-01-01T00:00:00Z", "Europe/Berlin", WEEKDAYS_9_TO_19, ["2026-03-10"])]


def event(event_id: str, kind: str, moment: str, *, conversation: str, channel: str = "chat", **extra) -> dict:
    return {
        "id": event_id,
        "name": f"conversation.{kind}",
        "occurred_at": f"2026-03-{moment}:00Z",
        "conversation_id": conversation,
        "channel": channel,
        **extra,
    }


EVENTS = [
    event("bh-c1-created", "created", "06T17:55", conversation="c1"),
    event("bh-c1-reply", "agent_replied", "09T08:05", conversation="c1", agent="a1"),
    event("bh-c1-resolved", "resolved", "09T09:00", conversation="c1", agent="a1"),
    event("bh-c2-created", "created", "07T10:00", conversation="c2", channel="email"),
    event("bh-c2-reply", "agent_replied", "09T08:30", conversation="c2", channel="email", agent="a2"),
    event("bh-c3-created", "created", "09T12:00", conversation="c3"),
    event("bh-c3-customer", "customer_replied", "10T12:00", conversation="c3"),
    event("bh-c3-reply", "agent_replied", "11T08:10", conversation="c3", agent="a1"),
    event("bh-c3-resolved", "resolved", "11T09:00", conversation="c3", agent="a2"),
]


def hour(day: int, h: int) -> datetime:
    return datetime(2026, 3, day, h, tzinfo=UTC)


def bins(*indexes: int) -> dict:
    """{bin index: 1} for each index: 2 is the bin from 300 s, 4 from 1,800 s, 5 from 3,600 s, 7 from 14,400 s."""
    return dict.fromkeys(indexes, 1)


BUSINESS = {
    (hour(9, 8), "chat", "a1"): {"first_response": (1, 600, bins(2))},
    (hour(9, 9), "chat", "a1"): {"resolution": (1, 3900, bins(5))},
    (hour(9, 8), "email", "a2"): {"first_response": (1, 1800, bins(4))},
    (hour(11, 8), "chat", "a1"): {"first_response": (1, 22200, bins(7))},
    (hour(11, 9), "chat", "a2"): {"resolution": (1, 25200, bins(7))},
}
RANGE = {"from": "2026-03-06", "to": "2026-03-12", "tz": "UTC"}


def business_table(workspace) -> dict:
    """{(bucket, channel, agent): figures} with the write slots summed and zero figures left out."""
    sums: dict = {}
    for row in SupportBusinessHourly.objects.filter(workspace=workspace):
        total = sums.setdefault((row.bucket, row.channel_id, row.agent_id), [0, 0, [0] * 11, 0, 0, [0] * 11])
        total[0] += row.first_response_count
        total[1] += row.first_response_seconds
        total[2] = [a + b for a, b in zip(total[2], row.first_response_bins, strict=True)]
        total[3] += row.resolution_count
        total[4] += row.resolution_seconds
        total[5] = [a + b for a, b in zip(total[5], row.resolution_bins, strict=True)]
    table = {}
    for key, (fr_count, fr_seconds, fr_bins, res_count, res_seconds, res_bins) in sums.items():
        figures = {}
        for name, count, seconds, histogram in (
            ("first_response", fr_count, fr_seconds, fr_bins),
            ("resolution", res_count, res_seconds, res_bins),
        ):
            if count or seconds or any(histogram):
                figures[name] = (count, seconds, {i: n for i, n in enumerate(histogram) if n})
        if figures:
            table[key] = figures
    return table


@pytest.fixture
def scheduled(workspace):
    add_business_schedules(workspace, SCHEDULE)
    return workspace


@pytest.mark.django_db
@pytest.mark.parametrize("mode", POSTING)
def test_business_time_counts_only_the_open_hours_whatever_the_arrival_order(client_for, scheduled, mode):
    """Verifies support_business_hourly: each first response and resolution in its hour, channel and
    agent, measured in the open hours (the weekend and the holiday count nothing, Friday 18:55 to
    Monday 09:05 is 600 s), whatever the arrival order."""
    post_as(client_for, EVENTS, mode)
    assert business_table(scheduled) == BUSINESS
    verify()


@pytest.mark.django_db
def test_reads_switch_durations_to_business_time(client_for, scheduled):
    """Verifies business_hours=true on the overview (first response 600, 1,800, 22,200 s: average
    8,200, p50 in the bin from 1,800 s = 1,800 + 1,800 x 0.5, p90 14,400 + 14,400 x 0.7;
    resolution 3,900 and 25,200 s), the agent and channel lists and the series, while the counts
    and the calendar figures (without the parameter) stay as they are."""
    post_as(client_for, EVENTS, "batch")
    calendar = client_for.get("/api/v1/summaries/overview", RANGE).json()
    business = client_for.get("/api/v1/summaries/overview", {**RANGE, "business_hours": "true"}).json()
    assert calendar["business_hours"] is False and business["business_hours"] is True
    assert business["first_response"] == duration(3, 8200.0, 2700.0, 24480.0)
    assert business["resolution"] == duration(2, 14550.0, 7200.0, 25920.0)
    assert calendar["first_response"]["avg_seconds"] == (223800 + 167400 + 159000) / 3
    for name in ("conversations_created", "agent_replies", "resolutions", "csat", "reply_time"):
        assert business[name] == calendar[name]
    assert business["previous"]["first_response"] == duration(0, None, None, None)

    agents = client_for.get("/api/v1/summaries/agents", {**RANGE, "business_hours": "true"}).json()["results"]
    assert [(row["id"], row["first_response"]["avg_seconds"], row["resolution"]["avg_seconds"]) for row in agents] == [
        ("a1", 11400.0, 3900.0),
        ("a2", 1800.0, 25200.0),
    ]
    channels = client_for.get(
        "/api/v1/summaries/channels", {**RANGE, "business_hours": "true", "ordering": "-first_response_avg_seconds"}
    ).json()["results"]
    assert [(row["id"], row["first_response"]["count"], row["first_response"]["avg_seconds"]) for row in channels] == [
        ("chat", 2, 11400.0),
        ("email", 1, 1800.0),
    ]
    narrowed = client_for.get(
        "/api/v1/summaries/overview", {**RANGE, "business_hours": "true", "channel": "chat", "agent": "a1"}
    ).json()
    assert narrowed["first_response"]["avg_seconds"] == 11400.0 and narrowed["resolution"]["count"] == 1
    series = client_for.get(
        "/api/v1/summaries/timeseries",
        {**RANGE, "business_hours": "true", "metric": "avg_first_response_seconds", "granularity": "day"},
    ).json()
    assert [point["value"] for point in series] == [None, None, None, 1200.0, None, 22200.0]
    refused = client_for.get("/api/v1/summaries/overview", {**RANGE, "business_hours": "yes"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "business_hours"
    verify()


@pytest.mark.django_db
def test_erasing_a_first_reply_moves_the_first_response_to_the_next_one(make_client, scheduled):
    """Verifies that erasing c3's first reply leaves c3 without a first response (its only reply),
    and erasing c1's resolution leaves c1 open: both business figures follow, and verify stays clean."""
    client = make_client(scheduled, scopes=("ingest", "read", "erase"))
    post_as(client, EVENTS, "batch")
    assert client.delete("/api/v1/events/bh-c3-reply").status_code == 204
    assert client.delete("/api/v1/events/bh-c1-resolved").status_code == 204
    expected = dict(BUSINESS)
    del expected[hour(11, 8), "chat", "a1"], expected[hour(9, 9), "chat", "a1"]
    assert business_table(scheduled) == expected
    verify()


@pytest.mark.django_db
def test_business_seconds_follow_the_zone_across_a_dst_change():
    """Verifies the function the trigger and the recomputation share: a Sunday open all day in
    Berlin is 23 hours on the day clocks go forward (2026-03-29), 25 on the day they go back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tally_business_seconds(%s, %s, 'Europe/Berlin', '{7}', '{0}', '{1440}', '{}')",
            ["2026-03-28T12:00Z", "2026-03-30T12:00Z"],
        )
        assert cursor.fetchone()[0] == 23 * 3600
        cursor.execute(
            "SELECT tally_business_seconds(%s, %s, 'Europe/Berlin', '{7}', '{0}', '{1440}', '{}')",
            ["2026-10-24T12:00Z", "2026-10-26T12:00Z"],
        )
        assert cursor.fetchone()[0] == 25 * 3600
        cursor.execute(
            "SELECT tally_business_seconds(%s, %s, NULL, NULL, NULL, NULL, NULL)",
            ["2026-03-06T17:55Z", "2026-03-09T08:05Z"],
        )
        assert cursor.fetchone()[0] == 223800


def python_business_seconds(start: datetime, end: datetime, zone: str, intervals, holidays) -> float:
    """The oracle: every local date from start's to end's, each open interval built in the zone."""
    from datetime import time, timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    total, day = 0.0, start.astimezone(tz).date()
    while day <= end.astimezone(tz).date():
        if day not in holidays:
            for weekday, open_minute, close_minute in intervals:
                if weekday == day.isoweekday():
                    midnight = datetime.combine(day, time(0))
                    opens = (midnight + timedelta(minutes=open_minute)).replace(tzinfo=tz)
                    closes = (midnight + timedelta(minutes=close_minute)).replace(tzinfo=tz)
                    total += max(0.0, (min(end, closes) - max(start, opens)).total_seconds())
        day += timedelta(days=1)
    return total


@pytest.mark.django_db
@settings(max_examples=examples(60), deadline=None)
@given(
    start_minutes=st.integers(0, 60 * 24 * 40),
    length_minutes=st.integers(0, 60 * 24 * 20),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
    intervals=st.lists(
        st.tuples(st.integers(1, 7), st.integers(0, 23), st.integers(1, 24)).map(
            lambda t: (t[0], t[1] * 60, max(t[1] + 1, t[2]) * 60)
        ),
        max_size=4,
        unique_by=lambda t: t[0],
    ),
    holiday_offsets=st.lists(st.integers(0, 60), max_size=3),
    target=st.integers(1, 3 * 86400),
)
def test_business_seconds_and_due_times_agree_with_an_oracle(
    start_minutes, length_minutes, zone, intervals, holiday_offsets, target
):
    """Verifies tally_business_seconds() against a Python oracle (local days, zone conversion, DST
    changes in March and in the autumn, holidays), and tally_business_due() by its definition: the
    open seconds up to the due time are the target, and a second earlier they are less."""
    from datetime import timedelta

    base = datetime(2026, 3, 1, tzinfo=UTC)
    start = base + timedelta(minutes=start_minutes)
    end = start + timedelta(minutes=length_minutes)
    holidays = sorted({(base + timedelta(days=offset)).date() for offset in holiday_offsets})
    schedule = [
        zone,
        [weekday for weekday, _, _ in intervals],
        [opens for _, opens, _ in intervals],
        [closes for _, _, closes in intervals],
        holidays,
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tally_business_seconds(%s, %s, %s, %s::smallint[], %s::int[], %s::int[], %s::date[])",
            [start, end, *schedule],
        )
        assert float(cursor.fetchone()[0]) == python_business_seconds(start, end, zone, intervals, set(holidays))
        cursor.execute(
            "SELECT tally_business_due(%s, %s, %s, %s::smallint[], %s::int[], %s::int[], %s::date[])",
            [start, target, *schedule],
        )
        due = cursor.fetchone()[0]
    if not intervals:
        assert due is None
        return
    assert python_business_seconds(start, due, zone, intervals, set(holidays)) == target
    earlier = due - timedelta(seconds=1)
    assert python_business_seconds(start, earlier, zone, intervals, set(holidays)) < target
