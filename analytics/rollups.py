"""Compare every summary with its recomputation from the raw events, and rebuild it.

Each summary table has a view recompute_<table> (sql/recompute/<table>.sql) that derives it
from the event table alone. For additive tables a missing row equals a row of zeros: the
triggers may leave zero rows behind when a conversation's contribution moves to another hour.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models, transaction

from analytics import models as tables


@dataclass(frozen=True)
class Summary:
    model: type[models.Model]
    key: tuple[str, ...]
    additive: bool

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def view(self) -> str:
        return f"recompute_{self.table}"

    @property
    def columns(self) -> list[str]:
        return [field.column for field in self.model._meta.concrete_fields if not field.generated]

    def zero(self, column: str) -> str:
        """The SQL value of `column` in a row of zeros (what a missing additive row stands for)."""
        field = next(field for field in self.model._meta.concrete_fields if field.column == column)
        if isinstance(field, ArrayField):
            return f"array_fill(0::bigint, ARRAY[{field.size}])"
        return "0"

    @property
    def values(self) -> list[str]:
        compared = [field.column for field in self.model._meta.concrete_fields]
        return [column for column in compared if column not in self.key]


SUMMARIES = (
    Summary(tables.Conversation, ("workspace_id", "conversation_id"), additive=False),
    Summary(tables.Agent, ("workspace_id", "agent_id"), additive=False),
    Summary(tables.Channel, ("workspace_id", "channel_id"), additive=False),
    Summary(tables.Customer, ("workspace_id", "customer_id"), additive=False),
    Summary(tables.EventHourly, ("workspace_id", "bucket", "name", "channel_id", "agent_id"), additive=False),
    Summary(tables.CustomerInteractionHourly, ("workspace_id", "bucket", "customer_id", "channel_id"), additive=False),
    Summary(tables.SupportHourly, ("workspace_id", "bucket", "channel_id", "agent_id"), additive=True),
    Summary(
        tables.SupportDurationHourly,
        ("workspace_id", "bucket", "channel_id", "agent_id", "metric", "bin_start_seconds"),
        additive=True,
    ),
    Summary(tables.SupportTotalHourly, ("workspace_id", "bucket"), additive=True),
    Summary(tables.SupportLive, ("workspace_id", "channel_id"), additive=True),
)


@dataclass(frozen=True)
class Difference:
    table: str
    key: dict
    column: str
    summary: object
    recomputed: object


def _scope(workspace_id: int | None) -> tuple[str, list]:
    return ("WHERE workspace_id = %s", [workspace_id]) if workspace_id is not None else ("", [])


def summary_differences(summary: Summary, *, workspace_id: int | None = None) -> Iterator[Difference]:
    """Rows where the summary and its recomputation disagree, one Difference per differing column."""
    where, params = _scope(workspace_id)

    def side(alias: str, column: str) -> str:
        return f"COALESCE({alias}.{column}, {summary.zero(column)})" if summary.additive else f"{alias}.{column}"

    stored = ", ".join(side("s", column) for column in summary.values)
    recomputed = ", ".join(side("r", column) for column in summary.values)
    sql = f"""
        SELECT {", ".join(summary.key)}, {stored}, {recomputed}
        FROM (SELECT * FROM {summary.table} {where}) AS s
        FULL JOIN (SELECT * FROM {summary.view} {where}) AS r USING ({", ".join(summary.key)})
        WHERE ({stored}) IS DISTINCT FROM ({recomputed})
        ORDER BY {", ".join(summary.key)}
    """
    width = len(summary.values)
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 2)
        for row in cursor:
            key = dict(zip(summary.key, row[: len(summary.key)], strict=True))
            values = row[len(summary.key) :]
            for index, column in enumerate(summary.values):
                if values[index] != values[width + index]:
                    yield Difference(summary.table, key, column, values[index], values[width + index])


def differences(*, workspace_id: int | None = None) -> Iterator[Difference]:
    for summary in SUMMARIES:
        yield from summary_differences(summary, workspace_id=workspace_id)


def rebuild(*, workspace_id: int | None = None, progress: Callable[[Summary, int], None] | None = None) -> int:
    """Replaces every summary (of one workspace, or all) with its recomputation, in one transaction.

    SHARE mode on the event table waits for in-flight ingest transactions and holds new ones
    until commit, so no event can land between the recomputation and the swap; the writers then
    proceed, and their triggers add to the rebuilt rows. Readers keep seeing the old summaries
    until the commit.
    """
    where, params = _scope(workspace_id)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE event IN SHARE MODE")
        for summary in SUMMARIES:
            columns = ", ".join(summary.columns)
            cursor.execute(f"DELETE FROM {summary.table} {where}", params)
            cursor.execute(
                f"INSERT INTO {summary.table} ({columns}) SELECT {columns} FROM {summary.view} {where}", params
            )
            written += cursor.rowcount
            if progress is not None:
                progress(summary, cursor.rowcount)
    return written
