"""Writes. Ingestion is one statement per request (or per group of concurrent requests); the
summary triggers do the rest in the same transaction."""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from psycopg2.extras import Json

from analytics import citus, partitions, retention, settling
from core.models import Workspace

# unnest() turns the column arrays into rows: one statement, a fixed number of parameters
# whatever the batch size. A statement may hold the events of several workspaces (group commit,
# analytics/group_commit.py). The first copy of each key in the arrays is the candidate; its key
# is claimed in event_key (sorted by key, so two concurrent batches with overlapping ids take
# the key locks in the same order: no deadlock), and only the events whose key was claimed are
# stored in the partitioned event table. RETURNING says which were.
INSERT_EVENTS_INTO = """
WITH batch AS (
    SELECT DISTINCT ON (workspace_id, event_id) *
    FROM unnest(
        %s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[], %s::varchar[],
        %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[],
        %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[],
        %s::numeric[], %s::jsonb[], %s::varchar[]
    ) WITH ORDINALITY AS batch (
        workspace_id, event_id, name, occurred_at, conversation_id,
        channel_id, channel_name, agent_id, agent_name, agent_email,
        customer_id, customer_name, customer_type, customer_occupation, session_id, user_id, value, properties,
        category, position
    )
    ORDER BY workspace_id, event_id, position
),
claimed AS (
    INSERT INTO event_key (workspace_id, event_id, occurred_at)
    SELECT workspace_id, event_id, occurred_at FROM batch ORDER BY workspace_id, event_id
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING workspace_id, event_id
)
INSERT INTO {table} (
    workspace_id, event_id, name, occurred_at, conversation_id,
    channel_id, channel_name, agent_id, agent_name, agent_email,
    customer_id, customer_name, customer_type, customer_occupation, session_id, user_id, value, properties, category
)
SELECT workspace_id, event_id, name, occurred_at, conversation_id,
       channel_id, channel_name, agent_id, agent_name, agent_email,
       customer_id, customer_name, customer_type, customer_occupation, session_id, user_id, value, properties, category
FROM batch JOIN claimed USING (workspace_id, event_id)
ORDER BY workspace_id, event_id
RETURNING workspace_id, event_id
"""
INSERT_EVENTS = INSERT_EVENTS_INTO.format(table="event")
# TALLY_SUMMARIES=deferred (analytics/settling.py): the same claim, the events stored as pending.
INSERT_PENDING_EVENTS = INSERT_EVENTS_INTO.format(table="event_pending")

# On a Citus cluster (analytics/citus.py) the coordinator plans INSERT_EVENTS "pull to
# coordinator", a round trip per subplan; the events of one workspace are sent instead as one call
# of sql/citus/tally_ingest_workspace.sql, which Citus delegates whole to the worker holding that
# workspace's shards, where it runs the same claim and insert. Same arrays, without workspace_id's.
INGEST_WORKSPACE = citus.ROUTED_INGEST_CALL

COLUMNS = (
    "event_id",
    "name",
    "occurred_at",
    "conversation_id",
    "channel_id",
    "channel_name",
    "agent_id",
    "agent_name",
    "agent_email",
    "customer_id",
    "customer_name",
    "customer_type",
    "customer_occupation",
    "session_id",
    "user_id",
    "value",
    "properties",
    "category",
)


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


def event_row(event: dict) -> dict:
    """Flattens one validated event (EventSerializer output) into the raw table's columns."""
    channel = event.get("channel") or {}
    agent = event.get("agent") or {}
    customer = event.get("customer") or {}
    return {
        "event_id": event.get("id") or uuid.uuid4().hex,
        "name": event["name"],
        "occurred_at": event["occurred_at"],
        "conversation_id": event.get("conversation_id"),
        "channel_id": channel.get("id"),
        "channel_name": channel.get("name"),
        "agent_id": agent.get("id"),
        "agent_name": agent.get("name"),
        "agent_email": agent.get("email"),
        "customer_id": customer.get("id"),
        "customer_name": customer.get("name"),
        "customer_type": customer.get("type"),
        "customer_occupation": customer.get("occupation"),
        "session_id": event.get("session_id"),
        "user_id": event.get("user_id"),
        "value": event.get("value"),
        "properties": Json(event.get("properties") or {}),
        "category": event.get("category"),
    }


def insert_params(rows: list[tuple[int, dict]]) -> list:
    """INSERT_EVENTS's parameters for (workspace_id, event_row) pairs: one array per column."""
    return [[workspace_id for workspace_id, _ in rows], *([row[column] for _, row in rows] for column in COLUMNS)]


def insert_statement(rows: list[tuple[int, dict]], *, routed: bool, deferred: bool | None = None) -> tuple[str, list]:
    """The statement that stores (workspace_id, event_row) pairs, and its parameters: the routed
    call when `routed` and every row has the same workspace, else INSERT_EVENTS, or with deferred
    summaries (`deferred`, by default TALLY_SUMMARIES) INSERT_PENDING_EVENTS. On a Citus cluster
    the routed call stores and summarizes at once whatever TALLY_SUMMARIES says."""
    workspaces = {workspace_id for workspace_id, _ in rows}
    if routed and len(workspaces) == 1:
        return INGEST_WORKSPACE, [workspaces.pop(), *([row[column] for _, row in rows] for column in COLUMNS)]
    deferred = settling.deferred() if deferred is None else deferred
    return INSERT_PENDING_EVENTS if deferred else INSERT_EVENTS, insert_params(rows)


def rows_insert(rows: list[tuple[int, dict]], *, deferred: bool | None = None) -> set[tuple[int, str]]:
    """Runs INSERT_EVENTS for (workspace_id, event_row) pairs in one transaction; the keys stored.
    On a Citus cluster with the routed ingest function, rows of one workspace go through
    INGEST_WORKSPACE instead (the same claim and insert, delegated to that workspace's worker).

    If an event falls outside every partition of the raw table (history older than the oldest
    partition), the statement fails as a whole and nothing is written; the missing partitions are
    then created and the statement runs once more. Events before the retention horizon raise
    retention.BeforeHorizon, and nothing is written: the horizon this process remembers is
    checked first, the database's when the statement found no partition (the horizon moved)."""
    moments = [row["occurred_at"] for _, row in rows]
    retention.check(moments, retention.cached_horizon())
    try:
        return _rows_insert(rows, deferred=deferred)
    except IntegrityError as error:
        if not partitions.missing(error):
            raise
    retention.check(moments, retention.horizon())
    partitions.ensure(moments)
    return _rows_insert(rows, deferred=deferred)


def _rows_insert(rows: list[tuple[int, dict]], *, deferred: bool | None) -> set[tuple[int, str]]:
    sql, params = insert_statement(rows, routed=citus.routed_ingest(), deferred=deferred)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if sql is INGEST_WORKSPACE:
            return {(params[0], event_id) for event_id in cursor.fetchone()[0]}
        return set(cursor.fetchall())


def events_ingest(*, workspace: Workspace, events: list[dict], deferred: bool | None = None) -> IngestResult:
    """Inserts validated events in one statement; events whose id the workspace already has are
    skipped. `deferred` overrides TALLY_SUMMARIES (None: as it says)."""
    retention.check([event["occurred_at"] for event in events], retention.cached_horizon())
    rows = [(workspace.pk, event_row(event)) for event in events]
    accepted = len(rows_insert(rows, deferred=deferred))
    return IngestResult(accepted=accepted, duplicates=len(rows) - accepted)


def events_ingest_shared(*, workspace: Workspace, events: list[dict]) -> IngestResult:
    """events_ingest for a request served among concurrent ones: small requests of this process
    that arrive together share one statement (analytics/group_commit.py); the result is only
    returned once that statement has committed. Large ones, or with TALLY_GROUP_COMMIT off, run alone."""
    from analytics.group_commit import shared_writer

    writer = shared_writer()
    if writer is None or len(events) > writer.max_request_events:
        return events_ingest(workspace=workspace, events=events)
    retention.check([event["occurred_at"] for event in events], retention.cached_horizon())
    accepted = writer.write(workspace_id=workspace.pk, rows=[event_row(event) for event in events])
    return IngestResult(accepted=accepted, duplicates=len(events) - accepted)
