"""The fast path of ingest validation (batches and single events): plain functions that accept
the common, well-formed event and give exactly what EventSerializer would give for it, without
DRF's per-field machinery (which costs about 0.1 s per 1000 events, and a deep copy of the
serializer's fields per request).

The fast path only ever accepts; it never explains. On anything it is not sure of (a type it does
not expect, whitespace DRF would trim, a rule broken) it answers None, and the batch goes through
EventSerializer, whose error records are the API's. So the error behaviour is the serializer's by
construction, and tests/analytics/test_fast_validation.py checks on random input that whatever
the fast path accepts, the serializer accepts with the same result.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError

from analytics import serializers as rules

FIELDS = frozenset(rules.EventSerializer._declared_fields)
TEXT_LIMITS = {"id": 64, "name": 100, "conversation_id": 64, "session_id": 128, "user_id": 128, "category": 100}
NULLABLE_TEXT = frozenset({"conversation_id", "session_id", "user_id", "category"})
DIMENSIONS = {
    "channel": {"name": 200},
    "agent": {"name": 200, "email": 254},
    "customer": {"name": 200, "type": 50, "occupation": 100},
}
_timestamp = rules.TimestampField()
_value = rules.ValueField()
_properties = rules.PropertiesField()


def plain_text(value, limit: int, *, blank: bool = False) -> bool:
    """A string DRF's CharField (and TextField) would keep exactly as it is."""
    if not isinstance(value, str) or len(value) > limit or value != value.strip():
        return False
    if not value:
        return blank
    if value.isascii():
        return "\x00" not in value
    try:
        rules.check_text(value)
    except ValidationError:
        return False
    return True


def dimension(value, attributes: dict[str, int]) -> dict | None:
    if isinstance(value, str):
        value = {"id": value}
    if not isinstance(value, dict) or not plain_text(value.get("id"), 64) or not set(value) <= {"id", *attributes}:
        return None
    result = {"id": value["id"]}
    for name, limit in attributes.items():
        item = value.get(name)
        if item is not None and not plain_text(item, limit, blank=True):
            return None
        result[name] = item
    return result


def event(data) -> dict | None:
    """EventSerializer's validated data for `data`, or None: "ask the serializer"."""
    if not isinstance(data, dict) or not data.keys() <= FIELDS or "name" not in data or "occurred_at" not in data:
        return None
    result = {}
    try:
        for key, value in data.items():
            if key in TEXT_LIMITS:
                if value is None and key in NULLABLE_TEXT:
                    result[key] = None
                    continue
                if not plain_text(value, TEXT_LIMITS[key]):
                    return None
                result[key] = value
            elif key in DIMENSIONS:
                result[key] = None if value is None else dimension(value, DIMENSIONS[key])
                if value is not None and result[key] is None:
                    return None
            elif key == "occurred_at":
                result[key] = _timestamp.to_internal_value(value)
            elif key == "value":
                result[key] = None if value is None else _value.to_internal_value(value)
            else:  # properties
                result[key] = _properties.to_internal_value(value)
    except (ValidationError, DjangoValidationError):
        return None
    name = result["name"]
    if rules.name_problem(name) is not None:
        return None
    if name in rules.SUPPORT_EVENTS and rules.support_event_problems(result):
        return None
    return result


def batch(data: list) -> list[dict] | None:
    """Every event of the batch through the fast path, or None as soon as one needs the serializer."""
    validated = []
    for item in data:
        result = event(item)
        if result is None:
            return None
        validated.append(result)
    return validated
