"""Writes. Ingestion is one INSERT per request; the summary triggers do the rest in the same
transaction."""

import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from psycopg2.extras import Json

from core.models import Workspace

# unnest() turns the column arrays into rows: one statement, a fixed number of parameters
# whatever the batch size, and rows sorted by (workspace, event_id) so that two concurrent
# batches with overlapping ids take the unique-index locks in the same order (no deadlock). A
# statement may hold the events of several workspaces (group commit, analytics/group_commit.py);
# of two rows with the same key the first in the arrays is stored. RETURNING says which were.
INSERT_EVENTS = """
INSERT INTO event (
    workspace_id, event_id, name, occurred_at, conversation_id,
    channel_id, channel_name, agent_id, agent_name, agent_email,
    customer_id, customer_name, customer_type, session_id, user_id, value, properties
)
SELECT workspace_id, event_id, name, occurred_at, conversation_id,
       channel_id, channel_name, agent_id, agent_name, agent_email,
       customer_id, customer_name, customer_type, session_id, user_id, value, properties
FROM unnest(
    %s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[], %s::varchar[],
    %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[],
    %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::numeric[], %s::jsonb[]
) WITH ORDINALITY AS batch (
    workspace_id, event_id, name, occurred_at, conversation_id,
    channel_id, channel_name, agent_id, agent_name, agent_email,
    customer_id, customer_name, customer_type, session_id, user_id, value, properties, position
)
ORDER BY workspace_id, event_id, position
ON CONFLICT (workspace_id, event_id) DO NOTHING
RETURNING workspace_id, event_id
"""

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
    "session_id",
    "user_id",
    "value",
    "properties",
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
        "session_id": event.get("session_id"),
        "user_id": event.get("user_id"),
        "value": event.get("value"),
        "properties": Json(event.get("properties") or {}),
    }


def insert_params(rows: list[tuple[int, dict]]) -> list:
    """INSERT_EVENTS's parameters for (workspace_id, event_row) pairs: one array per column."""
    return [[workspace_id for workspace_id, _ in rows], *([row[column] for _, row in rows] for column in COLUMNS)]


def rows_insert(rows: list[tuple[int, dict]]) -> set[tuple[int, str]]:
    """Runs INSERT_EVENTS for (workspace_id, event_row) pairs in one transaction; the keys stored."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT_EVENTS, insert_params(rows))
        return set(cursor.fetchall())


def events_ingest(*, workspace: Workspace, events: list[dict]) -> IngestResult:
    """Inserts validated events in one statement; events whose id the workspace already has are skipped."""
    rows = [(workspace.pk, event_row(event)) for event in events]
    accepted = len(rows_insert(rows))
    return IngestResult(accepted=accepted, duplicates=len(rows) - accepted)


def events_ingest_shared(*, workspace: Workspace, events: list[dict]) -> IngestResult:
    """events_ingest for a request served among concurrent ones: small requests of this process
    that arrive together share one statement (analytics/group_commit.py); the result is only
    returned once that statement has committed. Large ones, or with TALLY_GROUP_COMMIT off, run alone."""
    from analytics.group_commit import shared_writer

    writer = shared_writer()
    if writer is None or len(events) > writer.max_request_events:
        return events_ingest(workspace=workspace, events=events)
    accepted = writer.write(workspace_id=workspace.pk, rows=[event_row(event) for event in events])
    return IngestResult(accepted=accepted, duplicates=len(events) - accepted)
