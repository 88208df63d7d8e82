"""GET /api/v1/summaries/timeseries: zero-filled buckets, time zones, granularities."""

import pytest

from tests.api.conftest import ingest, product

URL = "/api/v1/summaries/timeseries"


def series(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    return [(point["bucket"], point["value"]) for point in response.json()]


@pytest.mark.django_db
def test_daily_counts_are_zero_filled(support_week, reader):
    """Verifies every day of the range appears, 0 where nothing happened."""
    response = reader.get(URL, {"metric": "conversations_created", "from": "2026-03-01", "to": "2026-03-05"})
    assert series(response) == [
        ("2026-03-01T00:00:00+00:00", 0),
        ("2026-03-02T00:00:00+00:00", 2),
        ("2026-03-03T00:00:00+00:00", 2),
        ("2026-03-04T00:00:00+00:00", 0),
    ]
    assert all(type(point["value"]) is int for point in response.json())


@pytest.mark.django_db
def test_daily_average_is_null_where_nothing_was_measured(support_week, reader):
    """Verifies avg_first_response_seconds is sum/count per day and null on empty days."""
    response = reader.get(URL, {"metric": "avg_first_response_seconds", "from": "2026-03-01", "to": "2026-03-04"})
    assert series(response) == [
        ("2026-03-01T00:00:00+00:00", None),
        ("2026-03-02T00:00:00+00:00", 330.0),
        ("2026-03-03T00:00:00+00:00", None),
    ]


@pytest.mark.django_db
def test_hourly_series_covers_each_hour_of_the_range(support_week, reader):
    """Verifies hour buckets are the UTC hours of [from, to), zero-filled."""
    response = reader.get(
        URL,
        {
            "metric": "agent_replies",
            "granularity": "hour",
            "from": "2026-03-02T08:00:00Z",
            "to": "2026-03-02T11:00:00Z",
        },
    )
    assert series(response) == [
        ("2026-03-02T08:00:00+00:00", 1),
        ("2026-03-02T09:00:00+00:00", 0),
        ("2026-03-02T10:00:00+00:00", 1),
    ]


@pytest.mark.django_db
def test_day_boundaries_follow_the_requested_zone(support_week, reader):
    """Verifies a signup at 23:30 UTC counts on the next day in Europe/Berlin, not in UTC."""
    query = {"metric": "events", "name": "signup", "from": "2026-03-02", "to": "2026-03-04"}
    assert series(reader.get(URL, query)) == [
        ("2026-03-02T00:00:00+00:00", 2),
        ("2026-03-03T00:00:00+00:00", 0),
    ]
    assert series(reader.get(URL, {**query, "tz": "Europe/Berlin"})) == [
        ("2026-03-02T00:00:00+01:00", 1),
        ("2026-03-03T00:00:00+01:00", 1),
    ]


@pytest.mark.django_db
def test_weekly_and_monthly_buckets_are_calendar_units(support_week, reader):
    """Verifies week buckets start on Monday and month buckets on the 1st."""
    weekly = reader.get(
        URL, {"metric": "conversations_created", "granularity": "week", "from": "2026-02-23", "to": "2026-03-16"}
    )
    assert series(weekly) == [
        ("2026-02-23T00:00:00+00:00", 1),
        ("2026-03-02T00:00:00+00:00", 4),
        ("2026-03-09T00:00:00+00:00", 0),
    ]
    monthly = reader.get(
        URL, {"metric": "resolutions", "granularity": "month", "from": "2026-02-01", "to": "2026-04-01"}
    )
    assert series(monthly) == [("2026-02-01T00:00:00+00:00", 1), ("2026-03-01T00:00:00+00:00", 3)]


@pytest.mark.django_db
def test_events_series_counts_every_name_without_a_name_filter(support_week, reader):
    """Verifies metric=events without name counts all events, support ones included."""
    response = reader.get(URL, {"metric": "events", "from": "2026-03-04", "to": "2026-03-05"})
    assert series(response) == [("2026-03-04T00:00:00+00:00", 1)]


@pytest.mark.django_db
def test_half_hour_zone_days_start_with_the_utc_hour_that_straddles_midnight(make_client, workspace):
    """Verifies the documented caveat: in Asia/Kolkata (+05:30) 00:15 local counts on the day before,
    because its UTC hour bucket (18:00Z) starts at 23:30 local."""
    client = make_client(workspace)
    ingest(
        client,
        [
            product("signup", "before", "2026-03-02T18:15:00Z"),  # 23:45 IST on 03-02
            product("signup", "after", "2026-03-02T18:45:00Z"),  # 00:15 IST on 03-03
            product("signup", "later", "2026-03-02T19:05:00Z"),  # 00:35 IST on 03-03
        ],
    )
    query = {"metric": "events", "tz": "Asia/Kolkata", "from": "2026-03-02", "to": "2026-03-04"}
    assert series(client.get(URL, query)) == [
        ("2026-03-02T00:00:00+05:30", 2),
        ("2026-03-03T00:00:00+05:30", 1),
    ]
