"""The fast path of batch validation (analytics.fast_validation) may accept only what
EventSerializer accepts, with the same validated data; everything else goes to the serializer."""

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import fast_validation
from analytics.serializers import EventSerializer
from tests.factories import event_streams, examples

texts = st.one_of(
    st.sampled_from(["c1", "email", "Ann", "", " padded ", "tab\t", "x" * 64, "x" * 65, "x" * 129, "é", "a\x00b"]),
    st.text(max_size=8),
)
names = st.one_of(
    st.sampled_from(
        [
            "conversation.created",
            "conversation.assigned",
            "conversation.agent_replied",
            "conversation.resolved",
            "conversation.rated",
            "conversation.labeled",
            "conversation.unlabeled",
        ]
    ),
    st.sampled_from(["conversation.nope", "signup", "page.view", "Page", "checkout:paid", " signup", "a" * 101]),
    texts,
)
timestamps = st.sampled_from(
    [
        "2026-03-02T08:00:00Z",
        "2026-03-02T08:00:00+05:30",
        "2026-03-02T08:00:00",
        "yesterday",
        " 2026-03-02T08:00Z ",
        "2999-01-01T00:00:00Z",
        "0001-01-01T00:30:00+01:00",
        "",
    ]
)
numbers = st.one_of(
    st.integers(-(10**19), 10**19),
    st.decimals(allow_nan=False, allow_infinity=False, places=8),
    st.sampled_from([True, Decimal("1e400"), Decimal("NaN"), "5", None]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), texts, st.decimals(allow_nan=False, allow_infinity=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8,
)


ids = st.text(
    st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_categories=("Cs", "Zs")), min_size=1, max_size=8
)


def dimension(attributes: list[str]):
    keys = st.sampled_from(["id", *attributes, "extra"])
    wrong = st.one_of(
        st.none(), texts, st.integers(), st.dictionaries(keys, st.one_of(texts, st.none(), st.integers()))
    )
    right = st.one_of(
        ids,
        st.fixed_dictionaries(
            {"id": ids}, optional={name: st.one_of(ids, st.none(), st.just("")) for name in attributes}
        ),
    )
    return st.one_of(right, right, wrong)


def either(right, wrong):
    """Mostly right (so that whole events pass), sometimes wrong."""
    return st.one_of(right, right, right, wrong)


@st.composite
def raw_events(draw) -> dict:
    """Events near the edge of every rule: each value right more often than not."""
    candidates = {
        "id": either(ids, st.one_of(texts, st.none(), st.integers())),
        "name": either(
            st.sampled_from(["signup", "conversation.created", "conversation.resolved", "conversation.rated"]), names
        ),
        "occurred_at": either(st.sampled_from(["2026-03-02T08:00:00Z", "2026-03-02T09:15:00.5+05:30"]), timestamps),
        "conversation_id": either(ids, st.one_of(texts, st.none())),
        "channel": dimension(["name"]),
        "agent": dimension(["name", "email"]),
        "customer": dimension(["name", "type"]),
        "session_id": either(ids, st.one_of(texts, st.none())),
        "user_id": either(ids, st.one_of(texts, st.none())),
        "value": either(st.one_of(st.integers(-(10**6), 10**6), st.integers(0, 6)), numbers),
        "properties": either(
            st.one_of(
                st.dictionaries(ids, json_values, max_size=3),
                st.dictionaries(st.sampled_from(["label", "team", "comment"]), json_values, max_size=2),
            ),
            json_values,
        ),
    }
    keys = draw(st.sets(st.sampled_from(sorted(candidates)), min_size=1))
    if draw(st.integers(0, 9)) > 0:
        keys |= {"name", "occurred_at"}
    event = {key: draw(candidates[key]) for key in keys}
    if draw(st.integers(0, 19)) == 0:
        event["propertis"] = {}
    return event


def serializer_result(data: dict):
    serializer = EventSerializer(data=data)
    return serializer.validated_data if serializer.is_valid() else None


@settings(max_examples=examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_events())
def test_fast_path_accepts_only_what_the_serializer_accepts_and_gives_the_same(data):
    """Verifies, on events around every validation rule, that whatever the fast path accepts the
    serializer accepts too, with equal validated data."""
    fast = fast_validation.event(data)
    if fast is not None:
        assert fast == serializer_result(data)


@settings(max_examples=examples(100), deadline=None)
@given(event_streams())
def test_fast_path_takes_well_formed_events(events):
    """Verifies the events the invariant tests send (parsed as the API parses them) take the fast
    path, and that it agrees with the serializer on each."""
    parsed = json.loads(json.dumps(events), parse_float=Decimal)
    assert all(fast_validation.event(item) is not None for item in parsed)
    for item in parsed:
        assert fast_validation.event(item) == serializer_result(item)


@pytest.mark.parametrize(
    "data",
    [
        {"name": "signup", "occurred_at": "2026-03-02T08:00:00Z", "id": " padded"},
        {"name": "signup", "occurred_at": "2026-03-02T08:00:00Z", "propertis": {}},
        {
            "name": "conversation.assigned",
            "occurred_at": "2026-03-02T08:00:00Z",
            "conversation_id": "c",
            "channel": "e",
        },
        {"name": "signup", "occurred_at": "2026-03-02T08:00:00Z", "value": True},
        {"name": "signup", "occurred_at": "2026-03-02T08:00:00Z", "agent": {"id": "a", "name": "x" * 201}},
        {"name": "signup", "occurred_at": "2026-03-02T08:00:00"},
    ],
)
def test_fast_path_defers_to_the_serializer(data):
    """Verifies a few events the serializer refuses (or would trim) get None from the fast path."""
    assert fast_validation.event(data) is None
