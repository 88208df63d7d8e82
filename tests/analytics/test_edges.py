"""Hand-computed figures at the edges a mutation audit found uncovered: the first and last hour of
the previous period, durations exactly on every histogram bin start, and ties on occurred_at of
every merged dimension attribute sent in separate requests in both orders."""

import pytest

from analytics import rollups
from analytics.models import DURATION_BINS, Agent, Channel, Customer, SupportDurationHourly
from tests.api.conftest import conversation, ingest

WEEK = {"from": "2026-03-02", "to": "2026-03-09"}


@pytest.mark.django_db
@pytest.mark.parametrize("channel", [None, "email"])
def test_previous_period_counts_its_first_and_last_hour_and_nothing_outside(make_client, workspace, channel):
    """Verifies the previous week [02-23, 03-02) counts conversations in its first and last hour, and
    neither the hour before it nor the current week's first hour, with and without a channel filter."""
    events = [
        conversation("created", "before", "c-before", "2026-02-22T23:30:00Z", "email"),
        conversation("created", "first", "c-first", "2026-02-23T00:30:00Z", "email"),
        conversation("created", "last", "c-last", "2026-03-01T23:30:00Z", "email"),
        conversation("created", "other", "c-other", "2026-03-01T23:45:00Z", "chat"),
        conversation("created", "current", "c-current", "2026-03-02T00:10:00Z", "email"),
        conversation("created", "end", "c-end", "2026-03-09T00:00:00Z", "email"),
    ]
    ingest(make_client(workspace, scopes=("ingest",)), events)
    params = WEEK if channel is None else {**WEEK, "channel": channel}
    body = make_client(workspace, scopes=("read",)).get("/api/v1/summaries/overview", params).json()
    assert body["previous"]["from"] == "2026-02-23T00:00:00+00:00"
    assert body["previous"]["to"] == "2026-03-02T00:00:00+00:00"
    assert body["previous"]["conversations_created"] == (3 if channel is None else 2)
    assert body["conversations_created"] == 1


@pytest.mark.django_db
def test_a_duration_exactly_on_a_bin_start_falls_in_that_bin(make_client, workspace):
    """Verifies a first response and a resolution of exactly b seconds count in the bin starting at b, for every b."""
    events = []
    for number, seconds in enumerate(DURATION_BINS):
        created = 1_772_438_400 + number * 3600 * 80  # 2026-03-02T08:00Z, conversations 80 hours apart
        events += [
            conversation("created", f"d{number}-c", f"d{number}", iso(created), "email"),
            conversation("agent_replied", f"d{number}-r", f"d{number}", iso(created + seconds), "email", agent="a1"),
            conversation("resolved", f"d{number}-s", f"d{number}", iso(created + seconds), "email", agent="a1"),
        ]
    ingest(make_client(workspace, scopes=("ingest",)), events)
    rows = SupportDurationHourly.objects.filter(workspace=workspace).exclude(conversations=0)
    counts: dict[tuple[str, int], int] = {}
    for row in rows:
        counts[(row.metric, row.bin_start_seconds)] = (
            counts.get((row.metric, row.bin_start_seconds), 0) + row.conversations
        )
    expected = {(metric, start): 1 for metric in ("first_response", "resolution") for start in DURATION_BINS}
    assert counts == expected
    assert list(rollups.differences()) == []


def iso(epoch_seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat().replace("+00:00", "Z")


TIE = "2026-03-02T09:00:00Z"


def tied(event_id: str, **dimension) -> dict:
    return {"id": event_id, "name": "visit", "occurred_at": TIE, **dimension}


ATTRIBUTE_TIES = [
    (
        Agent,
        "agent_id",
        "a1",
        "name",
        {"agent": {"id": "a1", "name": "Lower"}},
        {"agent": {"id": "a1", "name": "Upper"}},
    ),
    (
        Agent,
        "agent_id",
        "a1",
        "email",
        {"agent": {"id": "a1", "email": "low@example.com"}},
        {"agent": {"id": "a1", "email": "up@example.com"}},
    ),
    (
        Channel,
        "channel_id",
        "web",
        "name",
        {"channel": {"id": "web", "name": "Lower"}},
        {"channel": {"id": "web", "name": "Upper"}},
    ),
    (
        Customer,
        "customer_id",
        "u1",
        "name",
        {"customer": {"id": "u1", "name": "Lower"}},
        {"customer": {"id": "u1", "name": "Upper"}},
    ),
    (
        Customer,
        "customer_id",
        "u1",
        "type",
        {"customer": {"id": "u1", "type": "person"}},
        {"customer": {"id": "u1", "type": "company"}},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("reverse", [False, True], ids=["lower-id-first", "higher-id-first"])
@pytest.mark.parametrize("model, key, value, attribute, lower, upper", ATTRIBUTE_TIES)
def test_a_tie_on_occurred_at_goes_to_the_greater_event_id_in_either_order(
    make_client, workspace, reverse, model, key, value, attribute, lower, upper
):
    """Verifies two events at one moment, sent in separate requests, leave the attribute of the greater event id."""
    client = make_client(workspace, scopes=("ingest",))
    requests = [tied("x1", **lower), tied("x2", **upper)]
    for event in requests[::-1] if reverse else requests:
        ingest(client, [event])
    row = model.objects.get(workspace=workspace, **{key: value})
    assert getattr(row, attribute) == (upper[next(iter(upper))][attribute])
    assert getattr(row, f"{attribute}_event_id") == "x2"
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_a_percentile_that_is_reached_exactly_at_a_bin_end_stays_in_that_bin_across_an_empty_one(
    make_client, workspace
):
    """Verifies first responses of 60 s and 1000 s (bins [60, 300) and [900, 1800), the bins between
    empty) give p50 = 300 (the count reaches half at the end of the first bin) and p90 = 1620."""
    events = [
        conversation("created", "g1-c", "g1", "2026-03-02T08:00:00Z", "email"),
        conversation("agent_replied", "g1-r", "g1", "2026-03-02T08:01:00Z", "email", agent="a1"),
        conversation("created", "g2-c", "g2", "2026-03-02T10:00:00Z", "email"),
        conversation("agent_replied", "g2-r", "g2", "2026-03-02T10:16:40Z", "email", agent="a1"),
    ]
    ingest(make_client(workspace, scopes=("ingest",)), events)
    reader = make_client(workspace, scopes=("read",))
    for params in (WEEK, {**WEEK, "channel": "email"}):
        first_response = reader.get("/api/v1/summaries/overview", params).json()["first_response"]
        assert first_response == {"count": 2, "avg_seconds": 530.0, "p50_seconds": 300.0, "p90_seconds": 1620.0}
