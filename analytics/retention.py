"""Retention of raw events: whole partitions are dropped, no summary figure is lost.

`manage.py rollups retain --before DATE` (and the refresh loop, with TALLY_RAW_RETENTION) drops
every partition of `event` that ends at or before DATE. The **horizon** is the end of the
latest dropped partition, recorded in raw_retention (one row per dropped partition).

What stays exact, and why:

- The hourly summaries of buckets before the horizon stay as they are: no event can be added
  to them any more (below), so they are sealed. `rollups verify` and `rebuild` leave them alone.
- Conversations, sessions and dimensions (agent, channel, customer) are merges of their events
  by min / max / sum / latest-event rules. Such a merge is associative, so before a partition is
  dropped its events are merged into conversation_sealed, session_sealed, agent_sealed,
  channel_sealed and customer_sealed, and the recomputation views merge those with the retained
  events (sql/recompute/): recompute(all events) = merge(sealed, recompute(retained events)). The live
  tables (conversation, agent_slot, ...) are never touched: they already hold every event.
- An event dated before the horizon is refused (BeforeHorizon, a 400 naming the horizon): its
  partition is gone, no partition is ever created below the horizon (analytics/partitions.py),
  and there is no default partition, so the database refuses it even when a process holds an
  outdated horizon.
- event_key keeps the key of every event ever stored, dropped ones included: a retry of a
  dropped event dated after the horizon (same id, another occurred_at) is still a duplicate,
  never a second event. That is about 100 bytes per event, kept after the raw row is gone.

Steps: (1) under the partition lock, the doomed partitions are recorded in raw_retention, which
moves the horizon; (2) each is detached CONCURRENTLY (ingest is not blocked); (3) in one
transaction their events are merged into the sealed tables and the partitions dropped. A crash
in between leaves raw_retention rows without sealed_at, and the next run finishes them.
Verify and rebuild take RETAIN_LOCK in shared mode, so they never see a detached partition
whose events are not sealed yet.
"""

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction

from analytics import citus, partitions, settling
from analytics.models import (
    AgentSealed,
    ChannelSealed,
    ConversationLabelSealed,
    ConversationSealed,
    CustomerSealed,
    SessionSealed,
    recompute_sql,
)

RETAIN_LOCK = 7_406_002
"""pg_advisory_lock key: exclusive for a retention run, shared for verify and rebuild."""

SEALED = (
    (ConversationSealed, "conversation", ("workspace_id", "conversation_id"), "name LIKE 'conversation.%'"),
    (
        ConversationLabelSealed,
        "conversation_label",
        ("workspace_id", "conversation_id"),
        "name IN ('conversation.labeled', 'conversation.unlabeled')",
    ),
    (AgentSealed, "agent", ("workspace_id", "agent_id"), "agent_id IS NOT NULL"),
    (ChannelSealed, "channel", ("workspace_id", "channel_id"), "channel_id IS NOT NULL"),
    (CustomerSealed, "customer", ("workspace_id", "customer_id"), "customer_id IS NOT NULL"),
    (SessionSealed, "session", ("workspace_id", "session_id"), "session_id IS NOT NULL"),
)
"""(sealed model, recomputed summary, key, which events carry the key)."""

FK_LOCK_TIMEOUT = "200ms"
FK_DROP_ATTEMPTS = 50

RETENTION = re.compile(r"(\d+)\s*([dw])")


class BeforeHorizon(Exception):
    """Events dated before the retention horizon: nothing of the request is written."""

    def __init__(self, positions: list[int], horizon: datetime):
        self.positions = positions
        self.horizon = horizon
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return (
            f"Is before the retention horizon {self.horizon.isoformat().replace('+00:00', 'Z')}: "
            "raw events before it have been retired and their hours are sealed."
        )


def horizon() -> datetime | None:
    """The retention horizon, read from the database: no raw event before it exists or is accepted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(range_end) FROM raw_retention")
        return cursor.fetchone()[0]


_cached: tuple[float, datetime | None] = (0.0, None)
_cache_lock = threading.Lock()


def cached_horizon() -> datetime | None:
    """horizon(), reused for a few seconds. It can only be older (earlier) than the real one, so
    it refuses nothing wrongly; an event it lets through is refused by the database."""
    global _cached
    now = time.monotonic()
    with _cache_lock:
        expires, value = _cached
        if now < expires:
            return value
    value = horizon()
    with _cache_lock:
        _cached = (now + settings.TALLY_HORIZON_CACHE_SECONDS, value)
    return value


def forget_cached_horizon() -> None:
    global _cached
    with _cache_lock:
        _cached = (0.0, None)


def check(moments: list[datetime], limit: datetime | None) -> None:
    """Raises BeforeHorizon for the positions of `moments` before `limit`."""
    if limit is None:
        return
    early = [position for position, moment in enumerate(moments) if moment < limit]
    if early:
        raise BeforeHorizon(early, limit)


def parse_retention(text: str) -> timedelta | None:
    """TALLY_RAW_RETENTION: '90d', '12w', or empty for keeping raw events forever."""
    text = text.strip().lower()
    if not text:
        return None
    match = RETENTION.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"TALLY_RAW_RETENTION must look like 90d or 12w, not {text!r}")
    count, unit = int(match.group(1)), match.group(2)
    return timedelta(days=count * (7 if unit == "w" else 1))


@dataclass(frozen=True)
class Retained:
    partitions: list[str]
    events: int
    horizon: datetime | None


def retain(*, before: datetime) -> Retained:
    """Drops every raw partition that ends at or before `before`, sealing what their events merged into."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [RETAIN_LOCK])
    try:
        _record(before.astimezone(UTC))
        # Pending events (deferred summaries) are summarized while their partitions exist; the
        # horizon recorded above already refuses new events before it.
        settling.settle_all()
        with connection.cursor() as cursor:
            cursor.execute("SELECT partition FROM raw_retention WHERE sealed_at IS NULL ORDER BY range_start")
            pending = [name for (name,) in cursor.fetchall()]
        for name in pending:
            _detach(name)
            _drop_foreign_keys(name)
        events = _seal(pending)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RETAIN_LOCK])
        forget_cached_horizon()
    return Retained(partitions=pending, events=events, horizon=horizon())


def _record(before: datetime) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [partitions.LOCK_KEY])
        existing = partitions.existing(cursor)
        for partition in existing:
            if partition.end <= before:
                cursor.execute(
                    "INSERT INTO raw_retention (partition, range_start, range_end) VALUES (%s, %s, %s) "
                    "ON CONFLICT (partition) DO NOTHING",
                    [partition.name, partition.start, partition.end],
                )
        _advance_to_boundary(cursor, before, [partition for partition in existing if partition.end > before])


def _advance_to_boundary(cursor, before: datetime, kept: list[partitions.Partition]) -> None:
    """Moves the horizon up to the last interval boundary at or before `before` even where no
    partition held those intervals (a fresh database, gaps): `retain --before` then also means
    that no event before it is accepted afterwards. Never into a kept partition (one of another
    interval setting that straddles `before`): the horizon stays at a partition boundary. The
    interval it closes is recorded as an already sealed row of 0 events."""
    unit = partitions.interval()
    boundary = partitions.interval_start(before, unit)
    if kept:
        boundary = min(boundary, min(partition.start for partition in kept))
    cursor.execute("SELECT max(range_end) FROM raw_retention")
    (current,) = cursor.fetchone()
    if current is not None and boundary <= current:
        return
    start = partitions.interval_start(boundary - timedelta(microseconds=1), unit)
    if current is not None:
        start = max(start, current)
    cursor.execute(
        "INSERT INTO raw_retention (partition, range_start, range_end, events, sealed_at) "
        "VALUES (%s, %s, %s, 0, now()) ON CONFLICT (partition) DO NOTHING",
        [f"event_p{start:%Y%m%d}", start, boundary],
    )


def _detach(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhdetachpending FROM pg_inherits "
            "WHERE inhrelid = to_regclass(%s) AND inhparent = 'event'::regclass",
            [name],
        )
        row = cursor.fetchone()
        if row is None:
            return
        if row[0]:
            cursor.execute(f"ALTER TABLE event DETACH PARTITION {name} FINALIZE")
        elif connection.in_atomic_block or citus.is_citus():
            # Inside a transaction (a test, a caller's atomic block) CONCURRENTLY is not allowed;
            # Citus 13 refuses it on a distributed table: there the detach holds ingest until it
            # commits (a catalogue change on each shard, no data copied).
            cursor.execute(f"ALTER TABLE event DETACH PARTITION {name}")
        else:
            cursor.execute(f"ALTER TABLE event DETACH PARTITION {name} CONCURRENTLY")


def _drop_foreign_keys(name: str) -> None:
    """The detached table's copy of event's foreign key to workspace goes first, each in a short
    transaction that waits at most FK_LOCK_TIMEOUT for its lock on workspace and is tried again:
    dropping the table with the key still on it would lock workspace (every ingest statement
    checks it) until the seal commits, and behind any long transaction holding workspace."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'f'", [name])
        keys = [key for (key,) in cursor.fetchall()]
    for key in keys:
        for attempt in range(FK_DROP_ATTEMPTS):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    # Deferred foreign-key checks of rows an enclosing transaction inserted would
                    # refuse the ALTER (none when retention runs on its own).
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute(f"SET LOCAL lock_timeout = '{FK_LOCK_TIMEOUT}'")
                    cursor.execute(f'ALTER TABLE {name} DROP CONSTRAINT "{key}"')
                    cursor.execute("SET LOCAL lock_timeout = DEFAULT")
                break
            except OperationalError:
                if attempt == FK_DROP_ATTEMPTS - 1:
                    raise
                time.sleep(0.1 * (attempt + 1))


def _seal(names: list[str]) -> int:
    """Merges the detached partitions' events into the sealed tables and drops them; the events sealed."""
    if not names:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Deferred foreign-key checks of rows inserted earlier in an enclosing transaction would
        # block DROP TABLE; run them now (there are none when retention runs on its own).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        tables = []
        for name in names:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if cursor.fetchone()[0]:
                tables.append(name)
        events = 0
        if tables:
            events_sql = " UNION ALL ".join(f"SELECT * FROM {name}" for name in tables)
            with scoped_recompute(cursor, events_sql, read=[summary for _, summary, _, _ in SEALED]):
                for model, summary, key, carries in SEALED:
                    _merge_sealed(cursor, model, summary, key, carries)
            for name in tables:
                cursor.execute(f"SELECT count(*) FROM {name}")
                (rows,) = cursor.fetchone()
                events += rows
                cursor.execute("UPDATE raw_retention SET events = %s WHERE partition = %s", [rows, name])
            for name in tables:
                cursor.execute(f"DROP TABLE {name}")
        cursor.execute("UPDATE raw_retention SET sealed_at = now() WHERE partition = ANY(%s)", [names])
    return events


def _merge_sealed(cursor, model, summary: str, key: tuple[str, ...], carries: str) -> None:
    """sealed := merge(sealed, dropped events) for the keys the dropped events carry."""
    table = model._meta.db_table
    columns = ", ".join(field.column for field in model._meta.concrete_fields)
    keys = ", ".join(key)
    touched = f"SELECT DISTINCT {keys} FROM pg_temp.event WHERE {carries}"
    cursor.execute(
        f"CREATE TEMP TABLE merged_sealed ON COMMIT DROP AS "
        f"SELECT {columns} FROM pg_temp.recompute_{summary} WHERE ({keys}) IN ({touched})"
    )
    cursor.execute(f"DELETE FROM {table} WHERE ({keys}) IN ({touched})")
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM merged_sealed")
    cursor.execute("DROP TABLE merged_sealed")


RECOMPUTE_ORDER = (
    "event_hourly",
    "customer_interaction_hourly",
    "agent",
    "channel",
    "customer",
    "conversation_label",
    "conversation",
    "conversation_measured",
    "support_hourly",
    "support_duration_hourly",
    "support_csat_hourly",
    "support_reply_hourly",
    "support_sla_hourly",
    "support_total_hourly",
    "support_channel_hourly",
    "support_agent_hourly",
    "event_name_hourly",
    "event_property_hourly",
    "conversation_due",
    "support_live",
    "support_team_hourly",
    "support_label_hourly",
    "support_business_hourly",
    "session",
    "event_unique_hourly",
)
"""The recomputation views in an order in which each one's inputs exist (conversation_measured is not
a summary's: what several of them read)."""


def _body(name: str) -> str:
    """The recompute view's SQL without its comment lines."""
    return "\n".join(line for line in recompute_sql(name).splitlines() if not line.lstrip().startswith("--"))


READS = {
    name: frozenset(
        other for other in RECOMPUTE_ORDER if other != name and re.search(rf"\brecompute_{other}\b", _body(name))
    )
    for name in RECOMPUTE_ORDER
}
"""For each recompute view, the other recompute views its SQL reads."""

READ_BY_OTHERS = frozenset().union(*READS.values())
"""The recompute views that other recompute views read: recompute_conversation (by the support_*
views), recompute_conversation_measured (by the business, SLA, team and label ones),
recompute_support_hourly and recompute_support_duration_hourly (by the per-total, channel and agent
ones), recompute_conversation_due (by recompute_support_live)."""


def needed_by(names: Iterable[str]) -> frozenset[str]:
    """`names` and every recompute view they read, directly or through another."""
    found, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(READS[name])
    return frozenset(found)


def shadow_recomputes(cursor, *, workspace_id: int | None = None, read: Iterable[str] | None = None) -> frozenset[str]:
    """Shadows every recompute_<summary> view within the transaction (PostgreSQL looks up pg_temp
    first): those that other views read become temporary tables computed once (for `workspace_id`
    only, when given), the others temporary views over them. Without the tables,
    each support_* view recomputes every conversation from the raw events again, and the
    per-total, channel and agent views support_hourly as well. The same SQL files either way.

    `read`: the recompute views the caller will read (default: all). Only those views others read
    that one of them needs become tables; the rest stay views, never computed unless read (the
    seal of retention reads the conversations and dimensions, not the support figures). Returns
    the names made tables, for unshadow_recomputes."""
    # No parameters: the bodies hold `%` (LIKE 'conversation.%'); the id is an int.
    where = f"WHERE workspace_id = {int(workspace_id)}" if workspace_id is not None else ""
    tables = READ_BY_OTHERS if read is None else READ_BY_OTHERS & needed_by(read)
    for name in RECOMPUTE_ORDER:
        if name in tables:
            cursor.execute(f"CREATE TEMP TABLE recompute_{name} AS SELECT * FROM ({recompute_sql(name)}) AS v {where}")
            cursor.execute(f"ANALYZE pg_temp.recompute_{name}")
        else:
            cursor.execute(f"CREATE TEMP VIEW recompute_{name} AS {recompute_sql(name)}")
    return tables


def unshadow_recomputes(cursor, tables: frozenset[str] = READ_BY_OTHERS) -> None:
    # The session's temporary schema by its own name (pg_temp_N): on Citus 13, DROP VIEW
    # pg_temp.<view> fails with 'schema "pg_temp" does not exist' (its DDL propagation looks the
    # schema up by that name).
    cursor.execute("SELECT pg_my_temp_schema()::regnamespace::text")
    (schema,) = cursor.fetchone()
    for name in reversed(RECOMPUTE_ORDER):
        cursor.execute(f"DROP {'TABLE' if name in tables else 'VIEW'} {schema}.recompute_{name}")


class scoped_recompute:
    """Within the current transaction, makes every recompute_<summary> view read only the rows of
    `events_sql` instead of the whole event table: a temporary table named event and temporary
    recompute_<summary> views and tables (shadow_recomputes, from the same sql/recompute files)
    shadow the real ones, since PostgreSQL looks up pg_temp first. With `sealed_of` (the schema of
    the real tables), the sealed tables are shadowed too, by their rows of the keys the events
    carry: for verify and rebuild, never for sealing, which writes the real ones. `read`: the
    recompute views the caller reads (shadow_recomputes). Dropped again on exit."""

    def __init__(
        self, cursor, events_sql: str, params=None, *, sealed_of: str | None = None, read: Iterable[str] | None = None
    ):
        self.cursor, self.events_sql, self.params, self.sealed_of = cursor, events_sql, params, sealed_of
        self.read = read
        self.tables: frozenset[str] = frozenset()

    def __enter__(self):
        self.cursor.execute(f"CREATE TEMP TABLE event AS {self.events_sql}", self.params)
        # A temporary table has no statistics until analyzed: the planner would guess its size.
        self.cursor.execute("ANALYZE pg_temp.event")
        if self.sealed_of is not None:
            # Only the sealed state of the keys these events carry: a recomputation of those keys
            # reads nothing else of it, and the sealed tables grow with all retired history.
            for table, key in SEALED_KEYS.items():
                self.cursor.execute(
                    f"CREATE TEMP TABLE {table} AS SELECT * FROM {self.sealed_of}.{table} "
                    f"WHERE (workspace_id, {key}) IN (SELECT workspace_id, {key} FROM pg_temp.event)"
                )
        self.tables = shadow_recomputes(self.cursor, read=self.read)
        return self

    def __exit__(self, *exc_info):
        if exc_info[0] is None:
            unshadow_recomputes(self.cursor, self.tables)
            if self.sealed_of is not None:
                for table in SEALED_KEYS:
                    self.cursor.execute(f"DROP TABLE pg_temp.{table}")
            self.cursor.execute("DROP TABLE pg_temp.event")
        return False


SEALED_KEYS = {
    "conversation_sealed": "conversation_id",
    "conversation_label_sealed": "conversation_id",
    "agent_sealed": "agent_id",
    "channel_sealed": "channel_id",
    "customer_sealed": "customer_id",
    "session_sealed": "session_id",
}
"""Each sealed table and the event column of its key (after workspace_id)."""
