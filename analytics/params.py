"""Query parameters of the read endpoints, parsed and validated.

A wrong value raises ValidationError({"<parameter>": ["..."]}), which core.exceptions turns into a
400 whose `errors[].field` names the parameter. Every parser returns plain Python values, so the
selectors never see raw query strings.
"""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError

GRANULARITIES = ("hour", "day", "week", "month")
DEFAULT_DAYS = 7
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
MAX_BUCKETS = 5000
BUCKET_LENGTH = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
# An unencoded "+" in a query string arrives as a space: "10:00:00 01:00" meant "10:00:00+01:00".
SPACE_FOR_PLUS = re.compile(r"^(\S+T[\d:.]+) (\d{2}(?::?\d{2})?)$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

# What the parsers accept, for the OpenAPI schema (analytics.summary_views, analytics.views). A
# year is 1970-2999 as written (EARLIEST, LATEST); relations between parameters (from before to,
# start_date not after end_date) are in the descriptions, since a schema cannot state them.
YEAR = "(19[7-9][0-9]|2[0-9]{3})"
DATE_SCHEMA = {"type": "string", "format": "date", "pattern": f"^{YEAR}-[0-9]{{2}}-[0-9]{{2}}$"}
DATETIME_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "pattern": f"^{YEAR}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}"
    "(\\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$",
}
INSTANT_SCHEMA = {"anyOf": [DATE_SCHEMA, DATETIME_SCHEMA]}


def text_schema(max_length: int) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": "^[^\\x00]+$"}


def invalid(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def present(params, name: str) -> str | None:
    """The raw value, None when absent; an empty one is refused rather than taken for absent, so
    that a client never believes a filter or bound applied that did not."""
    raw = params.get(name)
    if raw == "":
        raise invalid(name, "Must not be empty; leave the parameter out for its default.")
    return raw


def parse_text(params, name: str, *, max_length: int = 200) -> str | None:
    """An optional exact-match value. NUL cannot reach PostgreSQL text."""
    raw = present(params, name)
    if raw is None:
        return None
    if "\x00" in raw:
        raise invalid(name, "Must not contain NUL characters.")
    if len(raw) > max_length:
        raise invalid(name, f"Must be at most {max_length} characters.")
    return raw


def parse_choice(params, name: str, choices, *, default: str | None = None) -> str | None:
    raw = present(params, name)
    if raw is None:
        return default
    if raw not in choices:
        raise invalid(name, f"Must be one of {', '.join(choices)}; got {raw!r}.")
    return raw


def parse_tz(params, *, default: str, name: str = "tz") -> zoneinfo.ZoneInfo:
    """An IANA time zone name; the workspace's zone when absent."""
    raw = present(params, name) or default
    if raw not in known_timezones():
        raise invalid(name, f"Must be an IANA time zone name such as Europe/Berlin; got {raw!r}.")
    return zoneinfo.ZoneInfo(raw)


def parse_day(params, name: str) -> date | None:
    """A calendar date YYYY-MM-DD; None when absent."""
    raw = present(params, name)
    if raw is None:
        return None
    day = None
    if DATE.match(raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            pass
    if day is None:
        raise invalid(name, f"Must be a date YYYY-MM-DD; got {raw!r}.")
    if not EARLIEST.year <= day.year < LATEST.year:
        raise invalid(name, "Must lie between 1970-01-01 and 2999-12-31.")
    return day


def local_midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def parse_instant(params, name: str, *, tz: zoneinfo.ZoneInfo) -> datetime | None:
    """An ISO datetime with a UTC offset, or a date meaning midnight in `tz`; None when absent."""
    raw = present(params, name)
    if raw is None:
        return None
    raw = SPACE_FOR_PLUS.sub(r"\1+\2", raw.strip())
    value = None
    if "T" in raw or " " in raw:
        try:
            value = parse_datetime(raw)
        except ValueError:
            value = None
        if value is not None and value.tzinfo is None:
            raise invalid(name, f"A datetime must carry a UTC offset or Z; got {raw!r}.")
    elif DATE.match(raw):
        try:
            value = local_midnight(date.fromisoformat(raw), tz)
        except ValueError:
            value = None
    if value is None:
        raise invalid(name, f"Must be an ISO date (YYYY-MM-DD) or a datetime with a UTC offset; got {raw!r}.")
    # The year as written, so that the bound is the schema's pattern whatever the offset.
    if not EARLIEST.year <= value.year < LATEST.year:
        raise invalid(name, "Must lie between 1970-01-01 and 2999-12-31.")
    # As UTC: PostgreSQL takes offsets up to 15:59 only, ISO 8601 and Python up to 23:59.
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """What every summary reads: the half-open range [start, end), its zone and the filters."""

    start: datetime
    end: datetime
    tz: zoneinfo.ZoneInfo
    granularity: str | None
    channel: str | None
    agent: str | None
    business_hours: bool = False

    @property
    def previous(self) -> tuple[datetime, datetime]:
        """The period of equal length that ends where this one starts."""
        return self.start - (self.end - self.start), self.start


def default_range(tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """The last DEFAULT_DAYS calendar days in `tz`, today included."""
    today = timezone.now().astimezone(tz).date()
    return local_midnight(today - timedelta(days=DEFAULT_DAYS - 1), tz), local_midnight(today + timedelta(days=1), tz)


def bucket_count(start: datetime, end: datetime, granularity: str, tz: zoneinfo.ZoneInfo) -> int:
    if granularity == "month":
        first, last = start.astimezone(tz), end.astimezone(tz)
        return (last.year - first.year) * 12 + last.month - first.month + 1
    if granularity == "year":
        return end.astimezone(tz).year - start.astimezone(tz).year + 1
    return int((end - start) / BUCKET_LENGTH[granularity]) + 1


def parse_window(
    params,
    *,
    workspace,
    granularity: str | None = None,
    granularity_param: str = "granularity",
    business_hours: bool = False,
) -> Window:
    """from, to, tz, channel and agent; the last 7 days of the zone by default, and when only
    one end is given, the other is 7 days away from it. `granularity` is the already parsed
    bucket size of a series (None for a single figure); the range may hold MAX_BUCKETS of them.
    With `business_hours`, also business_hours=true|false, for a read whose durations it switches.
    """
    tz = parse_tz(params, default=workspace.timezone)
    start, end = parse_instant(params, "from", tz=tz), parse_instant(params, "to", tz=tz)
    if start is None and end is None:
        start, end = default_range(tz)
    elif start is None:
        start = end - timedelta(days=DEFAULT_DAYS)
    elif end is None:
        end = start + timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise invalid("to", "Must be later than from.")
    if granularity is not None and bucket_count(start, end, granularity, tz) > MAX_BUCKETS:
        raise invalid(
            granularity_param, f"The range holds more than {MAX_BUCKETS} {granularity} buckets; pick a coarser one."
        )
    return Window(
        start=start,
        end=end,
        tz=tz,
        granularity=granularity,
        channel=parse_text(params, "channel", max_length=64),
        agent=parse_text(params, "agent", max_length=64),
        business_hours=business_hours and parse_business_hours(params),
    )


def parse_business_hours(params) -> bool:
    """business_hours=true|false (default false): durations in business time."""
    return parse_choice(params, "business_hours", ("true", "false"), default="false") == "true"


def parse_granularity(params) -> str:
    return parse_choice(params, "granularity", GRANULARITIES, default="day")


@dataclass(frozen=True)
class DayRange:
    """start_date..end_date, both inclusive, as the half-open instants [start, end) in `tz`; None = open."""

    start: datetime | None
    end: datetime | None
    tz: zoneinfo.ZoneInfo


def parse_day_range(params, *, workspace) -> DayRange:
    """start_date and end_date (YYYY-MM-DD, the whole end day counts), days in `tz`."""
    tz = parse_tz(params, default=workspace.timezone)
    first, last = parse_day(params, "start_date"), parse_day(params, "end_date")
    if first is not None and last is not None and first > last:
        raise invalid("start_date", "Must not be after end_date.")
    return DayRange(
        start=None if first is None else local_midnight(first, tz),
        end=None if last is None else local_midnight(last + timedelta(days=1), tz),
        tz=tz,
    )
