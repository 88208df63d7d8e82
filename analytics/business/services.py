"""Business schedule versions: what a new one must satisfy, and adding one.

A version applies to the conversations created from its effective_from on. It may not start
before `earliest_effective_from()` (now + TALLY_MAX_FUTURE_SECONDS, the furthest ahead an event
may be dated): no conversation the trigger has measured can have been created at or after it, so
adding the version changes no figure already counted, and the summaries stay equal to their
recomputation. A schedule for history is inserted with SQL and followed by
`manage.py rollups rebuild --since <effective_from>` (docs/operations.md)."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.business.models import BusinessSchedule

MAX_INTERVALS = 70
MAX_HOLIDAYS = 1000
DAY_MINUTES = 24 * 60


class ScheduleError(ValueError):
    """A version that cannot be added: `field` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def earliest_effective_from(now: datetime | None = None) -> datetime:
    """The earliest effective_from a new version may have: now plus the furthest an event may be
    dated ahead of the server clock, rounded up to the next whole second."""
    moment = (now or timezone.now()) + timedelta(seconds=settings.TALLY_MAX_FUTURE_SECONDS)
    return moment.replace(microsecond=0) + (timedelta(seconds=1) if moment.microsecond else timedelta())


def minutes_of(value: time | str) -> int:
    """ "09:30" or time(9, 30) -> 570; "24:00" -> 1440."""
    if isinstance(value, str):
        hours, minutes = value.split(":")
        return int(hours) * 60 + int(minutes)
    return value.hour * 60 + value.minute


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def intervals_problem(intervals: list[tuple[int, int, int]]) -> str | None:
    """Why [(weekday, start_minute, end_minute)] is not a valid week, or None."""
    if len(intervals) > MAX_INTERVALS:
        return f"At most {MAX_INTERVALS} intervals."
    for weekday, start, end in intervals:
        if not 1 <= weekday <= 7:
            return f"weekday {weekday} is not 1 (Monday) to 7 (Sunday)."
        if not 0 <= start < end <= DAY_MINUTES:
            return f"{clock(start)}-{clock(end)}: the end must be later than the start, at most 24:00."
    ordered = sorted(intervals)
    for (day_a, _, end_a), (day_b, start_b, _) in zip(ordered, ordered[1:], strict=False):
        if day_a == day_b and start_b < end_a:
            return f"Two intervals of weekday {day_a} overlap at {clock(start_b)}."
    return None


def schedule_add(
    *,
    workspace,
    time_zone: str,
    intervals: list[tuple[int, int, int]],
    holidays: list,
    effective_from: datetime | None = None,
) -> BusinessSchedule:
    """Adds a version (from earliest_effective_from() by default); ScheduleError names what is wrong."""
    earliest = earliest_effective_from()
    if effective_from is None:
        effective_from = earliest
    elif effective_from < earliest:
        raise ScheduleError(
            "effective_from",
            f"Must not be before {earliest.isoformat()} (now + {settings.TALLY_MAX_FUTURE_SECONDS} s, the furthest "
            "ahead an event may be dated): conversations already measured keep the version they were measured "
            "with. For history, see docs/operations.md (rebuild).",
        )
    problem = intervals_problem(intervals)
    if problem is not None:
        raise ScheduleError("intervals", problem)
    if len(holidays) > MAX_HOLIDAYS:
        raise ScheduleError("holidays", f"At most {MAX_HOLIDAYS} holidays.")
    ordered = sorted(intervals)
    try:
        with transaction.atomic():
            return BusinessSchedule.objects.create(
                workspace=workspace,
                effective_from=effective_from,
                time_zone=time_zone,
                weekdays=[weekday for weekday, _, _ in ordered],
                start_minutes=[start for _, start, _ in ordered],
                end_minutes=[end for _, _, end in ordered],
                holidays=sorted(set(holidays)),
            )
    except IntegrityError:
        raise ScheduleError("effective_from", "The workspace has a version from this instant already.") from None


def schedule_versions(workspace) -> list[BusinessSchedule]:
    return list(BusinessSchedule.objects.filter(workspace=workspace).order_by("effective_from"))


def schedule_in_effect(workspace, moment: datetime | None = None) -> BusinessSchedule | None:
    return (
        BusinessSchedule.objects.filter(workspace=workspace, effective_from__lte=moment or timezone.now())
        .order_by("-effective_from")
        .first()
    )


MAX_TARGET_SECONDS = 365 * 86400


def policy_add(
    *,
    workspace,
    first_response: tuple[int, bool] | None,
    resolution: tuple[int, bool] | None,
    effective_from: datetime | None = None,
):
    """Adds an SLA policy version, by the rules of schedule_add(); ScheduleError names what is wrong."""
    from analytics.business.models import SlaPolicy

    earliest = earliest_effective_from()
    if effective_from is None:
        effective_from = earliest
    elif effective_from < earliest:
        raise ScheduleError(
            "effective_from",
            f"Must not be before {earliest.isoformat()} (now + {settings.TALLY_MAX_FUTURE_SECONDS} s, the furthest "
            "ahead an event may be dated): conversations already measured keep the targets they were held to. "
            "For history, see docs/operations.md (rebuild).",
        )
    try:
        with transaction.atomic():
            return SlaPolicy.objects.create(
                workspace=workspace,
                effective_from=effective_from,
                first_response_seconds=first_response[0] if first_response else None,
                first_response_business=bool(first_response and first_response[1]),
                resolution_seconds=resolution[0] if resolution else None,
                resolution_business=bool(resolution and resolution[1]),
            )
    except IntegrityError:
        raise ScheduleError("effective_from", "The workspace has a version from this instant already.") from None


def policy_versions(workspace) -> list:
    from analytics.business.models import SlaPolicy

    return list(SlaPolicy.objects.filter(workspace=workspace).order_by("effective_from"))


def policy_in_effect(workspace, moment: datetime | None = None):
    from analytics.business.models import SlaPolicy

    return (
        SlaPolicy.objects.filter(workspace=workspace, effective_from__lte=moment or timezone.now())
        .order_by("-effective_from")
        .first()
    )
