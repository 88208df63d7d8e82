"""Output shapes of the read endpoints, and the OpenAPI descriptions of the API's custom fields,
token authentication and error bodies (drf-spectacular finds the extensions by import)."""

import re
from collections.abc import Callable
from decimal import Decimal

from drf_spectacular.drainage import set_override
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.serializers import (
    COMMENT_LENGTH,
    LABEL_LENGTH,
    NEEDS_AGENT,
    NEEDS_LABEL,
    PRODUCT_EVENT_NAME,
    SUPPORT_EVENTS,
    TEAM_LENGTH,
    VALUE_LIMIT,
    VALUE_PLACES,
    VALUE_QUANTUM,
)

# Text the ingest keeps: no NUL (PostgreSQL text cannot hold it), and for a required one something
# besides the whitespace that is trimmed.
NO_NUL = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"
NO_NUL_OR_EMPTY = "^[^\\x00]*$"
# RFC 3339 as the ingest reads it: any year but 0000, seconds and an offset required.
EVENT_TIME = (
    "^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}"
    "T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A count (int) or an exact PostgreSQL numeric (sent as a JSON number); null stays null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return float(value) if isinstance(value, Decimal) else value


@extend_schema_field(OpenApiTypes.DATETIME)
class LocalInstantField(serializers.Field):
    """An instant as ISO 8601 with the offset of the request's zone (context["tz"])."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.astimezone(self.context["tz"]).isoformat()


class RangeFieldsMixin:
    """Adds `from` and `to`, which cannot be attribute names."""

    def get_fields(self):
        return {
            "from": LocalInstantField(help_text="Start of the range, inclusive."),
            "to": LocalInstantField(help_text="End of the range, exclusive."),
            **super().get_fields(),
        }


def row_writer(serializer: serializers.Serializer) -> Callable[[dict], dict] | None:
    """What serializer.to_representation does to a row dict, as one comprehension over a plan of its
    readable fields (name, key, how the value is written; a nested serializer's plan for a nested
    row) built once, instead of DRF's get_attribute and to_representation calls per field and row;
    None when a field does not read one key of the row (its source is dotted or "*")."""
    plan = []
    for field in serializer._readable_fields:
        if len(field.source_attrs) != 1:
            return None
        if isinstance(field, serializers.Serializer):
            write = row_writer(field)
            if write is None:
                return None
        else:
            write = field.to_representation
        plan.append((field.field_name, field.source_attrs[0], write))

    def written(row: dict) -> dict:
        return {name: None if (value := row[key]) is None else write(value) for name, key, write in plan}

    return written


class SummaryListSerializer(serializers.ListSerializer):
    """many=True of a summary row serializer: the rows are dicts, written by row_writer (200 rows of
    the agent list, 47 figures each: 6.2 ms through DRF's fields, 2.1 ms so). A row missing a key
    goes through DRF's own to_representation, which knows what the field does then."""

    def to_representation(self, data):
        write = row_writer(self.child)
        if write is None:
            return super().to_representation(data)
        rows = []
        for row in data:
            try:
                rows.append(write(row))
            except KeyError:
                rows.append(self.child.to_representation(row))
        return rows


class DurationSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Conversations measured.")
    avg_seconds = NumberField(allow_null=True, help_text="seconds / count; null when count is 0.")
    p50_seconds = NumberField(allow_null=True, help_text="Median, interpolated in the duration histogram.")
    p90_seconds = NumberField(allow_null=True, help_text="90th percentile, interpolated in the duration histogram.")


class ReplyTimeSerializer(DurationSerializer):
    count = serializers.IntegerField(help_text="Customer messages answered (in the hour of their answer).")


class CsatSerializer(serializers.Serializer):
    ratings = serializers.IntegerField(help_text="Rated conversations, each for its latest rating.")
    score_1 = serializers.IntegerField()
    score_2 = serializers.IntegerField()
    score_3 = serializers.IntegerField()
    score_4 = serializers.IntegerField()
    score_5 = serializers.IntegerField()
    satisfied_share = NumberField(allow_null=True, help_text="(score_4 + score_5) / ratings; null without ratings.")
    response_rate = NumberField(
        allow_null=True, help_text="ratings / resolution.count (conversations resolved); null when none resolved."
    )


class SlaFiguresSerializer(serializers.Serializer):
    first_response_targeted = serializers.IntegerField(
        help_text="First responses (in their hour) of conversations held to a first-response target."
    )
    first_response_breaches = serializers.IntegerField(help_text="Those whose time exceeded the target.")
    resolution_targeted = serializers.IntegerField(
        help_text="Resolutions (while resolved, in the hour of the last) of conversations held to a resolution target."
    )
    resolution_breaches = serializers.IntegerField(help_text="Those whose time exceeded the target.")


class FiguresSerializer(serializers.Serializer):
    conversations_created = serializers.IntegerField()
    conversations_assigned = serializers.IntegerField()
    agent_replies = serializers.IntegerField()
    customer_replies = serializers.IntegerField()
    resolutions = serializers.IntegerField()
    reopens = serializers.IntegerField()
    first_response = DurationSerializer(help_text="first_response_at - created_at, in the hour of the first reply.")
    resolution = DurationSerializer(help_text="last_resolved_at - created_at of resolved conversations.")
    reply_time = ReplyTimeSerializer(
        help_text="Each customer message's wait until the next agent reply, in the hour of that reply."
    )
    csat = CsatSerializer(
        help_text="Rated conversations by the score (1-5) of their latest rating, in its hour, for the "
        "conversation's assignee."
    )
    sla = SlaFiguresSerializer(
        help_text="SLA outcomes: the targets of the policy in effect at each conversation's creation, in calendar or "
        "business time as the target says (GET /api/v1/settings/sla)."
    )


class PreviousFiguresSerializer(RangeFieldsMixin, FiguresSerializer):
    pass


class OverviewSerializer(RangeFieldsMixin, FiguresSerializer):
    open_now = serializers.IntegerField(help_text="Live: created, not resolved since the last reopen.")
    unassigned_now = serializers.IntegerField(help_text="Live: open and never assigned.")
    unanswered_now = serializers.IntegerField(help_text="Live: open and no agent reply yet.")
    breaching_within_hour_now = serializers.IntegerField(
        help_text="Live: open conversations with an SLA target still pending (no reply yet; not resolved) that falls "
        "due within the next hour."
    )
    overdue_now = serializers.IntegerField(
        help_text="Live: open conversations with an SLA target still pending that is already due (breached)."
    )
    previous = PreviousFiguresSerializer(help_text="The same figures for the period of equal length before `from`.")

    def get_fields(self):
        fields = super().get_fields()
        tz = serializers.CharField(help_text="The zone of the range and of the offsets in this response.")
        business_hours = serializers.BooleanField(
            help_text="Whether first_response and resolution are in business time (the business_hours parameter)."
        )
        return {
            "from": fields.pop("from"),
            "to": fields.pop("to"),
            "tz": tz,
            "business_hours": business_hours,
            **fields,
        }


class TimeseriesPointSerializer(serializers.Serializer):
    bucket = LocalInstantField(help_text="Start of the bucket, with the zone's offset.")
    value = NumberField(allow_null=True, help_text="0 for an empty bucket of a count; null for an average.")


class UniquesPointSerializer(serializers.Serializer):
    bucket = LocalInstantField(help_text="Start of the day, week or month, with the zone's offset.")
    uniques = serializers.IntegerField(source="value", help_text="Distinct users or sessions; 0 for an empty bucket.")


class AgentSummarySerializer(FiguresSerializer):
    id = serializers.CharField()
    name = serializers.CharField(allow_null=True)

    class Meta:
        list_serializer_class = SummaryListSerializer

    def get_fields(self):
        fields = super().get_fields()
        return {"id": fields.pop("id"), "name": fields.pop("name"), **fields}


class ChannelSummarySerializer(AgentSummarySerializer):
    open_now = serializers.IntegerField()
    unassigned_now = serializers.IntegerField()
    unanswered_now = serializers.IntegerField()
    breaching_within_hour_now = serializers.IntegerField()
    overdue_now = serializers.IntegerField()


class TeamSummarySerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True, help_text="The team; null for conversations without one.")
    conversations_created = serializers.IntegerField(help_text="The team's conversations, in the hour created.")
    first_response = DurationSerializer(help_text="first_response_at - created_at, in the hour of the first reply.")
    resolution = DurationSerializer(
        help_text="last_resolved_at - created_at of resolved conversations, in the hour of the last resolution; "
        "count is the conversations resolved."
    )
    csat = CsatSerializer(help_text="Rated conversations by the score of their latest rating, in its hour.")
    sla = SlaFiguresSerializer(
        help_text="SLA outcomes of the same first responses and resolutions: the targets of the policy in effect at "
        "each conversation's creation, in calendar or business time as the target says (GET /api/v1/settings/sla)."
    )

    class Meta:
        list_serializer_class = SummaryListSerializer


class LabelSummarySerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The label (properties.label of conversation.labeled).")
    conversations_created = serializers.IntegerField(
        help_text="Conversations that have the label now, in the hour created."
    )
    first_response = DurationSerializer(help_text="first_response_at - created_at, in the hour of the first reply.")
    resolution = DurationSerializer(
        help_text="last_resolved_at - created_at of resolved conversations, in the hour of the last resolution; "
        "count is the conversations resolved."
    )
    csat = CsatSerializer(help_text="Rated conversations by the score of their latest rating, in its hour.")
    sla = SlaFiguresSerializer(
        help_text="SLA outcomes of the same first responses and resolutions: the targets of the policy in effect at "
        "each conversation's creation, in calendar or business time as the target says (GET /api/v1/settings/sla)."
    )

    class Meta:
        list_serializer_class = SummaryListSerializer


class InteractionsDataSerializer(serializers.Serializer):
    customer_id = serializers.CharField()
    interactions = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Channel name (its id when it has no name, or 'name (id)' when channels share a name) -> count.",
    )


class CustomerInteractionsSerializer(serializers.Serializer):
    data = InteractionsDataSerializer()


class CustomerInteractionsRowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The customer's external id.")
    name = serializers.CharField(allow_null=True)
    type = serializers.CharField(allow_null=True, help_text="The customer's current type.")
    occupation = serializers.CharField(allow_null=True, help_text="The customer's current occupation.")
    total = serializers.IntegerField(help_text="Interactions over the days, every channel.")
    interactions = serializers.DictField(
        child=serializers.IntegerField(), help_text="Per channel id, every channel of the workspace (0 where none)."
    )


class EventFrequencySerializer(serializers.Serializer):
    event_name = serializers.CharField()
    total = serializers.IntegerField()


# Error bodies, for the schema.


class FieldErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True, help_text="Position in a batch body; null otherwise.")
    field = serializers.CharField(allow_null=True, help_text="The body field or query parameter that is wrong.")
    message = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = FieldErrorSerializer(many=True)


class DetailErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# How drf-spectacular should describe things defined elsewhere.


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "core.auth.TokenAuthentication"
    name = "TokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; a key is scoped to one workspace and to `ingest` and/or `read`.",
        }


class DimensionFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "analytics.serializers.DimensionField"

    def map_serializer_field(self, auto_schema, direction):
        attributes = {
            name: {"type": "string", "maxLength": length, "nullable": True, "pattern": NO_NUL_OR_EMPTY}
            for name, length in self.target.attributes.items()
        }
        identifier = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NO_NUL}
        return {
            "oneOf": [
                {**identifier, "description": "The id alone."},
                {
                    "type": "object",
                    "properties": {"id": identifier, **attributes},
                    "required": ["id"],
                    "additionalProperties": False,
                },
            ]
        }


class TimestampFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "analytics.serializers.TimestampField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "format": "date-time",
            "pattern": EVENT_TIME,
            "description": "ISO 8601 with a UTC offset or Z (year 0001 to 9999), not more than "
            "TALLY_MAX_FUTURE_SECONDS (300) ahead of the server clock.",
        }


class ValueFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "analytics.serializers.ValueField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "number",
            "nullable": True,
            "multipleOf": float(VALUE_QUANTUM),
            "minimum": -float(VALUE_LIMIT),
            "maximum": float(VALUE_LIMIT),
            "exclusiveMinimum": True,
            "exclusiveMaximum": True,
            "description": f"Stored exactly with {VALUE_PLACES} decimal places, |value| < 1e18; a number with "
            "more decimals is a 400, never rounded.",
        }


class PropertiesFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "analytics.serializers.PropertiesField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "object",
            "additionalProperties": True,
            "description": "Free JSON properties; no NUL character in any key or string, at most "
            f"{self.target.MAX_DEPTH} levels deep.",
        }


class EventSchema(OpenApiSerializerExtension):
    """An ingested event: the fields, each text kept as sent (non-empty, no NUL), and as oneOf the
    kinds of event with what each requires: a product event (any name outside conversation.*), a
    conversation event (conversation_id and channel), and those that also need their agent, score
    (conversation.rated's value) or label (properties.label)."""

    target_class = "analytics.serializers.EventSerializer"

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(force_instance(self.target), direction)
        for field in schema["properties"].values():
            if field.get("type") == "string" and "pattern" not in field:
                field.update(minLength=1, pattern=NO_NUL)
        schema["additionalProperties"] = False
        support = sorted(SUPPORT_EVENTS - NEEDS_AGENT - NEEDS_LABEL - {"conversation.rated"})
        present = {"anyOf": [{"type": "string"}, {"type": "object"}]}
        product = {"type": "string", "pattern": PRODUCT_EVENT_NAME.pattern, "not": {"pattern": "^conversation[.]"}}

        def text(limit: int) -> dict:
            return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": NO_NUL}

        def conversation_event(names: list[str], *, required: dict | None = None, optional: dict | None = None):
            """The variant for `names`: conversation_id and channel required, and the fields given."""
            required = {"conversation_id": {"type": "string"}, "channel": present, **(required or {})}
            # A pattern, not an enum: drf-spectacular's enum hook would merge the variants' name
            # enums into one component (they share the field name), and every variant would then
            # accept the names of the first.
            alternatives = "|".join(re.escape(name) for name in names)
            fields = {"name": {"type": "string", "pattern": f"^({alternatives})$"}, **required, **(optional or {})}
            return {"properties": fields, "required": list(required)}

        schema["oneOf"] = [
            {"properties": {"name": product}},
            conversation_event(support),
            conversation_event(["conversation.agent_replied"], required={"agent": present}),
            conversation_event(
                ["conversation.assigned"],
                required={"agent": present},
                optional={"properties": {"type": "object", "properties": {"team": text(TEAM_LENGTH)}}},
            ),
            conversation_event(
                ["conversation.rated"],
                required={
                    "value": {
                        "type": "number",
                        "multipleOf": 1,
                        "minimum": 1,
                        "maximum": 5,
                        "description": "The score.",
                    }
                },
                optional={"properties": {"type": "object", "properties": {"comment": text(COMMENT_LENGTH)}}},
            ),
            conversation_event(
                sorted(NEEDS_LABEL),
                required={
                    "properties": {
                        "type": "object",
                        "properties": {"label": text(LABEL_LENGTH)},
                        "required": ["label"],
                    }
                },
            ),
        ]
        return schema


def describe_batch_limits(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: a batch holds 1 to TALLY_MAX_BATCH events (drf-spectacular
    does not carry a ListSerializer's lengths into the schema)."""
    from django.conf import settings

    for variant in result.get("components", {}).get("schemas", {}).get("EventOrBatch", {}).get("oneOf", []):
        if variant.get("type") == "array":
            variant.update(minItems=1, maxItems=settings.TALLY_MAX_BATCH)
    return result


def nullable_object(**properties: dict) -> dict:
    return {"type": "object", "nullable": True, "properties": properties}


class EventOutputSchema(OpenApiSerializerExtension):
    """The listing's channel/agent/customer are method fields; describe the objects they return."""

    target_class = "analytics.serializers.EventOutputSerializer"

    def map_serializer(self, auto_schema, direction):
        text = {"type": "string", "nullable": True}
        dimensions = {
            "channel": nullable_object(id={"type": "string"}, name=text),
            "agent": nullable_object(id={"type": "string"}, name=text, email=text),
            "customer": nullable_object(id={"type": "string"}, name=text, type=text),
        }
        serializer = set_override(force_instance(self.target), "exclude_fields", list(dimensions))
        schema = auto_schema._map_basic_serializer(serializer, direction)
        schema["properties"].update(dimensions)
        schema.setdefault("required", []).extend(dimensions)
        return schema
