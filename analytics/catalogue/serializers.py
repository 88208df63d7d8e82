"""What the catalogue endpoints take and give."""

from rest_framework import serializers

from analytics.catalogue.models import DEFAULT_CAP, MAX_CAP, PropertyKind
from analytics.serializers import TextField, name_problem

DESCRIPTION_LENGTH = 2000


class StrictFieldsSerializer(serializers.Serializer):
    """A misspelt key ("descripton") is a 400 naming it, never silently dropped."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class PropertySerializer(StrictFieldsSerializer):
    """A declared property: `properties.<key>` of the name's events, as a dimension or a measure."""

    key = TextField(max_length=100, help_text="The key in the events' `properties` object (top level).")
    kind = serializers.ChoiceField(choices=PropertyKind.values)
    cap = serializers.IntegerField(
        min_value=1,
        max_value=MAX_CAP,
        required=False,
        allow_null=True,
        help_text=f"Dimensions only: distinct values kept per hour (default {DEFAULT_CAP}); the rest count as `other`.",
    )

    def validate(self, attrs):
        if attrs["kind"] == PropertyKind.MEASURE:
            if attrs.get("cap") is not None:
                raise serializers.ValidationError({"cap": ["Only a dimension has a cap."]})
            return {**attrs, "cap": None}
        return {**attrs, "cap": attrs.get("cap") or DEFAULT_CAP}


class PropertiesField(serializers.ListField):
    child = PropertySerializer()

    def to_internal_value(self, data):
        try:
            declared = super().to_internal_value(data)
        except serializers.ValidationError as error:
            # Positions as text: an integer key would read as a batch index (core.exceptions), and
            # the error's field is properties.<position>.<field>.
            if isinstance(error.detail, dict):
                raise serializers.ValidationError({str(key): value for key, value in error.detail.items()}) from None
            raise
        keys = [item["key"] for item in declared]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise serializers.ValidationError(f"Declares {', '.join(map(repr, repeated))} more than once.")
        return {item["key"]: {"kind": item["kind"], "cap": item["cap"]} for item in declared}


class DefinitionSerializer(StrictFieldsSerializer):
    """A definition as a client creates it (POST) or changes it (PUT with every field, PATCH with some)."""

    name = TextField(max_length=100, help_text="The event name, as events carry it (docs/api.md, Event names).")
    description = TextField(max_length=DESCRIPTION_LENGTH, required=False, allow_blank=True, default="")
    category = TextField(max_length=100, required=False, allow_blank=True, default="")
    properties = PropertiesField(
        required=False,
        help_text="The properties kept per hour (backfilled from the raw events held when declared). On PUT and "
        "PATCH the list replaces what is declared.",
    )

    def validate_name(self, name: str) -> str:
        problem = name_problem(name)
        if problem is not None:
            raise serializers.ValidationError(problem)
        # On PUT and PATCH the name is the URL's: it may be repeated, not changed.
        current = self.context.get("name")
        if current is not None and name != current:
            raise serializers.ValidationError(
                f"A definition's name cannot change (the URL names {current!r}); delete it and define the new name."
            )
        return name


class DefinitionUpdateSerializer(DefinitionSerializer):
    name = TextField(max_length=100, required=False, help_text="May repeat the URL's name; cannot change it.")


class CatalogueEntrySerializer(serializers.Serializer):
    """A defined or observed event name with its figures, all kept by triggers."""

    name = serializers.CharField()
    defined = serializers.BooleanField(help_text="False for a name events carry that the catalogue does not define.")
    description = serializers.CharField(allow_blank=True)
    category = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField(allow_null=True, help_text="When it was defined; null if undefined.")
    modified_at = serializers.DateTimeField(allow_null=True, help_text="Last change of the definition.")
    events = serializers.IntegerField(help_text="Events of the name over all time (retired history included).")
    events_7d = serializers.IntegerField(help_text="Events in the current UTC hour and the 168 hours before it.")
    first_seen_at = serializers.DateTimeField(allow_null=True, help_text="occurred_at of its earliest event.")
    last_seen_at = serializers.DateTimeField(allow_null=True, help_text="occurred_at of its latest event.")
    properties = PropertySerializer(many=True, help_text="What the definition declares, by key.")


class CatalogueSettingsSerializer(StrictFieldsSerializer):
    strict = serializers.BooleanField(
        help_text="When true, a batch holding a product event whose name is not defined is refused whole (400)."
    )

    def to_internal_value(self, data):
        # Only a JSON true or false: DRF would also take "yes", "0" or 1.
        if isinstance(data, dict) and "strict" in data and not isinstance(data["strict"], bool):
            raise serializers.ValidationError({"strict": ["Must be true or false."]})
        return super().to_internal_value(data)
