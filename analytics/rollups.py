"""Compare every summary with its recomputation from the raw events, rebuild it, and fold its
write slots.

Each summary table has a view recompute_<table> (sql/recompute/<table>.sql) that derives it
from the event table alone. For additive tables a missing row equals a row of zeros: the
triggers may leave zero rows behind when a conversation's contribution moves to another hour.

Summary tables other than conversation have a write `slot` in their key (see
sql/functions/tally_write_slot.sql): a key's figures are the merge of its slot rows (sums,
min/max, the attribute of the latest event). Verify compares that merge with the
recomputation; rebuild writes slot 0; compact folds the slots of closed hours into slot 0.
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.postgres.fields import ArrayField
from django.db import DatabaseError, connection, models, transaction

from analytics import citus, retention
from analytics import models as tables
from analytics.catalogue.days import days_rewrite
from analytics.models import recompute_sql
from analytics.retention import shadow_recomputes, unshadow_recomputes
from core.models import Workspace

LATEST = "latest"
"""Merge of a dimension attribute: the value of the slot whose carrying event is latest."""
PRESENT = "present"
"""What verify compares for a summary whose rows are keys only (a set): whether the row exists."""


@dataclass(frozen=True)
class Summary:
    model: type[models.Model]
    key: tuple[str, ...]
    additive: bool
    merge: dict[str, str] = field(default_factory=dict)
    """How the slot rows of a key combine, per column: 'sum' (the default), 'min', 'max' or LATEST."""
    merged_view: str | None = None
    """A view that already merges the slots (the dimensions' agent, channel, customer)."""
    days: str | None = None
    """The table that holds this hourly summary's slot 0 summed by UTC day (support_agent_daily):
    compaction adds what it folds into slot 0 to it in the same statement."""
    per_day: bool = False
    """A table of UTC days (`bucket` is midnight UTC) derived from an hourly summary's slot 0."""
    periods: bool = False
    """Keyed by a `period` of the workspace's zone (event_unique_period*): a bounded scope covers
    the periods that may overlap its range (a superset in any zone), for the members with an
    event in the scope; the counts, of the range's hours."""
    transient: tuple[str, ...] = ()
    """Columns that only the trigger reads back (not compared, rebuilt as NULL)."""
    source: str | None = None
    """For a summary recomputed from another summary table rather than the raw events (the days,
    the unique periods and their counts): that table. A bounded scope shadows it by the rows its
    range can need (Scope.source_where), since the scope's conditions on the recompute view's output
    (a day or a period computed from `bucket`) cannot restrict the view's scan of it."""
    capped_days: Callable | None = None
    """For a summary whose days are not the sum of what is folded (event_property_hourly_slot: the
    cap of each hour), what recomputes the days whose hours compaction folds, from their slot 0
    rows, in its transaction: (cursor, [(workspace id, name, day)])."""

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def name(self) -> str:
        """What the summary is called for a reader: the merged view, else the table."""
        return self.merged_view or self.table

    @property
    def view(self) -> str:
        return f"recompute_{self.name}"

    @property
    def slotted(self) -> bool:
        return any(field.column == "slot" for field in self.model._meta.concrete_fields)

    @property
    def hourly(self) -> bool:
        return "bucket" in self.key

    @property
    def columns(self) -> list[str]:
        return [
            field.column
            for field in self.model._meta.concrete_fields
            if not field.generated and field.column not in self.transient
        ]

    def _field(self, column: str) -> models.Field:
        return next(field for field in self.model._meta.concrete_fields if field.column == column)

    def zero(self, column: str) -> str:
        """The SQL value of `column` in a row of zeros (what a missing additive row stands for)."""
        field = self._field(column)
        if isinstance(field, ArrayField):
            return f"array_fill(0::bigint, ARRAY[{field.size}])"
        return "0"

    @property
    def values(self) -> list[str]:
        compared = [field.column for field in self.model._meta.concrete_fields]
        skipped = {*self.key, "slot", *self.transient}
        return [column for column in compared if column not in skipped]

    def merged_value(self, column: str, alias: str = "t") -> str:
        """The aggregate that merges `column` over the slot rows of one key (rows aliased `alias`)."""
        kind = self.merge.get(column, "sum")
        field = self._field(column)
        if kind == LATEST:
            attribute = column.removesuffix("_at").removesuffix("_event_id")
            order = f"{alias}.{attribute}_at DESC NULLS LAST, {alias}.{attribute}_event_id DESC NULLS LAST"
            if column == f"{attribute}_at":
                return f"max({alias}.{column})"
            return f"(array_agg({alias}.{column} ORDER BY {order}))[1]"
        if kind in ("min", "max"):
            return f"{kind}({alias}.{column})"
        if isinstance(field, ArrayField):
            elements = ", ".join(f"sum({alias}.{column}[{i}])" for i in range(1, field.size + 1))
            return f"ARRAY[{elements}]::bigint[]"
        return f"sum({alias}.{column})"

    def merged_sql(self, where: str = "") -> str:
        """One row per key: the slots merged (the table itself when it has no slots)."""
        if self.merged_view is not None:
            return f"SELECT * FROM {self.merged_view} {where}"
        if not self.slotted:
            return f"SELECT * FROM {self.table} {where}"
        keys = ", ".join(f"t.{column}" for column in self.key)
        merged = ", ".join(f"{self.merged_value(column)} AS {column}" for column in self.values)
        return f"SELECT {keys}, {merged} FROM {self.table} AS t {where} GROUP BY {keys}"


def dimension_merge(*attributes: str) -> dict[str, str]:
    merge = {"first_seen_at": "min", "last_seen_at": "max"}
    for attribute in attributes:
        merge.update({attribute: LATEST, f"{attribute}_at": LATEST, f"{attribute}_event_id": LATEST})
    return merge


SUMMARIES = (
    Summary(tables.Conversation, ("workspace_id", "conversation_id"), additive=False),
    Summary(tables.ConversationLabel, ("workspace_id", "conversation_id", "label"), additive=False),
    Summary(
        tables.AgentSlot,
        ("workspace_id", "agent_id"),
        additive=False,
        merge=dimension_merge("name", "email"),
        merged_view="agent",
    ),
    Summary(
        tables.ChannelSlot,
        ("workspace_id", "channel_id"),
        additive=False,
        merge=dimension_merge("name"),
        merged_view="channel",
    ),
    Summary(
        tables.CustomerSlot,
        ("workspace_id", "customer_id"),
        additive=False,
        merge=dimension_merge("name", "type", "occupation"),
        merged_view="customer",
    ),
    Summary(
        tables.EventHourly,
        ("workspace_id", "bucket", "name", "channel_id", "agent_id"),
        additive=False,
        merge={"value_min": "min", "value_max": "max"},
    ),
    Summary(
        tables.EventNameHourly,
        ("workspace_id", "bucket", "name"),
        additive=False,
        merge={"value_min": "min", "value_max": "max", "first_seen_at": "min", "last_seen_at": "max"},
    ),
    # After event_name_hourly: rebuilt from it, once it is rebuilt.
    Summary(
        tables.EventNameLifetime,
        ("workspace_id", "name"),
        additive=False,
        merge={"first_seen_at": "min", "last_seen_at": "max"},
    ),
    Summary(
        tables.EventPropertyHourlySlot,
        ("workspace_id", "name", "dimension", "bucket", "measure", "kind", "value"),
        additive=False,
        merge={"amount_min": "min", "amount_max": "max"},
        merged_view="event_property_hourly",
        capped_days=days_rewrite,
    ),
    # After event_property_hourly_slot: rebuild recomputes it from the slot 0 rows just written.
    Summary(
        tables.EventPropertyDaily,
        ("workspace_id", "name", "dimension", "bucket", "measure", "kind", "value"),
        additive=False,
        merge={"amount_min": "min", "amount_max": "max"},
        per_day=True,
        source="event_property_hourly_slot",
    ),
    Summary(tables.CustomerInteractionHourly, ("workspace_id", "bucket", "customer_id", "channel_id"), additive=False),
    Summary(tables.SupportHourly, ("workspace_id", "bucket", "channel_id", "agent_id"), additive=True),
    Summary(
        tables.SupportDurationHourly,
        ("workspace_id", "bucket", "channel_id", "agent_id", "metric", "bin_start_seconds"),
        additive=True,
    ),
    Summary(tables.SupportTotalHourly, ("workspace_id", "bucket"), additive=True),
    Summary(tables.SupportChannelHourly, ("workspace_id", "bucket", "channel_id"), additive=True),
    Summary(
        tables.SupportAgentHourly, ("workspace_id", "bucket", "agent_id"), additive=True, days="support_agent_daily"
    ),
    # After support_agent_hourly: rebuild sums the slot 0 rows it has just written.
    Summary(
        tables.SupportAgentDaily,
        ("workspace_id", "bucket", "agent_id"),
        additive=True,
        per_day=True,
        source="support_agent_hourly",
    ),
    Summary(tables.SupportLive, ("workspace_id", "channel_id"), additive=True),
    Summary(tables.SupportCsatHourly, ("workspace_id", "bucket", "channel_id", "agent_id", "team_id"), additive=True),
    Summary(tables.SupportReplyHourly, ("workspace_id", "bucket", "channel_id", "agent_id"), additive=True),
    Summary(tables.SupportTeamHourly, ("workspace_id", "bucket", "team_id"), additive=True),
    Summary(tables.SupportLabelHourly, ("workspace_id", "bucket", "label"), additive=True),
    Summary(tables.SupportBusinessHourly, ("workspace_id", "bucket", "channel_id", "agent_id"), additive=True),
    Summary(tables.SupportSlaHourly, ("workspace_id", "bucket", "channel_id", "agent_id"), additive=True),
    Summary(tables.ConversationDue, ("workspace_id", "conversation_id", "kind"), additive=False),
    Summary(tables.Session, ("workspace_id", "session_id"), additive=False),
    # A set: its rows are keys only, compared by presence (PRESENT).
    Summary(tables.EventUniqueHourly, ("workspace_id", "kind", "name", "bucket", "member"), additive=False),
    # After event_unique_hourly: derived from that table (retired history included), in the
    # workspace's zone.
    Summary(
        tables.EventUniquePeriod,
        ("workspace_id", "kind", "name", "granularity", "period", "member"),
        additive=False,
        periods=True,
        transient=("previous_first_bucket", "previous_last_bucket"),
        source="event_unique_hourly",
    ),
    Summary(
        tables.EventUniquePeriodCount,
        ("workspace_id", "kind", "name", "granularity", "period", "bucket"),
        additive=True,
        periods=True,
        source="event_unique_period",
    ),
)


@dataclass(frozen=True)
class Difference:
    table: str
    key: dict
    column: str
    summary: object
    recomputed: object


@dataclass(frozen=True)
class Scope:
    """What verify and rebuild cover: a workspace or all, every hour or [since, until).

    Hourly summaries are compared from the retention horizon on (analytics/retention.py): older
    buckets are sealed. With a range, the hours inside it (widened to whole hours) are compared,
    and the conversations that have an event inside it, recomputed from all their events; the
    dimensions and live counters, which depend on all history, only in a full run."""

    workspace_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def covers(self, summary: "Summary") -> bool:
        return (
            not self.bounded
            or summary.hourly
            or summary.periods
            or summary.table in ("conversation", "conversation_label", "conversation_due")
        )

    def where(self, summary: "Summary", horizon: datetime | None) -> str:
        conditions = []
        if self.workspace_id is not None:
            conditions.append("workspace_id = %(workspace)s")
        if summary.per_day:
            # A day's row holds the hours from its midnight on: the days that overlap the range.
            if horizon is not None:
                conditions.append("bucket >= date_trunc('day', %(horizon)s::timestamptz, 'UTC')")
            if self.since is not None:
                conditions.append("bucket >= date_trunc('day', %(since)s::timestamptz, 'UTC')")
            if self.until is not None:
                conditions.append("bucket < %(until)s")
        elif summary.periods:
            if summary.hourly and horizon is not None:
                conditions.append("bucket >= %(horizon)s")
            conditions.extend(self.periods_near())
            if self.bounded and summary.hourly:
                # The counts of the range's hours, as for the other hourly tables: a member whose
                # first or last hour of a period lies in the range has an event in it.
                if self.since is not None:
                    conditions.append("bucket >= date_trunc('hour', %(since)s::timestamptz, 'UTC')")
                if self.until is not None:
                    conditions.append("bucket < %(until)s")
            elif self.bounded:
                # The members with an event in the scope (pg_temp.scope_member, made by scoped()):
                # the only ones whose periods the range can change. Their rows are recomputed from
                # their own hourly rows (the condition is on grouping columns of the recompute
                # view, so it filters its scan), not from every member's of a month or two.
                conditions.append("(workspace_id, kind, member) IN (SELECT * FROM pg_temp.scope_member)")
        elif summary.hourly:
            if horizon is not None:
                conditions.append("bucket >= %(horizon)s")
            if self.since is not None:
                conditions.append("bucket >= date_trunc('hour', %(since)s::timestamptz, 'UTC')")
            if self.until is not None:
                conditions.append("bucket < %(until)s")
        elif self.bounded:
            conditions.append("(workspace_id, conversation_id) IN (SELECT * FROM pg_temp.scope_conversation)")
        return f"WHERE {' AND '.join(conditions)}" if conditions else ""

    def periods_near(self) -> list[str]:
        """The periods that can hold an hour of [since, until): months are at most 31 days and a
        zone's date is within a day of UTC's."""
        conditions = []
        if self.since is not None:
            conditions.append("period >= (%(since)s::timestamptz AT TIME ZONE 'UTC')::date - 32")
        if self.until is not None:
            conditions.append("period <= (%(until)s::timestamptz AT TIME ZONE 'UTC')::date + 1")
        return conditions

    def source_where(self, summary: "Summary") -> str | None:
        """The rows of `summary.source` that its recomputation within this bounded scope can read
        (a superset; the scope's own conditions on the view then pick the compared rows), or None
        for all of them."""
        if not self.bounded or summary.source is None:
            return None
        conditions = []
        if self.workspace_id is not None:
            conditions.append("workspace_id = %(workspace)s")
        if summary.per_day:
            # The hours of the days that overlap the range.
            if self.since is not None:
                conditions.append("bucket >= date_trunc('day', %(since)s::timestamptz, 'UTC')")
            if self.until is not None:
                conditions.append("bucket < %(until)s::timestamptz + interval '1 day'")
        elif summary.hourly:
            # event_unique_period_count: the counts of the range's hours come from the period rows
            # whose first or last hour is in the range, whose members have an event in it.
            conditions.append("(workspace_id, kind, member) IN (SELECT * FROM pg_temp.scope_member)")
            conditions.extend(self.periods_near())
        else:
            # event_unique_period: the hours of the range's members in the periods where() compares,
            # [UTC date of since - 32, UTC date of until + 1] in any zone (within 14 hours of UTC),
            # a month at most 31 days long: within 35 days of the range.
            conditions.append("(workspace_id, kind, member) IN (SELECT * FROM pg_temp.scope_member)")
            if self.since is not None:
                conditions.append("bucket >= %(since)s::timestamptz - interval '35 days'")
            if self.until is not None:
                conditions.append("bucket < %(until)s::timestamptz + interval '35 days'")
        return " AND ".join(conditions) if conditions else None

    def params(self, horizon: datetime | None) -> dict:
        return {"workspace": self.workspace_id, "since": self.since, "until": self.until, "horizon": horizon}

    def events_sql(self, *, per_conversation: bool = True) -> str:
        """The raw events a bounded recomputation reads: those inside the range (hours widened) of the
        workspace, and every event of a conversation that has one inside it.

        With `per_conversation` the second part looks each such conversation up through its index
        (LATERAL ... OFFSET 0) and leaves out the events of the first, so no UNION sorts whole
        rows: for a day at 10M events (29,000 conversations) 0.9 s against 2.5 s for the UNION
        with an IN (SELECT ...) below, which the planner made a scan of every partition. Citus
        cannot push a LATERAL subquery with OFFSET down to the shards, so a cluster reads the
        UNION form, which it runs per co-located shard."""
        inside = " AND ".join(self.conditions(""))
        if not per_conversation:
            return f"""
                SELECT * FROM {{schema}}.event WHERE {inside}
                UNION
                SELECT e.* FROM {{schema}}.event AS e
                WHERE (e.workspace_id, e.conversation_id) IN (
                    SELECT workspace_id, conversation_id FROM {{schema}}.event
                    WHERE {inside} AND name LIKE 'conversation.%%'
                )
            """
        inside_e = " AND ".join(self.conditions("e."))
        return f"""
            SELECT * FROM {{schema}}.event WHERE {inside}
            UNION ALL
            SELECT e.* FROM (
                SELECT DISTINCT workspace_id, conversation_id FROM {{schema}}.event
                WHERE {inside} AND name LIKE 'conversation.%%'
            ) AS c
            CROSS JOIN LATERAL (
                SELECT * FROM {{schema}}.event AS e
                WHERE e.workspace_id = c.workspace_id AND e.conversation_id = c.conversation_id
                  AND e.conversation_id IS NOT NULL AND NOT ({inside_e})
                OFFSET 0
            ) AS e
        """

    def conditions(self, prefix: str) -> list[str]:
        """What puts an event (columns prefixed with `prefix`) inside the scope: never NULL."""
        conditions = []
        if self.workspace_id is not None:
            conditions.append(f"{prefix}workspace_id = %(workspace)s")
        if self.since is not None:
            conditions.append(f"{prefix}occurred_at >= date_trunc('hour', %(since)s::timestamptz, 'UTC')")
        if self.until is not None:
            conditions.append(f"{prefix}occurred_at < %(until)s")
        return conditions


@contextmanager
def scoped(scope: Scope, *, write: bool = False):
    """A transaction in which the recompute views read what `scope` needs, under the shared
    retention lock (a retention run never overlaps it). With `write` (rebuild), ingestion is held
    too (SHARE mode on event, before the scope's events are read) and the transaction commits;
    without, it is rolled back. Temporary objects are dropped at the end either way."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [retention.RETAIN_LOCK])
        if write:
            cursor.execute("LOCK TABLE event IN SHARE MODE")
            # A zone change rebuilds its workspace's unique periods under the workspace's row lock,
            # not the table's: it must not overlap a rebuild of the same periods. (On Citus it
            # takes the table lock, which the one above already conflicts with.)
            if not citus.is_citus():
                one = "WHERE id = %s" if scope.workspace_id is not None else ""
                params = [scope.workspace_id] if one else []
                cursor.execute(f"SELECT 1 FROM workspace {one} ORDER BY id FOR SHARE", params)
        horizon = retention.horizon()
        if scope.bounded:
            # JIT compiles the recomputations' expressions for seconds; a bounded scope reads too few
            # rows to gain it back (a day at 10M events: 2.9 s of 3.8 for the scope's events alone).
            cursor.execute("SET LOCAL jit = off")
            # The recomputations sort and hash the scope's rows many times over: with the default
            # 4MB each of those spills to disk. The scope's events and recomputations are temporary
            # tables, read through the session's local buffers (8MB by default): a day at 10M events
            # is a few hundred MB of them, read again from the kernel at every scan. temp_buffers
            # can only change before the session's first temporary table (else the savepoint
            # undoes the refused SET): the first verify of a session (a command, a benchmark's
            # connection) sizes the local buffers for the session; they are allocated as used, and
            # keep that size after this transaction's rollback resets the setting's value.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            try:
                with transaction.atomic():
                    cursor.execute("SET temp_buffers = '256MB'")
            except DatabaseError:
                pass
            cursor.execute("SELECT current_schema()")
            (schema,) = cursor.fetchone()
            quoted = connection.ops.quote_name(schema)
            events = scope.events_sql(per_conversation=not citus.is_citus()).format(schema=quoted)
            with retention.scoped_recompute(cursor, events, scope.params(horizon), sealed_of=quoted):
                cursor.execute(
                    "CREATE TEMP TABLE scope_conversation AS SELECT DISTINCT workspace_id, conversation_id "
                    "FROM pg_temp.event WHERE name LIKE 'conversation.%'"
                )
                cursor.execute(
                    "CREATE TEMP TABLE scope_member AS "
                    "SELECT workspace_id, 'user'::varchar(7) AS kind, user_id AS member FROM pg_temp.event "
                    "WHERE user_id IS NOT NULL UNION "
                    "SELECT workspace_id, 'session', session_id FROM pg_temp.event WHERE session_id IS NOT NULL"
                )
                cursor.execute("ANALYZE pg_temp.scope_member")
                yield cursor, horizon
                cursor.execute("DROP TABLE pg_temp.scope_conversation")
                cursor.execute("DROP TABLE pg_temp.scope_member")
        else:
            with computed_once(cursor, scope):
                yield cursor, horizon
        if not write:
            transaction.set_rollback(True)


@contextmanager
def shadowed_source(cursor, summary: Summary, *, scope: Scope, horizon: datetime | None):
    """Within a bounded scope, while `summary` is compared or rebuilt, its recompute view reads only
    the rows of its source table that the scope can need (Scope.source_where): a temporary view
    named as the table, and one of the recomputation over it from the same SQL file (PostgreSQL
    looks up pg_temp first; the installed view is bound to the real table). Both are dropped at
    the end, before the next summary, which may read or write the real table. On an error they go
    with the transaction, which the error aborts: a DROP in a `finally` would fail in the aborted
    transaction and hide the error, so there is none."""
    condition = scope.source_where(summary)
    if condition is None:
        yield
        return
    cursor.execute("SELECT current_schema(), pg_my_temp_schema()::regnamespace::text")
    schema, temporary = cursor.fetchone()
    source = f"{connection.ops.quote_name(schema)}.{summary.source}"
    restricted = connection.ops.compose_sql(f"SELECT * FROM {source} WHERE {condition}", scope.params(horizon))
    cursor.execute(f"CREATE TEMP VIEW {summary.source} AS {restricted}")
    cursor.execute(f"CREATE TEMP VIEW {summary.view} AS {recompute_sql(summary.name)}")
    yield
    cursor.execute(f"DROP VIEW {temporary}.{summary.view}")
    cursor.execute(f"DROP VIEW {temporary}.{summary.source}")


@contextmanager
def computed_once(cursor, scope: Scope):
    """Within the transaction, the recompute views read by others are computed once, for the
    scope's workspace (retention.shadow_recomputes): a full rebuild at 10M events otherwise
    recomputes every conversation once per support_* summary. Dropped again on exit."""
    shadow_recomputes(cursor, workspace_id=scope.workspace_id)
    yield
    unshadow_recomputes(cursor)


def prefixes(summary: Summary, cursor, *, scope: Scope) -> str | None:
    """For a bounded scope over an hourly or daily summary whose key has columns before `bucket`
    (all but the workspace's, when the scope has one): a condition that names every value of those
    columns in the table, found by walking its primary key from one distinct value to the next
    (one index probe each). With it the stored side of a ranged compare reads the range of each
    value through the key instead of the whole table, whose key does not start with `bucket`.
    Every value the table holds is named, so no stored row of the range is left out."""
    if not scope.bounded or summary.periods or not (summary.hourly or summary.per_day):
        return None
    prefix = list(summary.key[: summary.key.index("bucket")])
    fixed = ["workspace_id"] if scope.workspace_id is not None else []
    if prefix == fixed:
        return None
    columns = ", ".join(prefix)
    if fixed or not citus.on_cluster():
        within, walks = ("workspace_id = %(workspace)s" if fixed else "true"), [scope.params(None)]
    else:
        # Citus runs a recursive CTE only with a filter on the distribution column: one walk per
        # workspace (the prefix starts with workspace_id, so each walk stays inside one).
        within = "workspace_id = %(workspace)s"
        workspaces = Workspace.objects.order_by("id").values_list("id", flat=True)
        walks = [{**scope.params(None), "workspace": workspace} for workspace in workspaces]
    following = f"{within} AND ({columns}) > ({', '.join(f'p.{column}' for column in prefix)})"
    values = []
    for params in walks:
        cursor.execute(
            f"""
            WITH RECURSIVE p AS (
                (SELECT {columns} FROM {summary.table} WHERE {within} ORDER BY {columns} LIMIT 1)
                UNION ALL
                SELECT n.* FROM p CROSS JOIN LATERAL (
                    SELECT {columns} FROM {summary.table} WHERE {following} ORDER BY {columns} LIMIT 1
                ) AS n
            )
            SELECT {columns} FROM p
            """,
            params,
        )
        values += cursor.fetchall()
    if not values:
        return "false"
    rows = ", ".join(connection.ops.compose_sql(f"({', '.join(['%s'] * len(prefix))})", row) for row in values)
    # The values are literals inside SQL that is executed with parameters: `%` is doubled.
    return f"({columns}) IN (VALUES {rows.replace('%', '%%')})"


def summary_differences(summary: Summary, cursor, *, scope: Scope, horizon: datetime | None) -> list[Difference]:
    """Rows where the summary and its recomputation disagree, one Difference per differing column."""
    where = scope.where(summary, horizon)
    # The stored side only: a recomputed row of a value the table lacks is a difference too.
    present = prefixes(summary, cursor, scope=scope)
    stored_where = f"{where} AND {present}" if present else where

    def side(alias: str, column: str) -> str:
        return f"COALESCE({alias}.{column}, {summary.zero(column)})" if summary.additive else f"{alias}.{column}"

    def compared(alias: str) -> str:
        if not summary.values:
            return f"{alias}.{summary.key[0]} IS NOT NULL"
        return ", ".join(side(alias, column) for column in summary.values)

    stored, recomputed = compared("s"), compared("r")
    sql = f"""
        SELECT {", ".join(summary.key)}, {stored}, {recomputed}
        FROM ({summary.merged_sql(stored_where)}) AS s
        FULL JOIN (SELECT * FROM {summary.view} {where}) AS r USING ({", ".join(summary.key)})
        WHERE ({stored}) IS DISTINCT FROM ({recomputed})
        ORDER BY {", ".join(summary.key)}
    """
    columns = summary.values or [PRESENT]
    width = len(columns)
    found = []
    cursor.execute(sql, scope.params(horizon))
    for row in cursor.fetchall():
        key = dict(zip(summary.key, row[: len(summary.key)], strict=True))
        values = row[len(summary.key) :]
        for index, column in enumerate(columns):
            if values[index] != values[width + index]:
                found.append(Difference(summary.name, key, column, values[index], values[width + index]))
    return found


def differences(
    *, workspace_id: int | None = None, since: datetime | None = None, until: datetime | None = None
) -> list[Difference]:
    """Every difference between the summaries and their recomputation within the scope."""
    scope = Scope(workspace_id, since, until)
    found = []
    with scoped(scope) as (cursor, horizon):
        for summary in SUMMARIES:
            if scope.covers(summary):
                with shadowed_source(cursor, summary, scope=scope, horizon=horizon):
                    found += summary_differences(summary, cursor, scope=scope, horizon=horizon)
    return found


def rebuild(
    *,
    workspace_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Callable[[Summary, int], None] | None = None,
) -> int:
    """Replaces every summary within the scope with its recomputation, in one transaction.

    SHARE mode on the event table waits for in-flight ingest transactions and holds new ones
    until commit, so no event can land between the recomputation and the swap; the writers then
    proceed, and their triggers add to the rebuilt rows. Readers keep seeing the old summaries
    until the commit. Every rebuilt row is slot 0. Sealed hours (before the retention horizon)
    are never deleted or changed.
    """
    scope = Scope(workspace_id, since, until)
    written = 0
    with scoped(scope, write=True) as (cursor, horizon):
        params = scope.params(horizon)
        for summary in SUMMARIES:
            if not scope.covers(summary):
                continue
            where = scope.where(summary, horizon)
            columns = [column for column in summary.columns if column != "slot"]
            targets = ", ".join([*columns, "slot"] if summary.slotted else columns)
            sources = ", ".join([*columns, "0"] if summary.slotted else columns)
            cursor.execute(f"DELETE FROM {summary.table} {where}", params)
            with shadowed_source(cursor, summary, scope=scope, horizon=horizon):
                cursor.execute(
                    f"INSERT INTO {summary.table} ({targets}) SELECT {sources} FROM {summary.view} {where}", params
                )
            written += cursor.rowcount
            if progress is not None:
                progress(summary, cursor.rowcount)
    return written


def compact_summary(summary: Summary, *, before: datetime, workspace_id: int | None = None) -> int:
    """Folds the write slots of `summary` into slot 0, in one transaction; returns the slot rows folded.

    Hourly tables fold the buckets that start before `before` (closed hours, which live writers
    rarely touch); the dimensions and live counters fold every key. The rows are first locked
    in key order, the order in which the triggers lock them, so compaction and ingestion cannot
    deadlock; a writer that needs a locked row waits for this short transaction. A slot row
    committed after that lock and locked by its writer is left for the next compaction. Figures
    do not change: the merge of a key's slots is the same before and after.
    """
    if not summary.slotted:
        return 0
    key = ", ".join(summary.key)
    conditions = ["slot <> 0"]
    params: dict = {"before": before, "workspace": workspace_id}
    if summary.hourly:
        conditions.append("bucket < %(before)s")
    if workspace_id is not None:
        conditions.append("workspace_id = %(workspace)s")
    where = " AND ".join(conditions)
    if summary.additive or summary.hourly:
        # Sums, min and max fold into the slot 0 row in place.
        rows = where
        updates = ", ".join(f"{column} = {fold(summary, column)}" for column in summary.values)
        conflict = f"ON CONFLICT ({key}, slot) DO UPDATE SET {updates}"
    else:
        # A dimension's attributes merge by their events' order: every slot of the key, 0 included,
        # is replaced by one merged row.
        touched = f"SELECT DISTINCT {key} FROM {summary.table} WHERE {where}"
        # The workspace also outside the subquery: it is how Citus sees that one shard is locked.
        outer = "workspace_id = %(workspace)s AND " if workspace_id is not None else ""
        rows = f"{outer}({key}) IN ({touched})"
        conflict = ""
    lock = f"SELECT 1 FROM {summary.table} WHERE {rows} ORDER BY {key}, slot FOR UPDATE"
    # The fold runs on a newer snapshot than the lock: a slot row committed in between may be
    # locked by its writer, which may be waiting for a row locked above. SKIP LOCKED leaves
    # such rows to the next compaction instead of waiting for them (a deadlock).
    folded = f"""DELETE FROM {summary.table} WHERE {rows} AND ({key}, slot) IN (
                    SELECT {key}, slot FROM {summary.table} WHERE {rows} FOR UPDATE SKIP LOCKED
                ) RETURNING *"""
    merged = ", ".join(summary.merged_value(column) for column in summary.values)
    keys = ", ".join(f"t.{column}" for column in summary.key)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(lock, params)
        if summary.capped_days is not None:
            day = "date_trunc('day', bucket, 'UTC')"
            cursor.execute(f"SELECT DISTINCT workspace_id, name, {day} FROM {summary.table} WHERE {where}", params)
            days = cursor.fetchall()
        cursor.execute(
            f"""
            WITH folded AS ({folded}),
            merged AS (
                INSERT INTO {summary.table} AS s ({key}, slot, {", ".join(summary.values)})
                SELECT {keys}, 0, {merged}
                FROM folded AS t
                GROUP BY {keys}
                ORDER BY {keys}
                {conflict}
                RETURNING 1
            ){days_fold(summary)}
            SELECT (SELECT count(*) FROM folded WHERE slot <> 0), (SELECT count(*) FROM merged)
            """,
            params,
        )
        (folded_rows, _) = cursor.fetchone()
        if summary.capped_days is not None:
            summary.capped_days(cursor, days)
    return folded_rows


def days_fold(summary: Summary) -> str:
    """The CTE that adds the folded slot rows (`folded`) to the summary's table of days, if it has
    one: what moves into slot 0 moves into its day in the same statement, so the day stays the
    sum of the day's slot 0 rows. Only compaction and rebuild write that table, after the hourly
    rows are locked, so it needs no write slots."""
    if summary.days is None:
        return ""
    daily = next(candidate for candidate in SUMMARIES if candidate.table == summary.days)
    key = ", ".join(daily.key)
    day_of = {"bucket": "date_trunc('day', t.bucket, 'UTC')"}
    days = ", ".join(day_of.get(column, f"t.{column}") for column in daily.key)
    merged = ", ".join(summary.merged_value(column) for column in daily.values)
    updates = ", ".join(f"{column} = {fold(daily, column)}" for column in daily.values)
    return f""",
            days AS (
                INSERT INTO {daily.table} AS s ({key}, {", ".join(daily.values)})
                SELECT {days}, {merged}
                FROM folded AS t
                WHERE t.slot <> 0
                GROUP BY {days}
                ORDER BY {days}
                ON CONFLICT ({key}) DO UPDATE SET {updates}
            )"""


def fold(summary: Summary, column: str) -> str:
    """The slot 0 value after folding EXCLUDED (the merged slots) into the stored s."""
    kind = summary.merge.get(column, "sum")
    field = summary._field(column)
    if kind == "min":
        return f"LEAST(s.{column}, EXCLUDED.{column})"
    if kind == "max":
        return f"GREATEST(s.{column}, EXCLUDED.{column})"
    if isinstance(field, ArrayField):
        elements = ", ".join(f"s.{column}[{i}] + EXCLUDED.{column}[{i}]" for i in range(1, field.size + 1))
        return f"ARRAY[{elements}]::bigint[]"
    return f"s.{column} + EXCLUDED.{column}"


def compact(*, before: datetime, workspace_id: int | None = None) -> dict[str, int]:
    """Folds the write slots of every summary; {summary name: slot rows folded}."""
    if workspace_id is None and citus.is_citus():
        # Citus locks rows (FOR UPDATE) only within one shard: one workspace at a time.
        folded: dict[str, int] = {}
        for workspace in Workspace.objects.order_by("id").values_list("id", flat=True):
            for name, rows in compact(before=before, workspace_id=workspace).items():
                folded[name] = folded.get(name, 0) + rows
        return folded
    return {
        summary.name: compact_summary(summary, before=before, workspace_id=workspace_id)
        for summary in SUMMARIES
        if summary.slotted
    }
