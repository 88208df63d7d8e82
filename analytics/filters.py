"""Query-parameter parsing for read endpoints: a wrong value is a 400 that names the parameter."""

from datetime import UTC, datetime

from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import ValidationError


def parse_instant(params, name: str):
    """An ISO datetime with offset, or a date (midnight UTC); None when the parameter is absent."""
    raw = params.get(name)
    if raw is None:
        return None
    value = parse_datetime(raw) if "T" in raw or " " in raw else None
    if value is None:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is not None:
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if value is None or value.tzinfo is None:
        raise ValidationError({name: [f"Must be an ISO date or a datetime with a UTC offset, got {raw!r}."]})
    return value
