"""GET /api/v1/events/trend, /events/frequency and /events/stats (read event_hourly)."""

import pytest

from core.auth import clear_token_cache

TREND = "/api/v1/events/trend"
FREQUENCY = "/api/v1/events/frequency"
STATS = "/api/v1/events/stats"
WEEK = {"from": "2026-03-02", "to": "2026-03-09"}


@pytest.mark.django_db
def test_trend_counts_each_name_per_day(support_week, reader):
    """Verifies the per-day, per-name counts; days without events are absent."""
    response = reader.get(TREND, {"start_date": "2026-03-01", "end_date": "2026-03-05"})
    assert response.status_code == 200
    assert response.json() == {
        "2026-03-02": {
            "conversation.agent_replied": 2,
            "conversation.assigned": 1,
            "conversation.created": 2,
            "conversation.customer_replied": 1,
            "conversation.resolved": 2,
            "page.view": 1,
            "signup": 2,
        },
        "2026-03-03": {
            "conversation.assigned": 1,
            "conversation.created": 2,
            "conversation.reopened": 1,
            "conversation.resolved": 1,
            "purchase": 1,
        },
        "2026-03-04": {"purchase": 1},
    }
    assert list(response.json()) == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert all(type(count) is int for names in response.json().values() for count in names.values())


@pytest.mark.django_db
def test_trend_days_are_days_of_the_zone(support_week, reader, workspace):
    """Verifies the 23:30 UTC signup lands on 03-03 for a Europe/Berlin workspace and by tz=."""
    by_parameter = reader.get(TREND, {"start_date": "2026-03-02", "end_date": "2026-03-03", "tz": "Europe/Berlin"})
    workspace.timezone = "Europe/Berlin"
    workspace.save()
    clear_token_cache()  # workers see workspace changes within TALLY_TOKEN_CACHE_SECONDS
    by_workspace = reader.get(TREND, {"start_date": "2026-03-02", "end_date": "2026-03-03"})
    for response in (by_parameter, by_workspace):
        days = response.json()
        assert (days["2026-03-02"]["signup"], days["2026-03-03"]["signup"]) == (1, 1)


@pytest.mark.django_db
def test_frequency_lists_totals_by_total_descending(support_week, reader):
    """Verifies every name with its total in the days, ties broken by name."""
    response = reader.get(FREQUENCY, {"start_date": "2026-03-02", "end_date": "2026-03-08"})
    assert response.json() == [
        {"event_name": "conversation.created", "total": 4},
        {"event_name": "conversation.resolved", "total": 3},
        {"event_name": "conversation.agent_replied", "total": 2},
        {"event_name": "conversation.assigned", "total": 2},
        {"event_name": "purchase", "total": 2},
        {"event_name": "signup", "total": 2},
        {"event_name": "conversation.customer_replied", "total": 1},
        {"event_name": "conversation.reopened", "total": 1},
        {"event_name": "page.view", "total": 1},
    ]


@pytest.mark.django_db
def test_frequency_of_one_name_honours_the_dates(support_week, reader):
    """Verifies event_name gives one object; dates filter it; an unseen name totals 0."""
    assert reader.get(FREQUENCY, {"event_name": "signup"}).json() == {"event_name": "signup", "total": 3}
    one_day = reader.get(FREQUENCY, {"event_name": "signup", "start_date": "2026-03-02", "end_date": "2026-03-02"})
    assert one_day.json() == {"event_name": "signup", "total": 2}
    assert reader.get(FREQUENCY, {"event_name": "globex.only"}).json() == {"event_name": "globex.only", "total": 0}


@pytest.mark.django_db
def test_stats_sum_per_day_is_zero_filled(support_week, reader):
    """Verifies sum of purchase values per day, 0 on days without any."""
    response = reader.get(STATS, {"name": "purchase", "aggregate": "sum", "from": "2026-03-02", "to": "2026-03-05"})
    assert response.json() == [
        {"day": "2026-03-02T00:00:00+00:00", "sum": 0},
        {"day": "2026-03-03T00:00:00+00:00", "sum": 5.5},
        {"day": "2026-03-04T00:00:00+00:00", "sum": 4.5},
    ]


@pytest.mark.django_db
def test_stats_by_channel_sorted_by_the_aggregate(support_week, reader):
    """Verifies avg value per channel of product events (null = no channel), sorted descending."""
    query = {"group_by": "channel", "aggregate": "avg", "sort_by": "avg", "order": "desc", **WEEK}
    assert reader.get(STATS, query).json() == [
        {"channel": None, "avg": 20.0},
        {"channel": "email", "avg": 10.0},
        {"channel": "chat", "avg": 5.0},
    ]
    counts = reader.get(STATS, {"group_by": "channel", "aggregate": "count", **WEEK}).json()
    assert counts == [{"channel": None, "count": 1}, {"channel": "chat", "count": 2}, {"channel": "email", "count": 1}]
    assert all(type(row["count"]) is int for row in counts)


@pytest.mark.django_db
def test_stats_min_max_are_null_on_empty_buckets(support_week, reader):
    """Verifies max per day over all product events, null where no value was sent."""
    response = reader.get(STATS, {"aggregate": "max", "from": "2026-03-02", "to": "2026-03-06", "order": "desc"})
    assert response.json() == [
        {"day": "2026-03-05T00:00:00+00:00", "max": None},
        {"day": "2026-03-04T00:00:00+00:00", "max": 4.5},
        {"day": "2026-03-03T00:00:00+00:00", "max": 5.5},
        {"day": "2026-03-02T00:00:00+00:00", "max": 20.0},
    ]


@pytest.mark.django_db
def test_stats_hourly_buckets_in_a_zone(support_week, reader):
    """Verifies group_by=hour labels UTC hours with the zone's offset."""
    query = {"name": "signup", "group_by": "hour", "from": "2026-03-02T23:00:00Z", "to": "2026-03-03T01:00:00Z"}
    assert reader.get(STATS, {**query, "tz": "Europe/Berlin"}).json() == [
        {"hour": "2026-03-03T00:00:00+01:00", "count": 1},
        {"hour": "2026-03-03T01:00:00+01:00", "count": 0},
    ]
