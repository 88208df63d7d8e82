"""The contract failures Schemathesis found (issue 13), pinned one by one: every 400 has `errors`,
pagination and dates refuse what they cannot honour, values are exact or refused, and a batch
that repeats an id is either one event or a 400."""

import json
from decimal import Decimal

import pytest

from analytics.models import Event
from tests.api.conftest import SUPPORT_WEEK, ingest

EVENTS = "/api/v1/events/"
WEEK = {"from": "2026-03-02", "to": "2026-03-09"}


def signup(event_id: str, **extra) -> dict:
    return {"id": event_id, "name": "signup", "occurred_at": "2026-03-02T09:00:00Z", **extra}


def errors_of(response, status: int = 400) -> list[dict]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    return body["errors"]


def fields_of(response) -> set:
    return {error["field"] for error in errors_of(response)}


@pytest.fixture
def writer(make_client, workspace):
    return make_client(workspace, scopes=("ingest", "read"))


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "x", "name": ',
        b"\xa4\xff",
        b'{"id": "x", "name": "signup", "occurred_at": "2026-03-02T09:00:00Z", "value": NaN}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["malformed", "not-utf-8", "nan", "too-deep"],
)
def test_a_body_that_is_not_json_is_a_400_with_the_errors_list(writer, body):
    """Verifies malformed JSON, non-UTF-8, NaN and too-deep nesting are 400s in the documented shape."""
    response = writer.generic("POST", EVENTS, body, content_type="application/json")
    [error] = errors_of(response)
    assert error["index"] is None and error["field"] is None and error["message"]
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "path",
    ["/api/v1/summaries/agents", "/api/v1/summaries/channels", "/api/v1/summaries/teams", "/api/v1/summaries/labels"],
)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "x"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "null"}, "page_size"),
        ({"page_size": ""}, "page_size"),
        ({"page_size": "501"}, "page_size"),
    ],
)
def test_page_and_page_size_out_of_range_are_400s_naming_them(reader, path, query, field):
    """Verifies page and page_size of the agent and channel lists are refused, never quietly replaced."""
    assert fields_of(reader.get(path, query)) == {field}


def test_a_page_past_the_last_is_a_404_and_the_largest_page_size_is_served(support_week, reader):
    """Verifies page_size=500 is honoured and a page past the end is the documented 404."""
    response = reader.get("/api/v1/summaries/agents", {**WEEK, "page_size": "500"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == ["a1", "a2"]
    past = reader.get("/api/v1/summaries/agents", {**WEEK, "page": "2"})
    assert past.status_code == 404 and past.json() == {"detail": "Invalid page."}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "null"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"cursor": "garbled"}, "cursor"),
        ({"cursor": "cD0yMDI2LTAzLTAy"}, "cursor"),
        ({"name": ""}, "name"),
        ({"from": ""}, "from"),
    ],
)
def test_the_raw_listing_refuses_bad_paging_and_empty_filters(reader, query, field):
    """Verifies page_size over 1000, a garbled cursor and empty filters are 400s naming the parameter."""
    assert fields_of(reader.get(EVENTS, query)) == {field}


def test_the_raw_listing_pages_with_its_plain_cursor(support_week, reader):
    """Verifies the cursor of `next` and `previous` leads through every event once, page_size=1000 allowed."""
    everything = reader.get(EVENTS, {"page_size": "1000"}).json()["results"]
    seen, url = [], f"{EVENTS}?page_size=5"
    while url:
        page = reader.get(url).json()
        seen += [event["id"] for event in page["results"]]
        url = page["next"]
        if url:
            assert "cursor=n" in url
    assert seen == [event["id"] for event in everything]
    assert len(seen) == len(SUPPORT_WEEK)
    second = reader.get(f"{EVENTS}?page_size=5").json()["next"]
    back = reader.get(reader.get(second).json()["previous"]).json()
    assert [event["id"] for event in back["results"]] == seen[:5]


@pytest.mark.parametrize("path", ["/api/v1/events/trend", "/api/v1/events/frequency"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start_date": ""}, "start_date"),
        ({"end_date": ""}, "end_date"),
        ({"start_date": "2026-3-2"}, "start_date"),
        ({"start_date": "20260302"}, "start_date"),
        ({"start_date": "1969-12-31"}, "start_date"),
        ({"end_date": "3000-01-01"}, "end_date"),
        ({"start_date": "2026-03-05", "end_date": "2026-03-04"}, "start_date"),
        ({"tz": ""}, "tz"),
    ],
)
def test_day_parameters_are_strict_dates_within_the_bounds(reader, path, query, field):
    """Verifies empty, loose or out-of-bounds dates and a start after the end are 400s naming the parameter."""
    assert fields_of(reader.get(path, query)) == {field}


def test_the_last_day_of_the_bounds_is_accepted(reader):
    """Verifies 2999-12-31, the last day the schema's pattern admits, is a valid end_date."""
    assert reader.get("/api/v1/events/trend", {"start_date": "1970-01-01", "end_date": "2999-12-31"}).status_code == 200


def test_an_offset_postgresql_cannot_take_is_read_as_the_same_instant(support_week, reader):
    """Verifies a datetime with a +20:14 offset (valid ISO 8601, beyond PostgreSQL's 15:59) is not a 500."""
    response = reader.get(EVENTS, {"from": "2026-03-03T20:14:00+20:14"})
    assert response.status_code == 200
    assert {event["id"] for event in response.json()["results"]} == {
        event["id"] for event in SUPPORT_WEEK if event["occurred_at"] >= "2026-03-03T00:00:00Z"
    }


@pytest.mark.parametrize(
    ("value", "stored"),
    [("0.000001", "0.000001"), ("1.5", "1.500000"), ("1.2500000", "1.250000"), ("-999999999999.999999", None)],
)
def test_values_with_six_decimals_or_fewer_are_stored_exactly(writer, value, stored):
    """Verifies a value of up to 6 decimal places (trailing zeros aside) is stored as sent."""
    body = json.dumps([signup("v")]).replace('"signup"', f'"signup", "value": {value}')
    response = writer.generic("POST", EVENTS, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Event.objects.get().value == Decimal(stored or value)


@pytest.mark.parametrize("value", ["1e-7", "0.0000001", "1.0000001", "123456789012.1234567"])
def test_a_value_with_more_than_six_decimals_is_refused_not_rounded(writer, value):
    """Verifies 1e-7 and other values that numeric(24, 6) cannot hold are a 400 naming `value`."""
    body = json.dumps(signup("v")).replace('"signup"', f'"signup", "value": {value}')
    response = writer.generic("POST", EVENTS, body, content_type="application/json")
    [error] = errors_of(response)
    assert (error["index"], error["field"]) == (None, "value")
    assert "more than 6 decimal places" in error["message"]
    assert not Event.objects.exists()


def test_the_same_id_twice_with_different_content_is_a_400_naming_both(writer):
    """Verifies a batch holding one id with two contents is refused whole, both positions named."""
    batch = [signup("a"), signup("b", value=1), signup("c"), signup("b", value=2)]
    errors = errors_of(writer.post(EVENTS, batch, format="json"))
    assert [(error["index"], error["field"]) for error in errors] == [(1, "id"), (3, "id")]
    assert "event 3" in errors[0]["message"] and "event 1" in errors[1]["message"]
    assert not Event.objects.exists()


def test_identical_copies_in_a_batch_are_stored_once_and_counted_as_duplicates(writer):
    """Verifies identical copies (the same event spelt two ways too) are one event and one duplicate each."""
    ingest(writer, [signup("old")])
    batch = [
        signup("a", channel="email"),
        signup("a", channel={"id": "email"}, occurred_at="2026-03-02T10:00:00+01:00"),
        signup("old"),
        signup("a", channel="email"),
    ]
    response = writer.post(EVENTS, batch, format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 1, "duplicates": 3}
    assert sorted(Event.objects.values_list("event_id", flat=True)) == ["a", "old"]


def test_empty_and_blank_ids_are_refused(writer):
    """Verifies an empty id and one of whitespace only (trimmed to empty) are 400s naming `id`."""
    assert fields_of(writer.post(EVENTS, signup(""), format="json")) == {"id"}
    assert fields_of(writer.post(EVENTS, signup(" \t "), format="json")) == {"id"}
    assert fields_of(writer.post(EVENTS, [signup("a"), signup("  ")], format="json")) == {"id"}


def test_a_refusal_before_any_view_is_a_400_with_errors(db, client):
    """Verifies Django's own 400 (a Host header not allowed) has the documented shape."""
    [error] = errors_of(client.get("/api/v1/summaries/overview", HTTP_HOST="attacker.example"))
    assert error["field"] is None
