"""Partitions of the raw event table: one per month (or week, or day) of occurred_at, in UTC.

`event` is partitioned by range of occurred_at so that retention (analytics/retention.py)
drops whole partitions instead of deleting rows. There is no default partition: an event must
fall into a partition of its own range, so no row can ever land in a range that retention has
already dropped. Partitions are created

- ahead of time: by migrate, by every pass of `rollups refresh --every`, and by
  `manage.py partitions`, for the current interval, the next one, and as far ahead as the API
  accepts occurred_at (TALLY_MAX_FUTURE_SECONDS);
- on demand: an ingest statement that fails for lack of a partition (an import of old history)
  creates the missing ones and runs once more (analytics/services.py); an event before the
  retention horizon is refused instead (analytics/retention.py), and no partition is ever
  created below the horizon.

A partition is created as a plain table and then attached, which locks the parent in SHARE
UPDATE EXCLUSIVE mode only: concurrent ingest is not blocked. Creation is serialized by a
transaction-level advisory lock, so two processes that miss the same partition create it once.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from psycopg2 import errors

INTERVALS = ("day", "week", "month")
LOCK_KEY = 7_406_001
"""pg_advisory_xact_lock key held while partitions are created or dropped."""

BOUND = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime
    end: datetime


def interval() -> str:
    value = settings.TALLY_PARTITION_INTERVAL
    if value not in INTERVALS:
        raise ValueError(f"TALLY_PARTITION_INTERVAL must be one of {', '.join(INTERVALS)}, not {value!r}")
    return value


def interval_start(moment: datetime, unit: str) -> datetime:
    """The start (UTC) of the day, ISO week (Monday) or month that holds `moment`."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def interval_end(start: datetime, unit: str) -> datetime:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


def existing(cursor) -> list[Partition]:
    """The partitions of event, in range order."""
    cursor.execute(
        """
        SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
        FROM pg_inherits AS i
        JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'event'::regclass
        """
    )
    partitions = []
    for name, bound in cursor.fetchall():
        match = BOUND.search(bound)
        if match is None:
            raise RuntimeError(f"event partition {name} has an unexpected bound: {bound}")
        partitions.append(Partition(name, *(datetime.fromisoformat(value) for value in match.groups())))
    return sorted(partitions, key=lambda partition: partition.start)


def covering(partitions: list[Partition], moment: datetime) -> Partition | None:
    return next((p for p in partitions if p.start <= moment < p.end), None)


def gap_around(partitions: list[Partition], moment: datetime, unit: str) -> tuple[datetime, datetime]:
    """The interval of `moment`, narrowed so that it does not overlap an existing partition (the
    interval setting may have changed since the neighbours were created)."""
    start, end = interval_start(moment, unit), interval_end(interval_start(moment, unit), unit)
    for partition in partitions:
        if partition.end <= moment:
            start = max(start, partition.end)
        elif partition.start > moment:
            end = min(end, partition.start)
    return start, end


def retention_horizon(cursor) -> datetime | None:
    """max(range_end) of raw_retention; None also while migrating, before the table exists."""
    cursor.execute("SELECT to_regclass('raw_retention') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return None
    cursor.execute("SELECT max(range_end) FROM raw_retention")
    return cursor.fetchone()[0]


def create(cursor, start: datetime, end: datetime) -> str:
    name = f"event_p{start:%Y%m%d}"
    cursor.execute(f"CREATE TABLE {name} (LIKE event INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)")
    cursor.execute(f"ALTER TABLE event ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end])
    return name


def missing(error: IntegrityError) -> bool:
    """Whether an INSERT into event failed because a row fell outside every partition."""
    return isinstance(error.__cause__, errors.CheckViolation) and "no partition of relation" in str(error)


def ensure(moments: Iterable[datetime], *, unit: str | None = None) -> list[str]:
    """Creates the partitions that the given moments need and do not have; the names created.
    Never below the retention horizon (analytics/retention.py), and a partition that would
    straddle it starts at the horizon.

    Runs in its own transaction (or savepoint): call it outside the statement that needed it."""
    unit = unit or interval()
    wanted = sorted({moment.astimezone(UTC) for moment in moments})
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        horizon = retention_horizon(cursor)
        partitions = existing(cursor)
        for moment in wanted:
            if covering(partitions, moment) is not None or (horizon is not None and moment < horizon):
                continue
            start, end = gap_around(partitions, moment, unit)
            if horizon is not None:
                start = max(start, horizon)
            created.append(create(cursor, start, end))
            partitions = sorted([*partitions, Partition(created[-1], start, end)], key=lambda p: p.start)
    return created


def ahead_moments(now: datetime, unit: str) -> list[datetime]:
    """What must have a partition at `now`: the current interval, the next, and the furthest future
    the API accepts."""
    current = interval_start(now, unit)
    return [now, interval_end(current, unit), now + timedelta(seconds=settings.TALLY_MAX_FUTURE_SECONDS)]


def ensure_ahead(now: datetime | None = None) -> list[str]:
    unit = interval()
    return ensure(ahead_moments(now or datetime.now(UTC), unit), unit=unit)
