"""POST /api/v1/events/ refuses every kind of bad input with a 400 (413 for an oversized body) that
names the wrong field and its position, and writes nothing."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Event

URL = "/api/v1/events/"
SUPPORT_NAMES = (
    "conversation.agent_replied, conversation.assigned, conversation.created, "
    "conversation.customer_replied, conversation.labeled, conversation.rated, "
    "conversation.reopened, conversation.resolved, conversation.unlabeled"
)
PRODUCT_NAME_RULE = (
    "A product event name is lowercase letters, digits and _ . : -, words separated by single spaces (at most 100 "
    "characters), starting with a letter or digit."
)
DIMENSION_INVALID = 'Must be an id string or an object with an "id".'
REQUIRED = "This field is required."
NUL = "Must not contain NUL characters."


def product(**overrides) -> dict:
    """A valid product event; an override of None removes the key."""
    event = {"id": "p1", "name": "signup", "occurred_at": "2026-05-01T10:00:00Z", **overrides}
    return {key: value for key, value in event.items() if value is not None}


def support(name: str = "conversation.agent_replied", **overrides) -> dict:
    """A valid support event; an override of None removes the key."""
    event = {
        "id": "s1",
        "name": name,
        "occurred_at": "2026-05-01T10:00:00Z",
        "conversation_id": "c1",
        "channel": "email",
        "agent": "a1",
        **overrides,
    }
    return {key: value for key, value in event.items() if value is not None}


def errors_of(response) -> list[tuple]:
    return [(error["index"], error["field"], error["message"]) for error in response.json()["errors"]]


@pytest.fixture
def seeded(client_for):
    """The acme client with one event already stored, so "nothing written" is checked against a non-empty table."""
    response = client_for.post(URL, product(id="seed"), format="json")
    assert response.status_code == 201
    assert Event.objects.count() == 1
    return client_for


INVALID_EVENTS = [
    pytest.param(product(name=None), [("name", REQUIRED)], id="missing-name"),
    pytest.param(product(name=""), [("name", "This field may not be blank.")], id="blank-name"),
    pytest.param(product(name=7), [("name", "Not a valid string.")], id="name-not-a-string"),
    pytest.param(product(occurred_at=None), [("occurred_at", REQUIRED)], id="missing-occurred-at"),
    pytest.param(
        product(occurred_at="2026-01-01T10:00:00"), [("occurred_at", "Must carry a UTC offset or Z.")], id="naive"
    ),
    pytest.param(product(occurred_at="2026-01-01"), [("occurred_at", "Must carry a UTC offset or Z.")], id="date-only"),
    pytest.param(
        product(occurred_at="last tuesday"),
        [("occurred_at", "Must be an ISO 8601 timestamp, e.g. 2026-11-22T10:00:00Z.")],
        id="occurred-at-garbage",
    ),
    pytest.param(
        product(occurred_at="2026-13-01T10:00:00Z"),
        [("occurred_at", "Must be an ISO 8601 timestamp, e.g. 2026-11-22T10:00:00Z.")],
        id="occurred-at-month-13",
    ),
    pytest.param(
        product(occurred_at=1767261600),
        [("occurred_at", "Must be an ISO 8601 timestamp, e.g. 2026-11-22T10:00:00Z.")],
        id="occurred-at-epoch-number",
    ),
    pytest.param(
        product(name="conversation.deleted"),
        [("name", f"Unknown support event; the conversation.* events are: {SUPPORT_NAMES}.")],
        id="unknown-support-event",
    ),
    pytest.param(
        product(name="conversation."),
        [("name", f"Unknown support event; the conversation.* events are: {SUPPORT_NAMES}.")],
        id="bare-conversation-namespace",
    ),
    pytest.param(product(name="Signup!"), [("name", PRODUCT_NAME_RULE)], id="name-with-bang"),
    pytest.param(product(name="Signup"), [("name", PRODUCT_NAME_RULE)], id="name-uppercase"),
    pytest.param(product(name="sign  up"), [("name", PRODUCT_NAME_RULE)], id="name-double-space"),
    pytest.param(product(name="_signup"), [("name", PRODUCT_NAME_RULE)], id="name-leading-underscore"),
    pytest.param(
        product(name="s" * 101),
        [("name", "Ensure this field has no more than 100 characters.")],
        id="name-101-chars",
    ),
    pytest.param(
        support("conversation.created", conversation_id=None, agent=None),
        [("conversation_id", "Is required for conversation.created.")],
        id="support-without-conversation-id",
    ),
    pytest.param(
        support("conversation.resolved", channel=None),
        [("channel", "Is required for conversation.resolved.")],
        id="support-without-channel",
    ),
    pytest.param(
        support("conversation.reopened", channel=None, conversation_id=None),
        [
            ("conversation_id", "Is required for conversation.reopened."),
            ("channel", "Is required for conversation.reopened."),
        ],
        id="support-without-conversation-id-and-channel",
    ),
    pytest.param(
        support("conversation.assigned", agent=None),
        [("agent", "Is required for conversation.assigned.")],
        id="assigned-without-agent",
    ),
    pytest.param(
        support("conversation.agent_replied", agent=None),
        [("agent", "Is required for conversation.agent_replied.")],
        id="agent-replied-without-agent",
    ),
    pytest.param(
        support("conversation.rated", agent=None),
        [("value", "Is required for conversation.rated: the score, a whole number from 1 to 5.")],
        id="rated-without-score",
    ),
    pytest.param(
        support("conversation.rated", value=6),
        [("value", "Must be a whole number from 1 to 5 for conversation.rated; got 6.")],
        id="rated-score-6",
    ),
    pytest.param(
        support("conversation.rated", value=0),
        [("value", "Must be a whole number from 1 to 5 for conversation.rated; got 0.")],
        id="rated-score-0",
    ),
    pytest.param(
        support("conversation.rated", value=4.5),
        [("value", "Must be a whole number from 1 to 5 for conversation.rated; got 4.5.")],
        id="rated-score-fraction",
    ),
    pytest.param(
        support("conversation.rated", value=5, properties={"comment": 7}),
        [("properties.comment", "Must be a non-empty string.")],
        id="rated-comment-number",
    ),
    pytest.param(
        support("conversation.rated", value=5, properties={"comment": "x" * 2001}),
        [("properties.comment", "Must be at most 2000 characters.")],
        id="rated-comment-2001-chars",
    ),
    pytest.param(
        support("conversation.labeled"),
        [("properties.label", "Is required for conversation.labeled.")],
        id="labeled-without-label",
    ),
    pytest.param(
        support("conversation.unlabeled", properties={"label": " "}),
        [("properties.label", "Must be a non-empty string.")],
        id="unlabeled-blank-label",
    ),
    pytest.param(
        support("conversation.labeled", properties={"label": "x" * 65}),
        [("properties.label", "Must be at most 64 characters.")],
        id="labeled-label-65-chars",
    ),
    pytest.param(
        support("conversation.assigned", properties={"team": ["billing"]}),
        [("properties.team", "Must be a non-empty string.")],
        id="assigned-team-list",
    ),
    pytest.param(
        support("conversation.rated", channel=None, value=9),
        [
            ("channel", "Is required for conversation.rated."),
            ("value", "Must be a whole number from 1 to 5 for conversation.rated; got 9."),
        ],
        id="rated-without-channel-and-score-9",
    ),
    pytest.param(product(id="x" * 65), [("id", "Ensure this field has no more than 64 characters.")], id="id-65-chars"),
    pytest.param(product(id=17), [("id", "Not a valid string.")], id="id-number"),
    pytest.param(product(value="12"), [("value", "Must be a number.")], id="value-string"),
    pytest.param(product(value=True), [("value", "Must be a number.")], id="value-boolean"),
    pytest.param(product(value=10**18), [("value", "Must be between -1e18 and 1e18.")], id="value-1e18"),
    pytest.param(product(value=-(10**18)), [("value", "Must be between -1e18 and 1e18.")], id="value-minus-1e18"),
    pytest.param(product(value=1e19), [("value", "Must be between -1e18 and 1e18.")], id="value-float-1e19"),
    pytest.param(product(value=10**40), [("value", "Must be between -1e18 and 1e18.")], id="value-1e40"),
    pytest.param(product(properties=["plan", "pro"]), [("properties", "Must be a JSON object.")], id="props-list"),
    pytest.param(product(properties="plan=pro"), [("properties", "Must be a JSON object.")], id="props-string"),
    pytest.param(product(name="sign\x00up"), [("name", NUL)], id="nul-in-name"),
    pytest.param(support(conversation_id="c\x001"), [("conversation_id", NUL)], id="nul-in-conversation-id"),
    pytest.param(product(user_id="u\x00"), [("user_id", NUL)], id="nul-in-user-id"),
    pytest.param(product(properties={"plan": "pro\x00"}), [("properties", NUL)], id="nul-in-property-value"),
    pytest.param(product(properties={"pl\x00an": "pro"}), [("properties", NUL)], id="nul-in-property-key"),
    pytest.param(
        product(properties={"tags": [{"deep": ["ok", "n\x00"]}]}), [("properties", NUL)], id="nul-nested-in-props"
    ),
    pytest.param(product(channel={"id": "e\x00mail"}), [("channel.id", NUL)], id="nul-in-channel-id"),
    pytest.param(product(channel=7), [("channel", DIMENSION_INVALID)], id="channel-number"),
    pytest.param(product(channel=["email"]), [("channel", DIMENSION_INVALID)], id="channel-list"),
    pytest.param(product(channel={"name": "Email"}), [("channel", DIMENSION_INVALID)], id="channel-without-id"),
    pytest.param(
        product(channel={"id": "email", "colour": "red"}),
        [("channel", "Unknown keys: colour; allowed: id, name.")],
        id="channel-unknown-key",
    ),
    pytest.param(
        product(agent={"id": "a1", "phone": "1", "age": 3}),
        [("agent", "Unknown keys: age, phone; allowed: id, name, email.")],
        id="agent-unknown-keys",
    ),
    pytest.param(
        product(channel={"id": "c" * 65}),
        [("channel.id", "Ensure this field has no more than 64 characters.")],
        id="channel-id-65-chars",
    ),
    pytest.param(product(channel=""), [("channel.id", "This field may not be blank.")], id="channel-blank-string"),
    pytest.param(product(agent={"id": 5}), [("agent.id", "Not a valid string.")], id="agent-id-number"),
    pytest.param(
        product(agent={"id": "a1", "email": "e" * 255}),
        [("agent.email", "Ensure this field has no more than 254 characters.")],
        id="agent-email-255-chars",
    ),
    pytest.param(
        product(customer={"id": "u1", "type": ["vip"]}),
        [("customer.type", "Not a valid string.")],
        id="customer-type-list",
    ),
    pytest.param(
        product(customer={"id": "u1", "occupation": "o" * 101}),
        [("customer.occupation", "Ensure this field has no more than 100 characters.")],
        id="customer-occupation-101-chars",
    ),
    pytest.param(
        product(customer={"id": "u1", "job": "pilot"}),
        [("customer", "Unknown keys: job; allowed: id, name, type, occupation.")],
        id="customer-unknown-key",
    ),
]


@pytest.mark.parametrize(("event", "expected"), INVALID_EVENTS)
@pytest.mark.django_db
def test_invalid_single_event_is_a_400_with_null_index_and_writes_nothing(seeded, event, expected):
    """Verifies each validation rule answers 400 naming the field, index null for a single object, nothing written."""
    response = seeded.post(URL, event, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid input."
    assert errors_of(response) == [(None, field, message) for field, message in expected]
    assert Event.objects.count() == 1


@pytest.mark.parametrize(("event", "expected"), INVALID_EVENTS)
@pytest.mark.django_db
def test_invalid_event_inside_a_batch_is_a_400_naming_its_index_and_writes_nothing(seeded, event, expected):
    """Verifies each validation rule inside a batch names the item's index, and the valid items are not written."""
    batch = [product(id="ok-0"), event, product(id="ok-2")]
    response = seeded.post(URL, batch, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(1, field, message) for field, message in expected]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_occurred_at_six_minutes_in_the_future_is_refused(seeded):
    """Verifies occurred_at more than TALLY_MAX_FUTURE_SECONDS (300) ahead of the server clock is a 400."""
    later = (timezone.now() + timedelta(minutes=6)).isoformat()
    response = seeded.post(URL, product(occurred_at=later), format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(None, "occurred_at", "Is more than 300 seconds in the future.")]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_occurred_at_far_in_the_future_is_refused(seeded):
    """Verifies a timestamp years ahead is a 400 naming occurred_at."""
    response = seeded.post(URL, [product(id="ok"), product(occurred_at="2999-01-01T00:00:00Z")], format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(1, "occurred_at", "Is more than 300 seconds in the future.")]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_occurred_at_four_minutes_in_the_future_is_accepted(seeded):
    """Verifies a client clock up to 5 minutes ahead is tolerated: 4 minutes ahead is stored."""
    soon = timezone.now() + timedelta(minutes=4)
    response = seeded.post(URL, product(id="soon", occurred_at=soon.isoformat()), format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert Event.objects.get(event_id="soon").occurred_at == soon


@pytest.mark.django_db
def test_future_limit_follows_the_setting(seeded, settings):
    """Verifies the future tolerance is TALLY_MAX_FUTURE_SECONDS: at 60, an event 2 minutes ahead is refused."""
    settings.TALLY_MAX_FUTURE_SECONDS = 60
    later = (timezone.now() + timedelta(minutes=2)).isoformat()
    response = seeded.post(URL, product(occurred_at=later), format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(None, "occurred_at", "Is more than 60 seconds in the future.")]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_value_just_under_the_limit_is_accepted(seeded):
    """Verifies the largest value below 1e18 in magnitude (18 integer digits, 6 decimals) is stored exactly."""
    big = 10**18 - 1
    response = seeded.post(URL, [product(id="big", value=big), product(id="neg", value=-big)], format="json")
    assert response.status_code == 201
    assert sorted(Event.objects.exclude(event_id="seed").values_list("value", flat=True)) == [-big, big]


@pytest.mark.django_db
def test_several_bad_items_are_all_reported_with_their_index(seeded):
    """Verifies every wrong item of a batch is listed, in batch order, each with its index and field."""
    batch = [
        product(id="a", name="Bad"),
        product(id="b"),
        support("conversation.assigned", id="c", agent=None),
        product(id="d", value="1", properties=[]),
    ]
    response = seeded.post(URL, batch, format="json")
    assert response.status_code == 400
    assert [(index, field) for index, field, _ in errors_of(response)] == [
        (0, "name"),
        (2, "agent"),
        (3, "value"),
        (3, "properties"),
    ]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_non_object_item_in_a_batch_names_its_index(seeded):
    """Verifies a list item that is not an object is a 400 naming its index with no field."""
    response = seeded.post(URL, [product(id="ok"), "signup", product(id="ok2")], format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(1, None, "Invalid data. Expected a dictionary, but got str.")]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_nested_list_body_names_index_zero(seeded):
    """Verifies a list of lists is refused: its first item is not an event object."""
    response = seeded.post(URL, [[product(id="inner")]], format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(0, None, "Invalid data. Expected a dictionary, but got list.")]
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    ("raw", "detail_start"),
    [
        pytest.param(b'{"name": "signup",', "JSON parse error", id="truncated-object"),
        pytest.param(b"[{}", "JSON parse error", id="truncated-list"),
        pytest.param(b"{'name': 'signup'}", "JSON parse error", id="single-quotes"),
        pytest.param(b'{"name": "signup"} trailing', "JSON parse error", id="trailing-garbage"),
        pytest.param(
            b'{"name": "signup", "occurred_at": "2026-01-01T00:00:00Z", "value": NaN}', "JSON parse error", id="nan"
        ),
        pytest.param(
            b'{"name": "signup", "occurred_at": "2026-01-01T00:00:00Z", "value": -Infinity}',
            "JSON parse error",
            id="infinity",
        ),
        pytest.param(b"\xff\xfe{}", "Request body is not UTF-8", id="not-utf8"),
    ],
)
@pytest.mark.django_db
def test_malformed_json_is_a_400_and_writes_nothing(seeded, raw, detail_start):
    """Verifies a body that is not valid UTF-8 JSON is a 400 with a parse error detail."""
    response = seeded.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail_start)
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'"signup"', id="string"),
        pytest.param(b"42", id="integer"),
        pytest.param(b"4.2", id="float"),
        pytest.param(b"true", id="boolean"),
        pytest.param(b"null", id="null"),
    ],
)
@pytest.mark.django_db
def test_body_that_is_a_json_scalar_is_a_400(seeded, raw):
    """Verifies a JSON body that is neither an object nor a list is a 400 with index and field null."""
    response = seeded.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": [
            {"index": None, "field": None, "message": "The body must be an event object or a JSON list of events."}
        ],
    }
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_empty_body_is_a_400_naming_the_required_fields(seeded):
    """Verifies a POST without a body is treated as an empty object: name and occurred_at are required."""
    response = seeded.generic("POST", URL, b"", content_type="application/json")
    assert response.status_code == 400
    assert errors_of(response) == [(None, "name", REQUIRED), (None, "occurred_at", REQUIRED)]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_empty_list_is_a_400(seeded):
    """Verifies an empty batch is refused with index and field null."""
    response = seeded.post(URL, [], format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(None, None, "A batch needs at least one event.")]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_batch_of_1001_events_is_a_400(seeded, settings):
    """Verifies a list one longer than TALLY_MAX_BATCH (1000) is refused as a whole and writes nothing."""
    assert settings.TALLY_MAX_BATCH == 1000
    batch = [product(id=f"p{number}") for number in range(1001)]
    response = seeded.post(URL, batch, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(None, None, "A batch holds at most 1000 events.")]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_body_over_the_size_limit_is_a_413_and_writes_nothing(seeded, settings):
    """Verifies a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (set to 2000 bytes) answers 413."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    batch = [product(id=f"p{number}", properties={"pad": "x" * 100}) for number in range(20)]
    body = json.dumps(batch).encode()
    assert len(body) > 2000
    response = seeded.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": f"Request body is {len(body)} bytes; the limit is 2000."}
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_body_under_the_size_limit_is_accepted(seeded, settings):
    """Verifies a body within DATA_UPLOAD_MAX_MEMORY_SIZE (2000 bytes) is still accepted."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    body = json.dumps([product(id="p1"), product(id="p2")]).encode()
    assert len(body) < 2000
    response = seeded.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 2, "duplicates": 0}
    assert Event.objects.count() == 3


@pytest.mark.django_db
def test_lone_surrogate_in_a_string_field_is_a_400(seeded):
    """Verifies a JSON \\ud800 escape (unencodable in UTF-8) in a field is a 400 naming the field."""
    raw = b'{"name": "signup", "occurred_at": "2026-05-01T10:00:00Z", "session_id": "s\\ud800"}'
    response = seeded.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert errors_of(response) == [(None, "session_id", "Must be valid Unicode (no lone surrogates).")]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_lone_surrogate_inside_properties_is_a_400(seeded):
    """Verifies a lone surrogate in a properties key is a 400 naming properties."""
    raw = b'[{"name": "signup", "occurred_at": "2026-05-01T10:00:00Z", "properties": {"k\\udfff": 1}}]'
    response = seeded.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert errors_of(response) == [(0, "properties", "Must be valid Unicode (no lone surrogates).")]
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_deeply_nested_json_body_is_a_400_not_a_500(seeded):
    """Verifies a small body nested 100000 levels deep (beyond the JSON decoder's recursion limit) is a 400."""
    seeded.raise_request_exception = False
    raw = b"[" * 100_000 + b"]" * 100_000
    response = seeded.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_properties_nested_near_the_recursion_limit_never_crash(seeded):
    """Verifies properties nested 850 to 1000 levels deep each get a 201 or a 400, never an unhandled error."""
    seeded.raise_request_exception = False
    for depth in range(850, 1001):
        nested = b'{"a": ' * depth + b"1" + b"}" * depth
        raw = (
            b'{"id": "deep-%d", "name": "signup", "occurred_at": "2026-05-01T10:00:00Z", "properties": ' % depth
            + nested
            + b"}"
        )
        response = seeded.generic("POST", URL, raw, content_type="application/json")
        assert response.status_code in (201, 400), (depth, response.status_code)
    assert Event.objects.count() == 1 + Event.objects.filter(event_id__startswith="deep-").count()


@pytest.mark.django_db
def test_occurred_at_before_year_one_in_utc_is_a_400(seeded):
    """Verifies an occurred_at that is BC in UTC (0001-01-01T00:00:00+01:00) is a 400 naming occurred_at."""
    response = seeded.post(URL, product(id="ancient", occurred_at="0001-01-01T00:00:00+01:00"), format="json")
    assert response.status_code == 400
    assert [(index, field) for index, field, _ in errors_of(response)] == [(None, "occurred_at")]
    assert Event.objects.count() == 1
    assert seeded.get(URL).status_code == 200


@pytest.mark.django_db
def test_occurred_at_on_the_first_day_of_year_one_utc_is_stored_and_listed(seeded):
    """Verifies the earliest representable instant, 0001-01-01T00:00:00Z, is accepted and listed."""
    response = seeded.post(URL, product(id="first", occurred_at="0001-01-01T00:00:00Z"), format="json")
    assert response.status_code == 201
    listing = seeded.get(URL)
    assert listing.status_code == 200
    assert [(event["id"], event["occurred_at"]) for event in listing.json()["results"]] == [
        ("seed", "2026-05-01T10:00:00Z"),
        ("first", "0001-01-01T00:00:00Z"),
    ]


def padded_body(size: int) -> bytes:
    """One valid event whose JSON encoding is exactly `size` bytes, padded inside properties."""
    head = b'{"id": "padded", "name": "signup", "occurred_at": "2026-05-01T10:00:00Z", "properties": {"pad": "'
    tail = b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


@pytest.mark.django_db
def test_body_of_exactly_the_size_limit_is_accepted_and_one_byte_more_is_413(seeded, settings):
    """Verifies the limit is inclusive: a 2000-byte body is accepted, a 2001-byte body is a 413."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    over = seeded.generic("POST", URL, padded_body(2001), content_type="application/json")
    assert over.status_code == 413
    assert over.json() == {"detail": "Request body is 2001 bytes; the limit is 2000."}
    assert Event.objects.count() == 1
    exact = seeded.generic("POST", URL, padded_body(2000), content_type="application/json")
    assert exact.status_code == 201
    assert Event.objects.count() == 2


@pytest.mark.django_db
def test_value_overflowing_a_double_is_a_400(seeded):
    """Verifies a JSON value literal beyond the double range (1e400) is a 400 naming value."""
    raw = b'{"name": "signup", "occurred_at": "2026-05-01T10:00:00Z", "value": 1e400}'
    response = seeded.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert errors_of(response) == [(None, "value", "Must be between -1e18 and 1e18.")]
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    "properties",
    [
        pytest.param(b'{"x": 1e400}', id="positive-overflow"),
        pytest.param(b'{"x": [-1e999]}', id="negative-overflow-in-list"),
    ],
)
@pytest.mark.django_db
def test_property_number_overflowing_a_double_is_a_400_not_a_500(seeded, properties):
    """Verifies a properties number beyond the double range (decoded as infinity, which jsonb refuses) is a 400."""
    seeded.raise_request_exception = False
    raw = b'{"name": "signup", "occurred_at": "2026-05-01T10:00:00Z", "properties": ' + properties + b"}"
    response = seeded.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert Event.objects.count() == 1


NEW_SUPPORT_EVENTS = [
    support("conversation.rated", id="r1", agent=None, value=4, properties={"comment": "Quick and kind."}),
    support("conversation.rated", id="r2", value=1.0),
    support("conversation.labeled", id="l1", agent=None, properties={"label": "billing"}),
    support("conversation.unlabeled", id="l2", agent=None, properties={"label": "billing", "by": "rule 7"}),
    support("conversation.assigned", id="t1", properties={"team": "tier-2"}),
    support("conversation.assigned", id="t2"),
]


@pytest.mark.parametrize("event", NEW_SUPPORT_EVENTS, ids=lambda event: event["id"])
def test_rated_labeled_and_team_events_are_stored_as_sent(seeded, event):
    """Verifies a rating (score in value, optional comment), a label change and an assignment with
    or without a team are accepted one by one, and stored with their score and properties."""
    response = seeded.post(URL, event, format="json")
    assert response.status_code == 201, response.json()
    stored = Event.objects.get(event_id=event["id"])
    assert stored.name == event["name"]
    assert stored.properties == event.get("properties", {})
    assert stored.value == event.get("value")


def test_rated_labeled_and_team_events_are_accepted_in_one_batch(seeded):
    """Verifies the same events pass together in a batch (the fast path)."""
    response = seeded.post(URL, NEW_SUPPORT_EVENTS, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {"accepted": len(NEW_SUPPORT_EVENTS), "duplicates": 0}
