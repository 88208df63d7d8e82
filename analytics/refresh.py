"""Refreshes the materialized rollups (analytics/materialized.py) and records each refresh in
rollup_refresh; `manage.py rollups refresh [--every SECONDS]` runs it once or in a loop. Each
pass of the loop also folds the write slots of closed hours (rollups.compact), so the hourly
tables keep one row per key outside the last two hours, and creates the raw event partitions
that the coming interval needs (analytics/partitions.py), and, with TALLY_RAW_RETENTION set,
retires the raw partitions older than it (analytics/retention.py).

A populated view is refreshed CONCURRENTLY: readers keep reading the old rows meanwhile, and
ingestion is never blocked (a refresh only reads the hourly tables). A view that has never been
populated (created WITH NO DATA, or emptied with REFRESH ... WITH NO DATA) cannot be refreshed
concurrently and gets a plain REFRESH.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import Error, connection, transaction
from django_pgviews.view import MaterializedView

from analytics import partitions, retention, rollups, settling

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
"""Longest wait before the loop tries again after a database error (a restart, a failover)."""

RECORD = """
INSERT INTO rollup_refresh (view_name, refreshed_at, duration_ms)
VALUES (%s, now(), %s)
ON CONFLICT (view_name) DO UPDATE SET
    refreshed_at = EXCLUDED.refreshed_at,
    duration_ms = EXCLUDED.duration_ms
RETURNING refreshed_at
"""


@dataclass(frozen=True)
class Refresh:
    view: str
    concurrently: bool
    refreshed_at: datetime
    duration_ms: int

    def __str__(self) -> str:
        how = "concurrently" if self.concurrently else "fully (was never populated)"
        return f"{self.view} refreshed {how} in {self.duration_ms} ms"


def materialized_views() -> list[type[MaterializedView]]:
    return sorted(
        (model for model in apps.get_models() if issubclass(model, MaterializedView)),
        key=lambda model: model._meta.db_table,
    )


def view_refresh(*, view: type[MaterializedView]) -> Refresh:
    """Refreshes one view and records it, in one transaction: rollup_refresh moves only if the refresh commits.

    refreshed_at is now(), the start of the transaction; the REFRESH takes its snapshot after
    it, so the view holds at least every event committed before refreshed_at.
    """
    table = view._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT ispopulated FROM pg_matviews WHERE schemaname = current_schema() AND matviewname = %s", [table]
        )
        (populated,) = cursor.fetchone()
        started = time.perf_counter()
        cursor.execute(f"REFRESH MATERIALIZED VIEW {'CONCURRENTLY ' if populated else ''}{table}")
        duration_ms = round((time.perf_counter() - started) * 1000)
        cursor.execute(RECORD, [table, duration_ms])
        (refreshed_at,) = cursor.fetchone()
    return Refresh(view=table, concurrently=populated, refreshed_at=refreshed_at, duration_ms=duration_ms)


def compaction_horizon(now: datetime | None = None) -> datetime:
    """The start of the previous hour: hours before it are closed, and live writers rarely touch them."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


def log_compaction(folded: dict[str, int]) -> None:
    if any(folded.values()):
        logger.info("compacted: %s", ", ".join(f"{name} {rows}" for name, rows in folded.items() if rows))


def views_refresh() -> list[Refresh]:
    """Settles the pending events (analytics/settling.py), then refreshes every materialized view,
    one transaction each."""
    settling.settle_all()
    return [view_refresh(view=view) for view in materialized_views()]


def retain_due(now: datetime | None = None) -> retention.Retained | None:
    """With TALLY_RAW_RETENTION set, drops the raw partitions that end before now minus it."""
    keep = retention.parse_retention(settings.TALLY_RAW_RETENTION)
    if keep is None:
        return None
    return retention.retain(before=(now or datetime.now(UTC)) - keep)


def log_retention(done: retention.Retained | None) -> None:
    if done is not None and done.partitions:
        logger.info(
            "retired raw partitions %s (%d events); horizon %s", ", ".join(done.partitions), done.events, done.horizon
        )


def log_partitions(created: list[str]) -> None:
    if created:
        logger.info("created raw event partitions: %s", ", ".join(created))


def log_refresh(refresh: Refresh) -> None:
    logger.info("%s", refresh)


def refresh_loop(*, every: float, stop: threading.Event, on_refresh: Callable[[Refresh], None] = log_refresh) -> None:
    """Refreshes every view each `every` seconds (start to start) until `stop` is set, after
    settling the pending events (deferred summaries, analytics/settling.py) into the summaries."""

    def one_pass() -> None:
        log_settled(settling.settle_all())
        for view in materialized_views():
            if stop.is_set():
                return
            on_refresh(view_refresh(view=view))
        log_compaction(rollups.compact(before=compaction_horizon()))
        log_partitions(partitions.ensure_ahead())
        log_retention(retain_due())

    repeat(one_pass, every=every, stop=stop, what="refresh")


SETTLE_LOG_SECONDS = 60.0
"""How often the settling loop logs what it settled (a line a pass would be one a second)."""


def settle_loop(*, every: float, stop: threading.Event) -> None:
    """Settles every workspace's pending events each `every` seconds until `stop` is set; logs
    how many events and passes, and the largest pass, once every SETTLE_LOG_SECONDS (and at the end)."""
    tally = {"events": 0, "passes": 0, "largest": 0, "since": time.monotonic()}

    def report() -> None:
        if tally["events"]:
            logger.info(
                "settled %d pending events in %d passes over %.0fs (largest pass %d)",
                tally["events"], tally["passes"], time.monotonic() - tally["since"], tally["largest"],
            )  # fmt: skip
        tally.update(events=0, passes=0, largest=0, since=time.monotonic())

    def one_pass() -> None:
        events = settling.settle_all()
        tally["events"] += events
        tally["passes"] += 1
        tally["largest"] = max(tally["largest"], events)
        if time.monotonic() - tally["since"] >= SETTLE_LOG_SECONDS:
            report()

    try:
        repeat(one_pass, every=every, stop=stop, what="settle")
    finally:
        report()


def log_settled(events: int) -> None:
    if events:
        logger.info("settled %d pending events into the summaries", events)


def repeat(one_pass: Callable[[], None], *, every: float, stop: threading.Event, what: str) -> None:
    """Runs one_pass each `every` seconds (start to start) until `stop` is set.

    A database error (server restarted, connection killed, tables not migrated yet) does not end
    the loop: it is logged, the broken connection closed, and the pass retried after a pause;
    Django reconnects on the next query.
    """
    while not stop.is_set():
        started = time.monotonic()
        try:
            one_pass()
        except Error as error:
            retry = min(every, RETRY_SECONDS)
            logger.warning("%s failed, retrying in %gs: %s", what, retry, " ".join(str(error).split()))
            connection.close()
            stop.wait(retry)
            continue
        stop.wait(max(0.0, every - (time.monotonic() - started)))
