"""What the business-hours endpoint takes and gives."""

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.business import services
from analytics.catalogue.serializers import StrictFieldsSerializer
from core.models import validate_timezone

CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


class ClockField(serializers.CharField):
    """HH:MM, 00:00 to 24:00, as minutes after midnight."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if not CLOCK.match(text):
            raise serializers.ValidationError(f"Must be HH:MM from 00:00 to 24:00; got {text!r}.")
        return services.minutes_of(text)

    def to_representation(self, value):
        return services.clock(value)


class IntervalSerializer(StrictFieldsSerializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text="1 = Monday ... 7 = Sunday (ISO).")
    start = ClockField(help_text="Opening, local time HH:MM.")
    end = ClockField(help_text="Closing, local time HH:MM, later than start; 24:00 for midnight.")

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["Must be later than start."]})
        return attrs


class IntervalsField(serializers.ListField):
    child = IntervalSerializer()

    def to_internal_value(self, data):
        try:
            intervals = super().to_internal_value(data)
        except serializers.ValidationError as error:
            # Positions as text (an integer key would read as a batch index in core.exceptions).
            if isinstance(error.detail, dict):
                raise serializers.ValidationError({str(key): value for key, value in error.detail.items()}) from None
            raise
        triples = [(item["weekday"], item["start"], item["end"]) for item in intervals]
        problem = services.intervals_problem(triples)
        if problem is not None:
            raise serializers.ValidationError(problem)
        return triples


class TimeZoneField(serializers.CharField):
    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            validate_timezone(text)
        except Exception:
            raise serializers.ValidationError(f"{text!r} is not an IANA time zone name.") from None
        return text


class BusinessScheduleInputSerializer(StrictFieldsSerializer):
    """A new version of the workspace's business hours."""

    time_zone = TimeZoneField(
        max_length=64, required=False, help_text="IANA zone of the intervals and holidays. Default: the workspace's."
    )
    intervals = IntervalsField(
        max_length=services.MAX_INTERVALS,
        help_text="The open hours of each week; intervals of one weekday must not overlap. Empty: never open.",
    )
    holidays = serializers.ListField(
        child=serializers.DateField(),
        required=False,
        max_length=services.MAX_HOLIDAYS,
        help_text="Local dates closed all day (YYYY-MM-DD).",
    )
    effective_from = serializers.DateTimeField(
        required=False,
        help_text="When the version starts to apply (to conversations created from then on). Default and "
        "earliest: now + TALLY_MAX_FUTURE_SECONDS (300 s).",
    )


class BusinessScheduleSerializer(serializers.Serializer):
    """A version as stored."""

    effective_from = serializers.DateTimeField()
    time_zone = serializers.CharField()
    intervals = serializers.SerializerMethodField()
    holidays = serializers.ListField(child=serializers.DateField())
    created_at = serializers.DateTimeField()

    @extend_schema_field(IntervalSerializer(many=True))
    def get_intervals(self, schedule) -> list[dict]:
        return [
            {"weekday": weekday, "start": services.clock(start), "end": services.clock(end)}
            for weekday, start, end in zip(schedule.weekdays, schedule.start_minutes, schedule.end_minutes, strict=True)
        ]


class BusinessHoursSerializer(serializers.Serializer):
    current = BusinessScheduleSerializer(allow_null=True, help_text="The version in effect now; null: none.")
    versions = BusinessScheduleSerializer(many=True, help_text="Every version, oldest first.")


class TargetSerializer(StrictFieldsSerializer):
    seconds = serializers.IntegerField(
        min_value=1, max_value=services.MAX_TARGET_SECONDS, help_text="The target, in seconds (at most 365 days)."
    )
    business_hours = serializers.BooleanField(
        default=False, help_text="Measured in business time (the business hours in effect at creation)."
    )


class SlaPolicyInputSerializer(StrictFieldsSerializer):
    """A new version of the workspace's SLA targets."""

    first_response = TargetSerializer(
        required=False, allow_null=True, help_text="From created_at to the first agent reply. Absent or null: none."
    )
    resolution = TargetSerializer(
        required=False, allow_null=True, help_text="From created_at to the last resolution. Absent or null: none."
    )
    effective_from = serializers.DateTimeField(
        required=False,
        help_text="When the version starts to apply (to conversations created from then on). Default and "
        "earliest: now + TALLY_MAX_FUTURE_SECONDS (300 s).",
    )


class TargetOutputSerializer(serializers.Serializer):
    seconds = serializers.IntegerField()
    business_hours = serializers.BooleanField()


class SlaPolicySerializer(serializers.Serializer):
    """A version as stored."""

    effective_from = serializers.DateTimeField()
    first_response = serializers.SerializerMethodField()
    resolution = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(TargetOutputSerializer(allow_null=True))
    def get_first_response(self, policy) -> dict | None:
        if policy.first_response_seconds is None:
            return None
        return {"seconds": policy.first_response_seconds, "business_hours": policy.first_response_business}

    @extend_schema_field(TargetOutputSerializer(allow_null=True))
    def get_resolution(self, policy) -> dict | None:
        if policy.resolution_seconds is None:
            return None
        return {"seconds": policy.resolution_seconds, "business_hours": policy.resolution_business}


class SlaSerializer(serializers.Serializer):
    current = SlaPolicySerializer(allow_null=True, help_text="The version in effect now; null: none.")
    versions = SlaPolicySerializer(many=True, help_text="Every version, oldest first.")
