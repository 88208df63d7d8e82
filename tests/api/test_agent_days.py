"""The agent list reads whole UTC days from support_agent_daily (the slot 0 rows of
support_agent_hourly that compaction folded, summed by day) and the rest by hour: the unfolded
slots inside the days, the window's hours outside them, minus the days' hours outside the window.
Whatever the events, the compaction points, the late events after a compaction and the window,
every agent's row equals that agent's overview, which reads support_agent_hourly alone (itself
compared with the raw events by verify)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analytics import params, rollups, services, summaries
from tests.analytics.test_invariant import PROPERTY_SETTINGS, reset_tables
from tests.factories import BASE, SUPPORT, add_sla_policies, examples, support_event, validated

# Three days of events from BASE (Monday 2 March 2026, 08:00 UTC): three UTC midnights inside.
SPREAD_MINUTES = 3 * 24 * 60
FIRST_WINDOW_START = datetime(2026, 3, 1, 12, tzinfo=UTC)


@st.composite
def spread_conversations(draw) -> list[dict]:
    """Conversations whose events (any order, some repeated) fall anywhere in the three days."""
    events = []
    for number in range(draw(st.integers(1, 6))):
        channel = draw(st.sampled_from(["email", "chat"]))
        kinds = st.sampled_from((*SUPPORT, "customer_replied", "agent_replied", "rated"))
        for position, kind in enumerate(draw(st.lists(kinds, min_size=1, max_size=6))):
            needs_agent = kind in ("assigned", "agent_replied", "resolved")
            events.append(
                support_event(
                    kind,
                    event_id=f"c{number}-{position}",
                    conversation=f"c{number}",
                    minutes=draw(st.integers(0, SPREAD_MINUTES)),
                    channel=channel,
                    agent=draw(st.sampled_from(["a1", "a2", "a3"])) if needs_agent else None,
                    value=draw(st.integers(1, 5)) if kind == "rated" else None,
                )
            )
    return draw(st.permutations(events))


windows = st.lists(
    st.tuples(st.integers(0, 4 * 24 * 2), st.integers(1, 4 * 24 * 2)),  # start and length, in half hours
    min_size=1,
    max_size=4,
)


def window(start_half_hours: int, length_half_hours: int) -> params.Window:
    start = FIRST_WINDOW_START + timedelta(minutes=30 * start_half_hours)
    return params.Window(
        start=start,
        end=start + timedelta(minutes=30 * length_half_hours),
        tz=ZoneInfo("Europe/Berlin"),
        granularity=None,
        channel=None,
        agent=None,
    )


# The figures compared: counts, durations, reply times, CSAT (the response rate aside, which
# divides by the resolutions already compared) and SLA outcomes.
COMPARED = (*summaries.COUNTS, *summaries.DURATIONS, summaries.REPLY_TIME, "csat", "sla")


@pytest.fixture
def sla_policy(workspace):
    """First response within 10 minutes and resolution within an hour, in calendar time, so the
    conversations' SLA outcomes are compared too."""
    add_sla_policies(workspace, [("2000-01-01T00:00:00Z", (600, False), (3600, False))])
    return workspace


def agent_rows(workspace, span: params.Window) -> dict[str, dict]:
    rows = summaries.dimension_rows(workspace=workspace, window=span, dimension="agent", ordering="id")[:]
    return {row["id"]: {name: row[name] for name in COMPARED} for row in rows}


def agent_overview(workspace, span: params.Window, agent: str) -> dict:
    figures = summaries.overview(workspace=workspace, window=params.Window(**{**vars(span), "agent": agent}))
    return {name: figures[name] for name in COMPARED}


@pytest.mark.django_db
@settings(max_examples=examples(60), **PROPERTY_SETTINGS)
@given(
    events=spread_conversations(),
    late_share=st.floats(0, 1),
    horizons=st.lists(st.integers(-12, 84), min_size=1, max_size=2),
    spans=windows,
)
# Folded up to the middle of the data, then late events, some into folded hours; windows: a week
# of Berlin (its edges are hours of the window outside the days: +1), four days from noon, and
# 10:00 one day to 20:00 the next (its edges are hours of the days outside the window: slot 0
# taken back, later slots left out; e2, g1 and the late f3 fall in them).
@example(
    events=[
        support_event("created", event_id="e1", conversation="e", minutes=10, channel="chat"),
        support_event("assigned", event_id="e2", conversation="e", minutes=60, channel="chat", agent="a1"),
        support_event("agent_replied", event_id="e3", conversation="e", minutes=900, channel="chat", agent="a1"),
        support_event("assigned", event_id="g1", conversation="g", minutes=2200, channel="chat", agent="a3"),
        support_event("resolved", event_id="e4", conversation="e", minutes=2000, channel="chat", agent="a2"),
        support_event("created", event_id="f1", conversation="f", minutes=1500, channel="email"),
        support_event("assigned", event_id="f2", conversation="f", minutes=1510, channel="email", agent="a1"),
        support_event("agent_replied", event_id="f3", conversation="f", minutes=30, channel="email", agent="a1"),
    ],
    late_share=0.5,
    horizons=[40],
    spans=[(22, 14 * 24), (0, 96 * 2), (44, 68)],
)
# A wait and a rating in 08:00 of Monday, folded, inside the second window's first day but before
# its 10:00 start: the list must take them back from the day (slot 0), as it does the counts.
@example(
    events=[
        support_event("created", event_id="w1", conversation="w", minutes=0, channel="chat"),
        support_event("assigned", event_id="w2", conversation="w", minutes=5, channel="chat", agent="a1"),
        support_event("customer_replied", event_id="w3", conversation="w", minutes=10, channel="chat"),
        support_event("agent_replied", event_id="w4", conversation="w", minutes=30, channel="chat", agent="a1"),
        support_event("rated", event_id="w5", conversation="w", minutes=40, channel="chat", value=4),
        support_event("agent_replied", event_id="w6", conversation="w", minutes=200, channel="chat", agent="a1"),
    ],
    late_share=0.0,
    horizons=[40],
    spans=[(44, 68)],
)
def test_agent_list_over_days_equals_each_agents_hourly_overview(
    workspace, sla_policy, events, late_share, horizons, spans
):
    """Verifies every agent row of the list (read by day) equals the agent's overview (read by
    hour), reply times, CSAT and SLA outcomes included, and verify finds 0 differences, after
    compactions and late events."""
    reset_tables()
    early = events[: round(len(events) * (1 - late_share))]
    if early:
        services.events_ingest(workspace=workspace, events=validated(early))
    for hours in horizons:
        rollups.compact(before=BASE + timedelta(hours=hours))
        late = events[len(early) :]
        if late:
            services.events_ingest(workspace=workspace, events=validated(late))
    for start, length in spans:
        span = window(start, length)
        listed = agent_rows(workspace, span)
        assert listed == {agent: agent_overview(workspace, span, agent) for agent in listed}, span
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_compaction_sums_each_folded_day_and_the_list_reads_it(workspace, reader):
    """Verifies compaction writes one support_agent_daily row per agent and UTC day folded, equal
    to the day's hourly figures, and the HTTP agent list counts a late event in a folded day."""
    first = [
        support_event("created", event_id="g1", conversation="g", minutes=0, channel="chat"),
        support_event("resolved", event_id="g2", conversation="g", minutes=60, channel="chat", agent="a1"),
        support_event("created", event_id="h1", conversation="h", minutes=24 * 60, channel="chat"),
        support_event("resolved", event_id="h2", conversation="h", minutes=24 * 60 + 5, channel="chat", agent="a1"),
    ]
    services.events_ingest(workspace=workspace, events=validated(first))
    rollups.compact(before=BASE + timedelta(days=3))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bucket, agent_id, resolutions FROM support_agent_daily WHERE workspace_id = %s ORDER BY 1, 2",
            [workspace.pk],
        )
        days = cursor.fetchall()
    monday, tuesday = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    # Conversations created count for no agent (''); each resolution for its resolver.
    assert days == [(monday, "", 0), (monday, "a1", 1), (tuesday, "", 0), (tuesday, "a1", 1)]
    late = support_event("resolved", event_id="g3", conversation="k", minutes=90, channel="chat", agent="a1")
    services.events_ingest(workspace=workspace, events=validated([late]))
    response = reader.get("/api/v1/summaries/agents", {"from": "2026-03-02T00:00:00Z", "to": "2026-03-04T00:00:00Z"})
    assert response.status_code == 200, response.content
    assert {row["id"]: row["resolutions"] for row in response.json()["results"]} == {"a1": 3}
    assert list(rollups.differences()) == []


def test_day_span_keeps_each_edge_within_twelve_hours():
    """Verifies the days of a window start and end at UTC midnights, with at most 12 hours read by
    hour at each end, and that a window without a whole day gets none."""
    berlin_week = window(22, 14 * 24)  # Berlin's 2-8 March: 1 March 23:00 UTC to 8 March 23:00 UTC
    days = summaries.day_span(berlin_week)
    monday, next_monday = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)
    assert (days["days_start"], days["days_end"]) == (monday, next_monday)
    assert (days["head_start"], days["head_end"]) == (berlin_week.start, monday)
    assert (days["tail_start"], days["tail_end"]) == (berlin_week.end, next_monday)
    assert summaries.day_span(window(2, 20)) is None  # 13:00 to 23:00 of one day


@pytest.mark.django_db
def test_a_rebuild_from_the_middle_of_a_folded_day_rewrites_that_day(workspace):
    """Verifies rebuild --since inside a compacted day recomputes the whole day's support_agent_daily
    row from the rebuilt hours and the ones before them, so verify and the agent list stay exact."""
    events = [
        support_event("created", event_id="r1", conversation="r", minutes=0, channel="chat"),
        support_event("assigned", event_id="r2", conversation="r", minutes=30, channel="chat", agent="a1"),
        support_event("resolved", event_id="r3", conversation="r", minutes=300, channel="chat", agent="a1"),
    ]
    services.events_ingest(workspace=workspace, events=validated(events))
    rollups.compact(before=BASE + timedelta(days=2))
    late = support_event("resolved", event_id="r4", conversation="s", minutes=240, channel="chat", agent="a1")
    services.events_ingest(workspace=workspace, events=validated([late]))
    # Rebuild from 10:00: the hours from 10:00 on become slot 0 (r4's hour, 12:00, among them).
    rollups.rebuild(workspace_id=workspace.pk, since=BASE + timedelta(hours=2))
    assert list(rollups.differences()) == []
    span = window(24, 48)  # the whole of Monday 2 March, UTC
    assert agent_rows(workspace, span)["a1"] == agent_overview(workspace, span, "a1")
    assert agent_rows(workspace, span)["a1"]["resolutions"] == 2
