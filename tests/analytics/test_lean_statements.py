"""The lean form of the conversation statement (sql/triggers/event__merge_conversations.sql, built
by triggers/shards.py): a statement whose conversation events are messages that move no channel
and no first response runs without the CSAT, business-hours, SLA, team and label spans, which it
could not change; any other statement runs whole. Exactness whichever form ran is what the
invariant tests check (tests/analytics/test_invariant.py, the reversed one-by-one postings of
tests/analytics/test_metric_definitions.py); this file checks which form runs, by what it locks:
a form that leaves a table out of its plan never waits for a lock on that table."""

import psycopg2
import pytest
from django.db import connection, transaction

from analytics import rollups, services
from core.models import Workspace
from tests.factories import add_business_schedules, add_sla_policies, support_event, validated

# The tables only the full form writes or reads.
FULL_ONLY_TABLES = (
    "support_csat_hourly",
    "support_team_hourly",
    "support_label_hourly",
    "support_business_hourly",
    "support_sla_hourly",
    "conversation_due",
)


def conversation(
    kind: str, event_id: str, minutes: int, *, conversation: str = "c1", channel: str = "chat", **extra
) -> dict:
    return support_event(kind, event_id=event_id, conversation=conversation, minutes=minutes, channel=channel, **extra)


def ingest(workspace, *events: dict) -> None:
    services.events_ingest(workspace=workspace, events=validated(list(events)))


def waits_for_the_full_only_tables(workspace, *events: dict) -> bool:
    """Ingests `events` in one statement while another transaction holds every full-only table in
    ACCESS EXCLUSIVE mode: False if it went through (the lean form ran), True if it timed out on a
    lock (the full form ran); nothing of a timed-out statement is stored."""
    holder = psycopg2.connect(**connection.get_connection_params())
    try:
        with holder.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(FULL_ONLY_TABLES)} IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")
        try:
            with transaction.atomic():
                ingest(workspace, *events)
        except Exception as error:
            if getattr(error.__cause__, "pgcode", None) != "55P03":  # lock_not_available
                raise
            return True
        return False
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


@pytest.mark.django_db(transaction=True)
def test_a_message_statement_that_moves_no_channel_and_no_first_response_runs_lean():
    """Verifies, on a workspace with business hours, an SLA, a team and a label, that a customer
    message and a later agent reply go through while the full-only tables are locked, and that an
    agent reply earlier than the counted first response, the first event of a conversation, a
    message earlier than the one a rated conversation without a created event took its channel
    from (the rating moves to the new channel), a first reply, a resolution and an assignment wait
    for them; after all of them (the waiting ones again), rollups verify finds no difference."""
    workspace = Workspace.objects.create(slug="lean", name="Lean")
    add_business_schedules(
        workspace, [("2000-01-01T00:00:00Z", "UTC", [(day, "00:00", "23:59") for day in range(1, 8)], [])]
    )
    add_sla_policies(workspace, [("2000-01-01T00:00:00Z", (600, True), (7200, False))])
    ingest(
        workspace,
        conversation("created", "e1", 0, customer="u1"),
        conversation("assigned", "e2", 1, agent="a1", properties={"team": "t1"}),
        conversation("labeled", "e3", 2, properties={"label": "vip"}),
        conversation("agent_replied", "e4", 10, agent="a1"),
        conversation("created", "f1", 0, conversation="c2"),
        # c4 has no created event: its channel is its earliest event's, and it is rated.
        conversation("customer_replied", "g1", 30, conversation="c4", customer="u3"),
        conversation("rated", "g2", 40, conversation="c4", value=5),
    )

    assert not waits_for_the_full_only_tables(workspace, conversation("customer_replied", "m1", 12, customer="u1"))
    assert not waits_for_the_full_only_tables(workspace, conversation("agent_replied", "m2", 15, agent="a1"))
    assert not waits_for_the_full_only_tables(
        workspace,
        conversation("customer_replied", "m3", 16, customer="u1"),
        conversation("agent_replied", "m4", 18, agent="a2"),
    )

    full = [
        conversation("agent_replied", "m5", 5, agent="a2"),  # before the counted first response
        conversation("customer_replied", "m6", 3, conversation="c3", customer="u2"),  # c3's first event
        # Earlier than c4's first message: c4's channel, and so its rating's, becomes email.
        conversation("customer_replied", "m11", 25, conversation="c4", channel="email", customer="u3"),
        conversation("agent_replied", "m7", 4, conversation="c2", agent="a1"),  # c2's first response
        conversation("resolved", "m8", 20, agent="a1"),
        conversation("assigned", "m9", 21, agent="a2", properties={"team": "t2"}),
    ]
    for event in full:
        assert waits_for_the_full_only_tables(workspace, event), event["id"]
    # A statement with one event that needs the full form runs whole, messages and all.
    assert waits_for_the_full_only_tables(
        workspace, conversation("customer_replied", "m10", 22, customer="u1"), full[0]
    )

    ingest(workspace, *full)
    assert list(rollups.differences()) == []
