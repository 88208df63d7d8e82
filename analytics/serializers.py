"""Validation of ingested events. Everything a client can get wrong is caught here, so the
INSERT that follows cannot fail on the client's data."""

import math
import re
from datetime import UTC, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.models import Event

SUPPORT_EVENTS = frozenset(
    {
        "conversation.created",
        "conversation.assigned",
        "conversation.agent_replied",
        "conversation.customer_replied",
        "conversation.resolved",
        "conversation.reopened",
        "conversation.rated",
        "conversation.labeled",
        "conversation.unlabeled",
    }
)
NEEDS_AGENT = frozenset({"conversation.assigned", "conversation.agent_replied"})
NEEDS_LABEL = frozenset({"conversation.labeled", "conversation.unlabeled"})
RATING_SCORES = range(1, 6)
LABEL_LENGTH = 64
TEAM_LENGTH = 64
COMMENT_LENGTH = 2000
# Words of lowercase letters, digits and _ . : -, separated by single spaces ("cta click"), kept as
# sent: never normalized, so "cta click" and "cta_click" are two names (docs/api.md, Event names).
PRODUCT_EVENT_NAME = re.compile(r"^(?=.{1,100}$)[a-z0-9][a-z0-9_.:-]*(?: [a-z0-9_.:-]+)*$")
VALUE_LIMIT = Decimal(10) ** 18
VALUE_PLACES = 6
VALUE_QUANTUM = Decimal(10) ** -VALUE_PLACES


def check_text(value: str) -> str:
    """PostgreSQL text cannot hold NUL, and UTF-8 cannot encode lone surrogates."""
    if "\x00" in value:
        raise serializers.ValidationError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise serializers.ValidationError("Must be valid Unicode (no lone surrogates).") from None
    return value


class TextField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return check_text(super().to_internal_value(data))


class TimestampField(serializers.Field):
    """ISO 8601 with an explicit UTC offset or Z; a naive timestamp is ambiguous and refused."""

    default_error_messages = {
        "invalid": "Must be an ISO 8601 timestamp, e.g. 2026-11-22T10:00:00Z.",
        "naive": "Must carry a UTC offset or Z.",
        "future": "Is more than {seconds} seconds in the future.",
        "range": "Is out of range once converted to UTC.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(data.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None:
            self.fail("naive")
        try:
            parsed = parsed.astimezone(UTC)
        except OverflowError:
            self.fail("range")
        limit = settings.TALLY_MAX_FUTURE_SECONDS
        if parsed > timezone.now() + timedelta(seconds=limit):
            self.fail("future", seconds=limit)
        return parsed

    def to_representation(self, value):
        return value.isoformat()


class ValueField(serializers.Field):
    """A JSON number, stored exactly in numeric(24, 6) (so sums do not depend on order). A number
    with more decimals than that is refused rather than rounded: 1e-7 stored as 0 would be a
    silent change of the client's figure."""

    default_error_messages = {
        "invalid": "Must be a number.",
        "range": "Must be between -1e18 and 1e18.",
        "places": "Has more than {places} decimal places ({value}); values are stored exactly with {places}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | Decimal):
            self.fail("invalid")
        value = Decimal(repr(data)) if isinstance(data, float) else Decimal(data)
        if not value.is_finite():
            self.fail("invalid")
        if abs(value) >= VALUE_LIMIT:
            self.fail("range")
        try:
            stored = value.quantize(VALUE_QUANTUM)
        except InvalidOperation:
            self.fail("range")
        if stored != value:
            self.fail("places", places=VALUE_PLACES, value=data)
        return stored

    def to_representation(self, value):
        return float(value)


class PropertiesField(serializers.Field):
    MAX_DEPTH = 32
    default_error_messages = {
        "invalid": "Must be a JSON object.",
        "depth": "Must not nest deeper than {depth} levels.",
        "number": "Holds a number out of range for JSON storage ({number}).",
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return self._clean(data, depth=1)

    def _clean(self, node, *, depth: int):
        """Checks text and depth, and turns parsed decimals into floats, which jsonb stores as numbers."""
        if depth > self.MAX_DEPTH:
            self.fail("depth", depth=self.MAX_DEPTH)
        if isinstance(node, str):
            return check_text(node)
        if isinstance(node, Decimal):
            number = float(node)
            if not math.isfinite(number):
                self.fail("number", number=node)
            return number
        if isinstance(node, dict):
            return {check_text(key): self._clean(item, depth=depth + 1) for key, item in node.items()}
        if isinstance(node, list):
            return [self._clean(item, depth=depth + 1) for item in node]
        return node

    def to_representation(self, value):
        return value


class DimensionField(serializers.Field):
    """An agent, channel or customer: a bare id string, or an object with "id" and attributes."""

    default_error_messages = {
        "invalid": 'Must be an id string or an object with an "id".',
        "unknown": "Unknown keys: {keys}; allowed: {allowed}.",
    }

    def __init__(self, *, attributes: dict[str, int], **kwargs):
        self.attributes = attributes
        self.id_field = TextField(max_length=64)
        self.attribute_fields = {
            name: TextField(max_length=length, allow_blank=True) for name, length in attributes.items()
        }
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = {"id": data}
        if not isinstance(data, dict) or "id" not in data:
            self.fail("invalid")
        unknown = set(data) - {"id", *self.attributes}
        if unknown:
            self.fail("unknown", keys=", ".join(sorted(unknown)), allowed=", ".join(["id", *self.attributes]))
        result = {"id": self._run(self.id_field, data["id"], "id")}
        for name, field in self.attribute_fields.items():
            value = data.get(name)
            result[name] = None if value is None else self._run(field, value, name)
        return result

    @staticmethod
    def _run(field, value, key):
        try:
            return field.run_validation(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({key: exc.detail}) from None

    def to_representation(self, value):
        return value


def name_problem(name: str) -> str | None:
    """Why `name` is not an event name, or None."""
    if name.startswith("conversation."):
        if name not in SUPPORT_EVENTS:
            return f"Unknown support event; the conversation.* events are: {', '.join(sorted(SUPPORT_EVENTS))}."
    elif not PRODUCT_EVENT_NAME.match(name):
        return (
            "A product event name is lowercase letters, digits and _ . : -, words separated by single "
            "spaces (at most 100 characters), starting with a letter or digit."
        )
    return None


def missing_for_support_event(attrs: dict) -> list[str]:
    """The fields a conversation.* event lacks (conversation_id and channel; agent where needed)."""
    missing = [field for field in ("conversation_id", "channel") if not attrs.get(field)]
    if attrs["name"] in NEEDS_AGENT and not attrs.get("agent"):
        missing.append("agent")
    return missing


def _text_problem(value, *, limit: int) -> str | None:
    """Why `value` is not a label, team or comment: a non-empty string of at most `limit`."""
    if not isinstance(value, str) or not value.strip():
        return "Must be a non-empty string."
    if len(value) > limit:
        return f"Must be at most {limit} characters."
    return None


def support_event_problems(attrs: dict) -> dict:
    """What a conversation.* event gets wrong, as a serializer error detail ({} when nothing):
    the fields it lacks (conversation_id and channel; agent where needed), and the score, label,
    team and comment that conversation.rated, .labeled/.unlabeled and .assigned carry."""
    name = attrs["name"]
    problems: dict = {field: [f"Is required for {name}."] for field in missing_for_support_event(attrs)}
    properties = attrs.get("properties") or {}
    nested: dict = {}
    if name == "conversation.rated":
        score = attrs.get("value")
        if score is None:
            problems["value"] = [f"Is required for {name}: the score, a whole number from 1 to 5."]
        elif score != score.to_integral_value() or int(score) not in RATING_SCORES:
            problems["value"] = [f"Must be a whole number from 1 to 5 for {name}; got {score.normalize()}."]
        if "comment" in properties:
            problem = _text_problem(properties["comment"], limit=COMMENT_LENGTH)
            if problem is not None:
                nested["comment"] = [problem]
    if name in NEEDS_LABEL:
        if "label" not in properties:
            nested["label"] = [f"Is required for {name}."]
        else:
            problem = _text_problem(properties["label"], limit=LABEL_LENGTH)
            if problem is not None:
                nested["label"] = [problem]
    if name == "conversation.assigned" and "team" in properties:
        problem = _text_problem(properties["team"], limit=TEAM_LENGTH)
        if problem is not None:
            nested["team"] = [problem]
    if nested:
        problems["properties"] = nested
    return problems


class EventBatchSerializer(serializers.ListSerializer):
    default_error_messages = {
        "max_length": "A batch holds at most {max_length} events.",
        "empty": "A batch needs at least one event.",
        "not_a_list": "Expected a list of events but got {input_type}.",
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", settings.TALLY_MAX_BATCH)
        kwargs.setdefault("allow_empty", False)
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        """A well-formed batch takes the fast path (analytics.fast_validation); any other, and
        every error record, comes from EventSerializer field by field."""
        from analytics import fast_validation

        if isinstance(data, list) and 0 < len(data) <= self.max_length:
            validated = fast_validation.batch(data)
            if validated is not None:
                return validated
        return super().to_internal_value(data)


class EventSerializer(serializers.Serializer):
    """One event as the support backend sends it."""

    id = TextField(max_length=64, required=False)
    name = TextField(max_length=100)
    occurred_at = TimestampField()
    conversation_id = TextField(max_length=64, required=False, allow_null=True)
    channel = DimensionField(attributes={"name": 200}, required=False, allow_null=True)
    agent = DimensionField(attributes={"name": 200, "email": 254}, required=False, allow_null=True)
    customer = DimensionField(attributes={"name": 200, "type": 50, "occupation": 100}, required=False, allow_null=True)
    session_id = TextField(max_length=128, required=False, allow_null=True)
    user_id = TextField(max_length=128, required=False, allow_null=True)
    value = ValueField(required=False, allow_null=True)
    properties = PropertiesField(required=False)
    category = TextField(max_length=100, required=False, allow_null=True)

    def validate_name(self, name: str) -> str:
        problem = name_problem(name)
        if problem is not None:
            raise serializers.ValidationError(problem)
        return name

    class Meta:
        list_serializer_class = EventBatchSerializer

    def to_internal_value(self, data):
        # A misspelt key ("propertis") would otherwise vanish silently.
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs):
        name = attrs["name"]
        if name in SUPPORT_EVENTS:
            problems = support_event_problems(attrs)
            if problems:
                raise serializers.ValidationError(problems)
        return attrs


class EventOutputSerializer(serializers.ModelSerializer):
    """A raw event as the listing returns it."""

    id = serializers.CharField(source="event_id")
    channel = serializers.SerializerMethodField()
    agent = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    value = serializers.DecimalField(max_digits=24, decimal_places=6, coerce_to_string=False, allow_null=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "name",
            "occurred_at",
            "received_at",
            "conversation_id",
            "channel",
            "agent",
            "customer",
            "session_id",
            "user_id",
            "value",
            "properties",
            "category",
        ]

    def get_channel(self, event: Event):
        return None if event.channel_id is None else {"id": event.channel_id, "name": event.channel_name}

    def get_agent(self, event: Event):
        if event.agent_id is None:
            return None
        return {"id": event.agent_id, "name": event.agent_name, "email": event.agent_email}

    def get_customer(self, event: Event):
        if event.customer_id is None:
            return None
        return {
            "id": event.customer_id,
            "name": event.customer_name,
            "type": event.customer_type,
            "occupation": event.customer_occupation,
        }


class SessionSerializer(serializers.Serializer):
    """A session as the listing returns it: its figures over every event it has had, retired ones included."""

    id = serializers.CharField(source="session_id")
    first_event_at = serializers.DateTimeField()
    last_event_at = serializers.DateTimeField()
    events = serializers.IntegerField(help_text="Events of the session, retired ones included.")
    user_id = serializers.CharField(
        allow_null=True,
        help_text="The user_id of the session's first event that carries one (by occurred_at, then event id); "
        "null when none does.",
    )
    duration_seconds = serializers.SerializerMethodField(help_text="last_event_at - first_event_at, in seconds.")

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_duration_seconds(self, session) -> float:
        return (session.last_event_at - session.first_event_at).total_seconds()


class SessionDetailSerializer(SessionSerializer):
    """A session with its first retained raw events (analytics.session_views.SESSION_EVENTS)."""

    retained_events = EventOutputSerializer(
        many=True, help_text="The session's raw events still held, oldest first (ties by id), at most 1000."
    )
    events_url = serializers.URLField(help_text="The raw listing of every retained event of the session, newest first.")
