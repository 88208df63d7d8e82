"""Deferred summaries: ingest that stores events without summarizing them, and the settle that
summarizes them later, before anything reads them.

With TALLY_SUMMARIES=immediate (the default) an ingest statement stores its events in `event`
and the summary trigger updates every summary in the same transaction. With
TALLY_SUMMARIES=deferred the statement claims the events' keys in event_key as always (a retry
is still a duplicate, answered as one) but stores the events in event_pending, which has one
index and no trigger: a single-event transaction costs a fraction of an immediate one, and
concurrent writers share nothing but the key index. tally_settle() (sql/functions/tally_settle.sql)
moves a workspace's pending events into `event` in one INSERT, so the summary trigger counts
them as one batch, in the same transaction.

What stays true in both modes:

- `event` holds exactly the events the summaries count, so `rollups verify` and `rebuild`
  compare and recompute like with like, and every figure is exact.
- With deferred summaries every read through Tally (the API with a read scope, the dashboard)
  settles its workspace first, so it counts every event acknowledged before it: settle() costs one
  round trip and one index probe when nothing is pending. A reader that arrives while a settle of
  its workspace is running waits for it.
- What a DBA reads in psql lags the acknowledged events by the settling loop's interval
  (`manage.py rollups settle --every 1`); `SELECT tally_settle(id) FROM workspace` brings them current.
"""

import logging
from contextlib import nullcontext

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from analytics import citus, partitions

logger = logging.getLogger(__name__)

MODES = ("immediate", "deferred")


def deferred() -> bool:
    """Whether ingest stores new events as pending (TALLY_SUMMARIES=deferred). Never on a Citus
    cluster: there every statement is summarized at once (deferred summaries are not built for
    the shards)."""
    mode = settings.TALLY_SUMMARIES
    if mode not in MODES:
        raise ValueError(f"TALLY_SUMMARIES must be one of {', '.join(MODES)}, not {mode!r}")
    return mode == "deferred" and not citus.on_cluster()


SETTLE_MOST = 1000
"""The most pending events one settle transaction moves, the earliest first; a backlog takes several.
Batches of about the size of an immediate batch settle fastest: 1000 at a time settled a backlog of
20,000 events at 15,700 events/s, 10,000 at a time at 9,700 (bench/triggers.py's events)."""


def settle(workspace_id: int) -> int:
    """Summarizes the workspace's pending events (moves them into `event`), SETTLE_MOST at a time,
    until none is left; how many there were. Outside a transaction block each batch commits on
    its own."""
    settled = 0
    while True:
        moved = _settle_some(workspace_id)
        settled += moved
        if moved < SETTLE_MOST:
            return settled


def _settle_some(workspace_id: int) -> int:
    """One tally_settle() transaction. When an event needs a raw partition that does not exist yet,
    the settle fails and writes nothing: creates the partitions and settles again."""
    try:
        return _settle_once(workspace_id)
    except IntegrityError as error:
        if not partitions.missing(error):
            raise
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT occurred_at FROM event_pending WHERE workspace_id = %s", [workspace_id])
        partitions.ensure(moment for (moment,) in cursor.fetchall())
    drop_before_horizon(workspace_id)
    return _settle_once(workspace_id)


def drop_before_horizon(workspace_id: int) -> int:
    """Deletes the workspace's pending events dated before the retention horizon; how many.

    No partition is ever created below the horizon, so they can never be stored. One gets here
    only by a race: ingest checks the horizon it cached (TALLY_HORIZON_CACHE_SECONDS), and
    retention may move it meanwhile (it settles what is pending first). Immediate ingest refuses
    such an event with a 400 when its INSERT finds no partition; a deferred one had its 201 already,
    so it is dropped here with a warning in the log, as retention would have dropped it a moment
    later (the summaries of hours before the horizon no longer change)."""
    with connection.cursor() as cursor:
        horizon = partitions.retention_horizon(cursor)
        if horizon is None:
            return 0
        cursor.execute(
            "DELETE FROM event_pending WHERE workspace_id = %s AND occurred_at < %s RETURNING event_id",
            [workspace_id, horizon],
        )
        dropped = [event_id for (event_id,) in cursor.fetchall()]
    if dropped:
        logger.warning(
            "dropped %d pending events of workspace %s dated before the retention horizon %s: %s",
            len(dropped), workspace_id, horizon.isoformat(), ", ".join(dropped[:10]),
        )  # fmt: skip
    return len(dropped)


def _settle_once(workspace_id: int) -> int:
    # One statement: outside a transaction block it is a transaction of its own (no BEGIN and
    # COMMIT round trips, and a read whose first statement this is meets a stale connection the way
    # any first statement does, core/database.py, and is served again); inside one, a savepoint,
    # so that a missing partition does not abort the caller's transaction.
    with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        cursor.execute("SELECT tally_settle(%s, %s)", [workspace_id, SETTLE_MOST])
        return cursor.fetchone()[0]


def settle_for_read(workspace_id: int) -> int:
    """settle() before a read through Tally, with deferred summaries; nothing (not even a query)
    with immediate ones. After switching from deferred to immediate, the refresh loop (or one
    `rollups settle`) settles what is still pending."""
    return settle(workspace_id) if deferred() else 0


def pending_workspaces() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT workspace_id FROM event_pending ORDER BY 1")
        return [workspace_id for (workspace_id,) in cursor.fetchall()]


def settle_all() -> int:
    """settle() for every workspace with pending events, each in its own transaction; how many events."""
    return sum(settle(workspace_id) for workspace_id in pending_workspaces())
