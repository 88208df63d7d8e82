"""Writes. Ingestion is one INSERT per request; the summary triggers do the rest in the same
transaction."""

import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from psycopg2.extras import Json

from core.models import Workspace

# unnest() turns the column arrays into rows: one statement, a fixed number of parameters
# whatever the batch size, and rows sorted by event_id so that two concurrent batches with
# overlapping ids take the unique-index locks in the same order (no deadlock).
INSERT_EVENTS = """
INSERT INTO event (
    workspace_id, event_id, name, occurred_at, conversation_id,
    channel_id, channel_name, agent_id, agent_name, agent_email,
    customer_id, customer_name, customer_type, session_id, user_id, value, properties
)
SELECT %s, event_id, name, occurred_at, conversation_id,
       channel_id, channel_name, agent_id, agent_name, agent_email,
       customer_id, customer_name, customer_type, session_id, user_id, value, properties
FROM unnest(
    %s::varchar[], %s::varchar[], %s::timestamptz[], %s::varchar[],
    %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[],
    %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::numeric[], %s::jsonb[]
) WITH ORDINALITY AS batch (
    event_id, name, occurred_at, conversation_id,
    channel_id, channel_name, agent_id, agent_name, agent_email,
    customer_id, customer_name, customer_type, session_id, user_id, value, properties, position
)
ORDER BY event_id, position
ON CONFLICT (workspace_id, event_id) DO NOTHING
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


def events_ingest(*, workspace: Workspace, events: list[dict]) -> IngestResult:
    """Inserts validated events in one statement; events whose id the workspace already has are skipped."""
    rows = [event_row(event) for event in events]
    params = [workspace.pk, *([row[column] for row in rows] for column in COLUMNS)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT_EVENTS, params)
        accepted = cursor.rowcount
    return IngestResult(accepted=accepted, duplicates=len(rows) - accepted)
