"""Output shapes of the read endpoints, and the OpenAPI descriptions of the API's custom fields,
token authentication and error bodies (drf-spectacular finds the extensions by import)."""

from decimal import Decimal

from drf_spectacular.drainage import set_override
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import build_basic_type, force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


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


class DurationSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Conversations measured.")
    avg_seconds = NumberField(allow_null=True, help_text="seconds / count; null when count is 0.")
    p50_seconds = NumberField(allow_null=True, help_text="Median, interpolated in the duration histogram.")
    p90_seconds = NumberField(allow_null=True, help_text="90th percentile, interpolated in the duration histogram.")


class FiguresSerializer(serializers.Serializer):
    conversations_created = serializers.IntegerField()
    conversations_assigned = serializers.IntegerField()
    agent_replies = serializers.IntegerField()
    customer_replies = serializers.IntegerField()
    resolutions = serializers.IntegerField()
    reopens = serializers.IntegerField()
    first_response = DurationSerializer(help_text="first_response_at - created_at, in the hour of the first reply.")
    resolution = DurationSerializer(help_text="last_resolved_at - created_at of resolved conversations.")


class PreviousFiguresSerializer(RangeFieldsMixin, FiguresSerializer):
    pass


class OverviewSerializer(RangeFieldsMixin, FiguresSerializer):
    open_now = serializers.IntegerField(help_text="Live: created, not resolved since the last reopen.")
    unassigned_now = serializers.IntegerField(help_text="Live: open and never assigned.")
    unanswered_now = serializers.IntegerField(help_text="Live: open and no agent reply yet.")
    previous = PreviousFiguresSerializer(help_text="The same figures for the period of equal length before `from`.")

    def get_fields(self):
        fields = super().get_fields()
        tz = serializers.CharField(help_text="The zone of the range and of the offsets in this response.")
        return {"from": fields.pop("from"), "to": fields.pop("to"), "tz": tz, **fields}


class TimeseriesPointSerializer(serializers.Serializer):
    bucket = LocalInstantField(help_text="Start of the bucket, with the zone's offset.")
    value = NumberField(allow_null=True, help_text="0 for an empty bucket of a count; null for an average.")


class AgentSummarySerializer(FiguresSerializer):
    id = serializers.CharField()
    name = serializers.CharField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        return {"id": fields.pop("id"), "name": fields.pop("name"), **fields}


class ChannelSummarySerializer(AgentSummarySerializer):
    open_now = serializers.IntegerField()
    unassigned_now = serializers.IntegerField()
    unanswered_now = serializers.IntegerField()


class InteractionsDataSerializer(serializers.Serializer):
    customer_id = serializers.CharField()
    interactions = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Channel name (its id when it has no name, or 'name (id)' when channels share a name) -> count.",
    )


class CustomerInteractionsSerializer(serializers.Serializer):
    data = InteractionsDataSerializer()


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


class SimpleErrorSerializer(serializers.Serializer):
    error = serializers.CharField()


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
            name: {"type": "string", "maxLength": length, "nullable": True}
            for name, length in self.target.attributes.items()
        }
        return {
            "oneOf": [
                {"type": "string", "maxLength": 64, "description": "The id alone."},
                {
                    "type": "object",
                    "properties": {"id": {"type": "string", "maxLength": 64}, **attributes},
                    "required": ["id"],
                    "additionalProperties": False,
                },
            ]
        }


class TimestampFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "analytics.serializers.TimestampField"

    def map_serializer_field(self, auto_schema, direction):
        schema = build_basic_type(OpenApiTypes.DATETIME)
        schema["description"] = "ISO 8601 with a UTC offset or Z."
        return schema


class ValueFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "analytics.serializers.ValueField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "number",
            "nullable": True,
            "description": "Kept exactly with 6 decimal places, |value| < 1e18.",
        }


class PropertiesFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "analytics.serializers.PropertiesField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "object", "additionalProperties": True, "description": "Free JSON properties."}


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
