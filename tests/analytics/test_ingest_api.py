"""POST /api/v1/events/ through HTTP with real tokens: accepted forms, every validation rule,
all-or-nothing batches, idempotency, and the append-only raw table."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.models import Event
from tests.factories import examples

URL = "/api/v1/events/"


def product(**overrides) -> dict:
    return {"id": "p1", "name": "signup", "occurred_at": "2026-05-01T10:00:00Z", **overrides}


def reply(**overrides) -> dict:
    event = {
        "id": "r1",
        "name": "conversation.agent_replied",
        "occurred_at": "2026-05-01T10:00:00+02:00",
        "conversation_id": "c1",
        "channel": "email",
        "agent": "a1",
    }
    event.update(overrides)
    return {key: value for key, value in event.items() if value is not None}


def errors_of(response) -> list[tuple]:
    return [(error["index"], error["field"]) for error in response.json()["errors"]]


@pytest.mark.django_db
def test_single_object_body_is_one_accepted_event(client_for):
    """Verifies a body that is one event object is stored with every field flattened."""
    body = reply(
        channel={"id": "email", "name": "Email"},
        agent={"id": "a1", "name": "Ann", "email": "ann@example.com"},
        customer={"id": "u1", "name": "Uma", "type": "person"},
        session_id="s1",
        user_id="user-1",
        value=0.1,
        properties={"plan": "pro", "tags": ["a", 1, None]},
    )
    response = client_for.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 1, "duplicates": 0}
    event = Event.objects.get()
    assert (event.event_id, event.channel_name, event.agent_email, event.customer_type) == (
        "r1",
        "Email",
        "ann@example.com",
        "person",
    )
    assert event.occurred_at.isoformat() == "2026-05-01T08:00:00+00:00"
    assert event.value == Decimal("0.100000")
    assert event.properties == {"plan": "pro", "tags": ["a", 1, None]}
    assert event.received_at is not None


@pytest.mark.django_db
def test_bare_id_dimensions_are_accepted(client_for):
    """Verifies channel, agent and customer may be bare id strings."""
    response = client_for.post(URL, [reply(customer="u1")], format="json")
    assert response.status_code == 201
    assert Event.objects.values_list("channel_id", "channel_name", "agent_id", "customer_id").get() == (
        "email",
        None,
        "a1",
        "u1",
    )


@pytest.mark.django_db
def test_retrying_a_batch_writes_nothing_and_reports_duplicates(client_for):
    """Verifies the same batch posted twice is accepted once; the retry reports every event as a duplicate."""
    batch = [product(id=f"p{number}") for number in range(5)]
    assert client_for.post(URL, batch, format="json").json() == {"accepted": 5, "duplicates": 0}
    assert client_for.post(URL, batch, format="json").json() == {"accepted": 0, "duplicates": 5}
    assert Event.objects.count() == 5


@pytest.mark.django_db
def test_same_id_twice_in_one_batch_with_different_content_is_refused(client_for):
    """Verifies a batch repeating an id with another content is a 400 naming both positions, nothing stored."""
    batch = [product(value=1), product(value=2)]
    response = client_for.post(URL, batch, format="json")
    assert response.status_code == 400
    assert [(error["index"], error["field"]) for error in response.json()["errors"]] == [(0, "id"), (1, "id")]
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_events_without_id_are_new_events_on_every_post(client_for):
    """Verifies events without an id get server ids, so posting them again stores them again (no idempotency)."""
    batch = [product(id=None), product(id=None)]
    batch = [{key: value for key, value in event.items() if value is not None} for event in batch]
    assert client_for.post(URL, batch, format="json").json() == {"accepted": 2, "duplicates": 0}
    assert client_for.post(URL, batch, format="json").json() == {"accepted": 2, "duplicates": 0}
    assert len(set(Event.objects.values_list("event_id", flat=True))) == 4


@pytest.mark.django_db
def test_same_event_id_in_two_workspaces_is_two_events(make_client, workspace, other_workspace):
    """Verifies idempotency keys are per workspace."""
    for each in (workspace, other_workspace):
        response = make_client(each, ["ingest"]).post(URL, product(), format="json")
        assert response.json() == {"accepted": 1, "duplicates": 0}
    assert Event.objects.count() == 2


@pytest.mark.django_db
def test_event_four_minutes_in_the_future_is_accepted(client_for):
    """Verifies a small client clock skew (under 5 minutes ahead) is tolerated."""
    soon = (timezone.now() + timedelta(minutes=4)).isoformat()
    assert client_for.post(URL, product(occurred_at=soon), format="json").status_code == 201


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (product(name=None), "name"),
        (product(occurred_at=None), "occurred_at"),
        (product(occurred_at="2026-01-01T10:00:00"), "occurred_at"),
        (product(occurred_at="yesterday"), "occurred_at"),
        (product(occurred_at=1767261600), "occurred_at"),
        (product(name="conversation.deleted"), "name"),
        (product(name="Signup!"), "name"),
        (product(name="SIGNUP"), "name"),
        (product(name="s" * 101), "name"),
        (product(id="x" * 65), "id"),
        (product(id=17), "id"),
        (product(value="12"), "value"),
        (product(value=True), "value"),
        (product(value=1e18), "value"),
        (product(properties=["a"]), "properties"),
        (product(properties="a=b"), "properties"),
        (product(properties={"a": "nul\x00"}), "properties"),
        (product(user_id="nul\x00"), "user_id"),
        (product(channel=7), "channel"),
        (product(channel={"name": "Email"}), "channel"),
        (product(channel={"id": "email", "colour": "red"}), "channel"),
        (product(agent={"id": "a" * 65}), "agent.id"),
        (reply(conversation_id=None), "conversation_id"),
        (reply(channel=None), "channel"),
        (reply(agent=None), "agent"),
        (reply(name="conversation.assigned", agent=None), "agent"),
    ],
)
@pytest.mark.django_db
def test_invalid_event_is_a_400_naming_the_field_and_writes_nothing(client_for, event, field):
    """Verifies each validation rule answers 400 with the wrong field, for a single object and inside a batch."""
    event = {key: value for key, value in event.items() if value is not None}
    single = client_for.post(URL, event, format="json")
    assert single.status_code == 400
    assert errors_of(single) == [(None, field)]
    batch = client_for.post(URL, [product(id="ok-1"), product(id="ok-2"), event], format="json")
    assert batch.status_code == 400
    assert errors_of(batch) == [(2, field)]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_event_more_than_five_minutes_in_the_future_is_refused(client_for):
    """Verifies occurred_at more than 5 minutes ahead of the server clock is a 400."""
    later = (timezone.now() + timedelta(minutes=6)).isoformat()
    response = client_for.post(URL, product(occurred_at=later), format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(None, "occurred_at")]
    assert "300 seconds in the future" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_one_bad_item_rejects_the_whole_batch(client_for):
    """Verifies a batch is all-or-nothing: a bad item at index 2 of 5 is named and nothing is written."""
    batch = [product(id=f"p{number}") for number in range(5)]
    batch[2]["occurred_at"] = "not a time"
    response = client_for.post(URL, batch, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(2, "occurred_at")]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_every_bad_item_of_a_batch_is_reported(client_for):
    """Verifies errors of several items are all listed with their index."""
    batch = [product(id="a", name="Bad"), product(id="b"), reply(id="c", agent=None, channel=None)]
    batch = [{key: value for key, value in event.items() if value is not None} for event in batch]
    response = client_for.post(URL, batch, format="json")
    assert sorted(errors_of(response)) == [(0, "name"), (2, "agent"), (2, "channel")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"name": "signup",', "JSON parse error"),
        (b'"signup"', "event object or a JSON list"),
        (b"42", "event object or a JSON list"),
        (b"[]", "at least one event"),
        (b'{"name": "signup", "occurred_at": "2026-01-01T00:00:00Z", "value": NaN}', "JSON parse error"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
@pytest.mark.django_db
def test_malformed_bodies_are_a_400(client_for, raw, message):
    """Verifies bodies that are not a JSON event or list of events are refused with a reason."""
    response = client_for.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_batch_over_the_limit_is_a_400(client_for, settings):
    """Verifies a list longer than TALLY_MAX_BATCH is refused as a whole."""
    batch = [product(id=f"p{number}") for number in range(settings.TALLY_MAX_BATCH + 1)]
    response = client_for.post(URL, batch, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": None, "field": None, "message": f"A batch holds at most {settings.TALLY_MAX_BATCH} events."}
    ]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_body_over_the_size_limit_is_a_413(client_for, settings):
    """Verifies a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413 before parsing."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    batch = [product(id=f"p{number}", properties={"pad": "x" * 100}) for number in range(30)]
    response = client_for.post(URL, batch, format="json")
    assert response.status_code == 413
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_raw_events_are_append_only(client_for):
    """Verifies an UPDATE of the raw table is refused by the database and changes nothing."""
    client_for.post(URL, product(), format="json")
    with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
        Event.objects.update(name="tampered")
    assert Event.objects.get().name == "signup"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values | st.text(max_size=70),
        "name": json_values | st.sampled_from(["signup", "conversation.created", "conversation.agent_replied"]),
        "occurred_at": json_values
        | st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00", "2999-01-01T00:00Z"]),
        "conversation_id": json_values,
        "channel": json_values,
        "agent": json_values,
        "customer": json_values,
        "value": json_values,
        "properties": json_values,
    },
)


@pytest.mark.django_db
@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(event_like, st.lists(event_like, max_size=4), json_values))
def test_arbitrary_json_bodies_get_201_or_400_never_500(client_for, body):
    """Verifies random JSON bodies are either accepted or refused with a 400 that lists errors."""
    response = client_for.post(URL, body, format="json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert response.json()["detail"]


@pytest.mark.django_db
def test_unknown_top_level_field_is_a_400_naming_it(client_for):
    """Verifies a misspelt field is refused instead of silently dropped."""
    response = client_for.post(URL, product(propertis={"plan": "pro"}), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": None, "field": "propertis", "message": "Unknown field."}]
