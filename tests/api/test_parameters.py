"""Every bad query parameter of the read endpoints is a 400 whose error names it."""

import pytest

OVERVIEW = "/api/v1/summaries/overview"
TIMESERIES = "/api/v1/summaries/timeseries"
AGENTS = "/api/v1/summaries/agents"
CHANNELS = "/api/v1/summaries/channels"
TREND = "/api/v1/events/trend"
FREQUENCY = "/api/v1/events/frequency"
STATS = "/api/v1/events/stats"
EVENTS = "/api/v1/events/"
SERIES = {"metric": "resolutions"}

CASES = [
    (OVERVIEW, {"from": "last tuesday"}, "from"),
    (OVERVIEW, {"from": "2026-02-30"}, "from"),
    (OVERVIEW, {"from": "2026-03-02T25:00:00Z"}, "from"),
    (OVERVIEW, {"to": "2026-03-02T10:00:00"}, "to"),
    (OVERVIEW, {"from": "2026-03-05", "to": "2026-03-02"}, "to"),
    (OVERVIEW, {"from": "2026-03-02", "to": "2026-03-02"}, "to"),
    (OVERVIEW, {"from": "1969-12-31"}, "from"),
    (OVERVIEW, {"tz": "Mars/Olympus_Mons"}, "tz"),
    (OVERVIEW, {"tz": "../../etc/passwd"}, "tz"),
    (OVERVIEW, {"channel": "em\x00ail"}, "channel"),
    (OVERVIEW, {"agent": "a" * 65}, "agent"),
    (TIMESERIES, {}, "metric"),
    (TIMESERIES, {"metric": "happiness"}, "metric"),
    (TIMESERIES, {**SERIES, "granularity": "minute"}, "granularity"),
    (TIMESERIES, {**SERIES, "granularity": "hour", "from": "2020-01-01", "to": "2026-01-01"}, "granularity"),
    (TIMESERIES, {**SERIES, "tz": "Nowhere"}, "tz"),
    (TIMESERIES, {**SERIES, "metric": "events", "name": "x\x00"}, "name"),
    (AGENTS, {"ordering": "salary"}, "ordering"),
    (AGENTS, {"ordering": "-open_now"}, "ordering"),
    (CHANNELS, {"ordering": "--resolutions"}, "ordering"),
    (CHANNELS, {"to": "soon"}, "to"),
    (TREND, {"start_date": "03/02/2026"}, "start_date"),
    (TREND, {"start_date": "2026-03-03", "end_date": "2026-03-02"}, "start_date"),
    (TREND, {"tz": "Europe/Atlantis"}, "tz"),
    (FREQUENCY, {"end_date": "2026-02-30"}, "end_date"),
    (FREQUENCY, {"event_name": "\x00"}, "event_name"),
    (STATS, {"group_by": "weekday"}, "group_by"),
    (STATS, {"aggregate": "median"}, "aggregate"),
    (STATS, {"aggregate": "sum", "sort_by": "count"}, "sort_by"),
    (STATS, {"order": "sideways"}, "order"),
    (STATS, {"group_by": "hour", "from": "2020-01-01", "to": "2026-01-01"}, "group_by"),
    (EVENTS, {"from": "yesterday"}, "from"),
    (EVENTS, {"to": "2026-03-02T10:00:00"}, "to"),
    (EVENTS, {"tz": "Berlin"}, "tz"),
    (EVENTS, {"session_id": "s\x00"}, "session_id"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "query", "field"), CASES)
def test_bad_parameter_is_a_400_naming_it(reader, url, query, field):
    """Verifies the 400 body names exactly the wrong parameter."""
    response = reader.get(url, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert [(error["index"], error["field"]) for error in body["errors"]] == [(None, field)]


@pytest.mark.django_db
def test_unencoded_plus_in_an_offset_is_understood(support_week, reader):
    """Verifies `+01:00` sent unencoded (arriving as a space) still parses as an offset."""
    response = reader.get(f"{OVERVIEW}?from=2026-03-02T01:00:00+01:00&to=2026-03-09T01:00:00+01:00")
    assert response.status_code == 200
    assert (response.json()["from"], response.json()["conversations_created"]) == ("2026-03-02T00:00:00+00:00", 4)


@pytest.mark.django_db
def test_one_end_of_the_range_implies_the_other_seven_days_away(support_week, reader):
    """Verifies from alone spans 7 days forward and to alone 7 days back."""
    forward = reader.get(OVERVIEW, {"from": "2026-03-02"}).json()
    backward = reader.get(OVERVIEW, {"to": "2026-03-09"}).json()
    assert forward["to"] == backward["to"] == "2026-03-09T00:00:00+00:00"
    assert forward["from"] == backward["from"] == "2026-03-02T00:00:00+00:00"
    assert forward["conversations_created"] == backward["conversations_created"] == 4


@pytest.mark.django_db
def test_page_out_of_range_is_a_404(support_week, reader):
    """Verifies a page past the last one is a 404, not an empty 200."""
    assert reader.get(AGENTS, {"page": 5}).status_code == 404
