"""POST /api/v1/events/ batches through HTTP: all-or-nothing, idempotent by event id, the accepted
input forms as stored, the append-only raw table, and the GET listing of raw events."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError
from django.utils import timezone

from analytics.models import Event, EventHourly

URL = "/api/v1/events/"


def product(**overrides) -> dict:
    """A valid product event; an override of None removes the key."""
    event = {"id": "p1", "name": "signup", "occurred_at": "2026-05-01T10:00:00Z", **overrides}
    return {key: value for key, value in event.items() if value is not None}


def stored(event_id: str) -> Event:
    return Event.objects.get(event_id=event_id)


def hourly_events() -> int:
    return sum(EventHourly.objects.values_list("events", flat=True))


@pytest.mark.django_db
def test_bad_item_at_index_2_of_5_rejects_the_whole_batch(client_for):
    """Verifies a batch is all-or-nothing: one bad item at index 2 of 5 is named and no event or summary is written."""
    batch = [product(id=f"p{number}") for number in range(5)]
    batch[2]["occurred_at"] = "2026-05-01T10:00:00"
    response = client_for.post(URL, batch, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": [{"index": 2, "field": "occurred_at", "message": "Must carry a UTC offset or Z."}],
    }
    assert Event.objects.count() == 0
    assert EventHourly.objects.count() == 0


@pytest.mark.django_db
def test_corrected_batch_is_accepted_after_a_rejected_one(client_for):
    """Verifies a rejected batch leaves no trace: the corrected batch is accepted in full, with no duplicates."""
    batch = [product(id=f"p{number}") for number in range(5)]
    batch[2]["name"] = "Bad Name"
    assert client_for.post(URL, batch, format="json").status_code == 400
    batch[2]["name"] = "good_name"
    response = client_for.post(URL, batch, format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 5, "duplicates": 0}
    assert sorted(Event.objects.values_list("event_id", flat=True)) == ["p0", "p1", "p2", "p3", "p4"]


@pytest.mark.django_db
def test_batch_of_exactly_1000_events_is_accepted(client_for, settings):
    """Verifies a batch of TALLY_MAX_BATCH (1000) events is accepted and counted once per event."""
    assert settings.TALLY_MAX_BATCH == 1000
    batch = [product(id=f"p{number:04d}") for number in range(1000)]
    response = client_for.post(URL, batch, format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 1000, "duplicates": 0}
    assert Event.objects.count() == 1000
    assert hourly_events() == 1000


@pytest.mark.django_db
def test_same_batch_twice_reports_all_duplicates_the_second_time(client_for):
    """Verifies a retried batch writes nothing ({"accepted": 0, "duplicates": N}); summaries count each event once."""
    batch = [product(id=f"p{number}", value=number) for number in range(4)]
    first = client_for.post(URL, batch, format="json")
    assert first.status_code == 201
    assert first.json() == {"accepted": 4, "duplicates": 0}
    second = client_for.post(URL, batch, format="json")
    assert second.status_code == 201
    assert second.json() == {"accepted": 0, "duplicates": 4}
    assert Event.objects.count() == 4
    row = EventHourly.objects.get()
    assert (row.events, row.value_count, row.value_sum) == (4, 4, Decimal("6.000000"))


@pytest.mark.django_db
def test_retry_of_a_single_object_is_a_duplicate(client_for):
    """Verifies a single-object body posted twice is accepted once and then reported as one duplicate."""
    assert client_for.post(URL, product(), format="json").json() == {"accepted": 1, "duplicates": 0}
    assert client_for.post(URL, product(), format="json").json() == {"accepted": 0, "duplicates": 1}
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_overlapping_batch_accepts_only_the_new_ids(client_for):
    """Verifies a batch overlapping an earlier one stores only the ids not seen before."""
    client_for.post(URL, [product(id="e1"), product(id="e2")], format="json")
    response = client_for.post(URL, [product(id="e2"), product(id="e3")], format="json")
    assert response.json() == {"accepted": 1, "duplicates": 1}
    assert sorted(Event.objects.values_list("event_id", flat=True)) == ["e1", "e2", "e3"]


@pytest.mark.django_db
def test_same_id_twice_in_one_batch_is_one_accepted_one_duplicate(client_for):
    """Verifies a batch repeating an event (same id and content) stores it once, the repeat a duplicate."""
    batch = [product(id="dup", value=1), product(id="other"), product(id="dup", value=1)]
    response = client_for.post(URL, batch, format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 2, "duplicates": 1}
    assert stored("dup").value == Decimal("1.000000")
    assert hourly_events() == 2


@pytest.mark.django_db
def test_events_without_id_are_new_events_on_every_retry(client_for):
    """Verifies events without id get fresh 32-hex server ids, so a retry stores them again: no idempotency."""
    batch = [product(id=None), product(id=None), product(id=None)]
    assert client_for.post(URL, batch, format="json").json() == {"accepted": 3, "duplicates": 0}
    assert client_for.post(URL, batch, format="json").json() == {"accepted": 3, "duplicates": 0}
    ids = list(Event.objects.values_list("event_id", flat=True))
    assert len(ids) == 6
    assert len(set(ids)) == 6
    assert all(len(event_id) == 32 and int(event_id, 16) >= 0 for event_id in ids)
    assert hourly_events() == 6


@pytest.mark.django_db
def test_bare_string_dimensions_are_stored_as_ids_without_attributes(client_for):
    """Verifies channel, agent and customer as bare strings become their ids, with no name, email or type."""
    event = product(channel="email", agent="a1", customer="u1")
    assert client_for.post(URL, event, format="json").json() == {"accepted": 1, "duplicates": 0}
    row = Event.objects.values(
        "channel_id",
        "channel_name",
        "agent_id",
        "agent_name",
        "agent_email",
        "customer_id",
        "customer_name",
        "customer_type",
    ).get()
    assert row == {
        "channel_id": "email",
        "channel_name": None,
        "agent_id": "a1",
        "agent_name": None,
        "agent_email": None,
        "customer_id": "u1",
        "customer_name": None,
        "customer_type": None,
    }


@pytest.mark.django_db
def test_object_dimensions_are_stored_with_their_attributes(client_for):
    """Verifies channel, agent and customer objects store their id and every attribute."""
    event = {
        "id": "r1",
        "name": "conversation.agent_replied",
        "occurred_at": "2026-05-01T10:00:00+02:00",
        "conversation_id": "c1",
        "channel": {"id": "email", "name": "Email"},
        "agent": {"id": "a1", "name": "Ann", "email": "ann@example.com"},
        "customer": {"id": "u1", "name": "Uma", "type": "person", "occupation": "pilot"},
        "session_id": "s1",
        "user_id": "user-1",
    }
    assert client_for.post(URL, [event], format="json").json() == {"accepted": 1, "duplicates": 0}
    row = stored("r1")
    assert (row.name, row.conversation_id, row.session_id, row.user_id) == (
        "conversation.agent_replied",
        "c1",
        "s1",
        "user-1",
    )
    assert (row.channel_id, row.channel_name) == ("email", "Email")
    assert (row.agent_id, row.agent_name, row.agent_email) == ("a1", "Ann", "ann@example.com")
    assert (row.customer_id, row.customer_name, row.customer_type, row.customer_occupation) == (
        "u1",
        "Uma",
        "person",
        "pilot",
    )
    assert row.occurred_at.isoformat() == "2026-05-01T08:00:00+00:00"
    assert row.value is None
    assert row.properties == {}


@pytest.mark.django_db
def test_dimension_object_with_only_an_id_has_null_attributes(client_for):
    """Verifies an object dimension without attributes, or with null ones, stores NULL attributes."""
    event = product(agent={"id": "a1", "name": None}, channel={"id": "web"})
    assert client_for.post(URL, event, format="json").status_code == 201
    row = stored("p1")
    assert (row.agent_id, row.agent_name, row.agent_email, row.channel_id, row.channel_name) == (
        "a1",
        None,
        None,
        "web",
        None,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(5, Decimal("5.000000"), id="int"),
        pytest.param(-3, Decimal("-3.000000"), id="negative-int"),
        pytest.param(0.1, Decimal("0.100000"), id="float-0.1"),
        pytest.param(2.5, Decimal("2.500000"), id="float-2.5"),
        pytest.param(123456789012.123456, Decimal("123456789012.123460"), id="float-sent-as-shortest-repr"),
        pytest.param(None, None, id="null"),
    ],
)
@pytest.mark.django_db
def test_value_is_stored_as_a_six_place_decimal(client_for, value, expected):
    """Verifies value (int, float or null) is stored as an exact decimal with 6 places (more places: a 400)."""
    event = {**product(), "value": value}
    response = client_for.post(URL, event, format="json")
    assert response.status_code == 201
    assert stored("p1").value == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        pytest.param(b"0.1", Decimal("0.100000"), id="short"),
        pytest.param(b"123456789012.123456", Decimal("123456789012.123456"), id="18-significant-digits"),
        pytest.param(b"99999999999999.999999", Decimal("99999999999999.999999"), id="20-significant-digits"),
        pytest.param(b"999999999999999999.999999", Decimal("999999999999999999.999999"), id="largest-in-range"),
    ],
)
@pytest.mark.django_db
def test_json_number_text_with_six_decimals_is_stored_exactly(client_for, number, expected):
    """Verifies a JSON value with at most 6 decimals and under 1e18 is stored digit for digit in numeric(24, 6)."""
    raw = b'{"id": "p1", "name": "signup", "occurred_at": "2026-05-01T10:00:00Z", "value": ' + number + b"}"
    response = client_for.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 201
    assert stored("p1").value == expected


@pytest.mark.django_db
def test_product_event_with_properties_is_stored_verbatim(client_for):
    """Verifies a product event's properties, nested objects and lists included, are stored exactly."""
    properties = {"plan": "pro", "seats": 3, "trial": False, "tags": ["a", 1, None], "meta": {"ref": "ad", "x": 1.5}}
    event = product(name="billing.plan_changed:v2", value=49.99, properties=properties)
    assert client_for.post(URL, event, format="json").json() == {"accepted": 1, "duplicates": 0}
    row = stored("p1")
    assert (row.name, row.value, row.properties) == ("billing.plan_changed:v2", Decimal("49.990000"), properties)


@pytest.mark.django_db
def test_single_object_body_is_accepted_as_one_event(client_for):
    """Verifies a body that is one event object (not a list) is stored as one event with server-set received_at."""
    before = timezone.now()
    response = client_for.post(URL, product(), format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 1, "duplicates": 0}
    row = stored("p1")
    assert (row.name, row.occurred_at.isoformat()) == ("signup", "2026-05-01T10:00:00+00:00")
    assert row.received_at >= before - timedelta(seconds=1)


@pytest.mark.django_db
def test_surrounding_whitespace_is_trimmed_from_text_fields(client_for):
    """Verifies the name, ids and timestamp are stored without surrounding whitespace."""
    event = product(id=" p1 ", name=" signup ", occurred_at=" 2026-05-01T10:00:00Z ", channel=" web ")
    assert client_for.post(URL, event, format="json").status_code == 201
    row = Event.objects.get()
    assert (row.event_id, row.name, row.channel_id) == ("p1", "signup", "web")


@pytest.mark.django_db
def test_every_support_event_name_is_accepted(client_for):
    """Verifies all six conversation.* events are accepted with conversation_id, channel and, where needed, agent."""
    names = [
        "conversation.created",
        "conversation.assigned",
        "conversation.agent_replied",
        "conversation.customer_replied",
        "conversation.resolved",
        "conversation.reopened",
    ]
    batch = [
        {
            "id": f"e{minute}",
            "name": name,
            "occurred_at": f"2026-05-01T10:{minute:02d}:00Z",
            "conversation_id": "c1",
            "channel": "email",
            **({"agent": "a1"} if name in ("conversation.assigned", "conversation.agent_replied") else {}),
        }
        for minute, name in enumerate(names)
    ]
    assert client_for.post(URL, batch, format="json").json() == {"accepted": 6, "duplicates": 0}
    assert sorted(Event.objects.values_list("name", flat=True)) == sorted(names)


@pytest.mark.django_db
def test_update_of_a_raw_event_is_refused_by_the_database(client_for):
    """Verifies the append_only trigger makes an ORM UPDATE raise InternalError and the row keeps its values."""
    client_for.post(URL, product(), format="json")
    with pytest.raises(InternalError, match="append_only"), transaction.atomic():
        Event.objects.filter(event_id="p1").update(name="x")
    assert stored("p1").name == "signup"


@pytest.mark.django_db
def test_raw_sql_update_of_a_raw_event_is_refused(client_for):
    """Verifies the protection lives in PostgreSQL: a hand-written UPDATE is refused too and changes nothing."""
    client_for.post(URL, product(value=1), format="json")
    with pytest.raises(InternalError, match="append_only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE event SET value = 2 WHERE event_id = 'p1'")
    assert stored("p1").value == Decimal("1.000000")


def listing_ids(client, params=None) -> list[str]:
    response = client.get(URL, params or {})
    assert response.status_code == 200, response.content
    return [event["id"] for event in response.json()["results"]]


@pytest.fixture
def listed(client_for):
    """Four events of acme at distinct times, posted out of order."""
    batch = [
        product(id="a", occurred_at="2026-05-01T10:00:00Z"),
        product(id="d", occurred_at="2026-05-04T10:00:00Z", name="login"),
        product(id="b", occurred_at="2026-05-02T10:00:00Z", name="login", conversation_id="c9"),
        product(id="c", occurred_at="2026-05-03T10:00:00Z"),
    ]
    assert client_for.post(URL, batch, format="json").json() == {"accepted": 4, "duplicates": 0}
    return client_for


@pytest.mark.django_db
def test_listing_is_newest_first(listed):
    """Verifies GET lists the workspace's raw events by occurred_at descending, whatever the insertion order."""
    assert listing_ids(listed) == ["d", "c", "b", "a"]


@pytest.mark.django_db
def test_listing_shows_every_field_of_an_event(client_for):
    """Verifies the listing serializes an event's fields, dimensions as objects and value as a number."""
    event = product(
        id="full",
        occurred_at="2026-05-01T12:00:00+02:00",
        channel={"id": "web", "name": "Web"},
        customer="u1",
        value=0.1,
        properties={"k": "v"},
    )
    client_for.post(URL, event, format="json")
    [result] = client_for.get(URL).json()["results"]
    assert result.pop("received_at")
    assert result == {
        "id": "full",
        "name": "signup",
        "occurred_at": "2026-05-01T10:00:00Z",
        "conversation_id": None,
        "channel": {"id": "web", "name": "Web"},
        "agent": None,
        "customer": {"id": "u1", "name": None, "type": None, "occupation": None},
        "session_id": None,
        "user_id": None,
        "value": 0.1,
        "properties": {"k": "v"},
        "category": None,
    }


@pytest.mark.django_db
def test_listing_filters_by_name(listed):
    """Verifies the name filter is an exact match and keeps the newest-first order."""
    assert listing_ids(listed, {"name": "login"}) == ["d", "b"]
    assert listing_ids(listed, {"name": "signup"}) == ["c", "a"]
    assert listing_ids(listed, {"name": "sign"}) == []


@pytest.mark.django_db
def test_listing_filters_by_conversation_id(listed):
    """Verifies the conversation_id filter returns only that conversation's events."""
    assert listing_ids(listed, {"conversation_id": "c9"}) == ["b"]


@pytest.mark.django_db
def test_listing_from_is_inclusive_and_to_is_exclusive(listed):
    """Verifies from/to select the half-open range [from, to) of occurred_at."""
    assert listing_ids(listed, {"from": "2026-05-02T10:00:00Z"}) == ["d", "c", "b"]
    assert listing_ids(listed, {"to": "2026-05-03T10:00:00Z"}) == ["b", "a"]
    assert listing_ids(listed, {"from": "2026-05-02T10:00:00Z", "to": "2026-05-04T10:00:00Z"}) == ["c", "b"]


@pytest.mark.django_db
def test_listing_date_bounds_are_midnight_in_the_workspace_zone(make_client, other_workspace):
    """Verifies a bare date in from/to means midnight in the workspace's zone (Europe/Berlin, UTC+2 in May)."""
    client = make_client(other_workspace)
    batch = [
        product(id="before", occurred_at="2026-05-01T21:59:59Z"),
        product(id="after", occurred_at="2026-05-01T22:00:00Z"),
    ]
    client.post(URL, batch, format="json")
    assert listing_ids(client, {"from": "2026-05-02"}) == ["after"]
    assert listing_ids(client, {"to": "2026-05-02"}) == ["before"]
    assert listing_ids(client, {"from": "2026-05-02", "tz": "UTC"}) == []


@pytest.mark.django_db
def test_listing_name_and_range_filters_combine(listed):
    """Verifies filters combine with AND."""
    assert listing_ids(listed, {"name": "login", "from": "2026-05-03"}) == ["d"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"from": "last tuesday"}, "from", id="from-garbage"),
        pytest.param({"from": "2026-05-01T10:00:00"}, "from", id="from-naive"),
        pytest.param({"to": "2026-13-01"}, "to", id="to-bad-date"),
        pytest.param({"tz": "Mars/Olympus"}, "tz", id="tz-unknown"),
        pytest.param({"name": "a" * 129}, "name", id="name-too-long"),
        pytest.param({"conversation_id": "c\x001"}, "conversation_id", id="conversation-id-nul"),
    ],
)
@pytest.mark.django_db
def test_bad_listing_parameter_is_a_400_naming_it(listed, params, field):
    """Verifies a malformed listing parameter is a 400 whose single error names the parameter, index null."""
    response = listed.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert [(error["index"], error["field"]) for error in body["errors"]] == [(None, field)]


@pytest.mark.django_db
def test_listing_pages_with_a_cursor(listed):
    """Verifies page_size limits a page and following `next` continues newest first without repeats."""
    first = listed.get(URL, {"page_size": 3}).json()
    assert [event["id"] for event in first["results"]] == ["d", "c", "b"]
    assert first["previous"] is None
    second = listed.get(first["next"]).json()
    assert [event["id"] for event in second["results"]] == ["a"]
    assert second["next"] is None
