"""Ingest through a Citus coordinator (make citus-test): the events of one request go to the
worker of their workspace in one call (sql/citus/tally_ingest_workspace.sql), stored once, and
the summaries stay equal to their recomputation. On plain PostgreSQL the routed function does not
exist and the API sends INSERT_EVENTS, as before."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import citus, rollups, services
from tests.factories import validated

NODE = re.compile(r"Node: host=\S+ port=(\d+)")


@pytest.fixture
def coordinator(db):
    if not citus.is_citus():
        pytest.skip("needs a Citus coordinator (make citus-test)")


NOW = datetime.now(UTC).replace(microsecond=0)


def at(minutes_ago: int) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def created(event_id: str, conversation: str = "conv-1", minutes_ago: int = 50) -> dict:
    return {
        "id": event_id,
        "name": "conversation.created",
        "occurred_at": at(minutes_ago),
        "conversation_id": conversation,
        "channel": {"id": "email", "name": "Email"},
        "customer": {"id": "cust-1", "name": "Ada"},
    }


def ingest_statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if re.search(r"tally_ingest_workspace|INTO event_key", q["sql"])]


def stored(workspace, event_id: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.name, e.occurred_at, k.occurred_at FROM event AS e JOIN event_key AS k USING (workspace_id, "
            "event_id) WHERE e.workspace_id = %s AND e.event_id = %s",
            [workspace.pk, event_id],
        )
        return cursor.fetchall()


@pytest.mark.django_db
def test_a_single_event_over_http_is_one_call_routed_to_the_worker_of_its_workspace(coordinator, client_for, workspace):
    """Verifies the POST of one event sends one statement, the routed function call, and that
    Citus plans it as one task on the node holding the workspace's shard of event (no subplan,
    no pull to the coordinator)."""
    assert citus.routed_ingest()
    with CaptureQueriesContext(connection) as queries:
        response = client_for.post("/api/v1/events/", created("evt-1"), format="json")
    assert (response.status_code, response.json()) == (201, {"accepted": 1, "duplicates": 0})
    [sql] = ingest_statements(queries)
    assert sql.lstrip().startswith("SELECT tally_ingest_workspace(")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute(
            "SELECT nodeport FROM pg_dist_shard_placement "
            "WHERE shardid = get_shard_id_for_distribution_column('event', %s)",
            [workspace.pk],
        )
        (port,) = cursor.fetchone()
    assert "Task Count: 1" in plan and "Subplan" not in plan and "pull to coordinator" not in plan, plan
    assert NODE.findall(plan) == [str(port)], plan


@pytest.mark.django_db
def test_insert_events_is_what_citus_pulls_to_the_coordinator(coordinator, workspace):
    """Verifies what the routed call avoids: EXPLAIN of INSERT_EVENTS on the coordinator shows
    the pull to the coordinator and its distributed subplans (if Citus ever routes it whole,
    the routed function is no longer needed)."""
    rows = [(workspace.pk, services.event_row(event)) for event in validated([created("evt-1")])]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + cursor.mogrify(services.INSERT_EVENTS, services.insert_params(rows)).decode())
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "pull to coordinator" in plan and "Distributed Subplan" in plan, plan


@pytest.mark.django_db
def test_a_routed_event_is_stored_once_and_a_repeat_of_its_id_is_a_duplicate(coordinator, client_for, workspace):
    """Verifies on the routed path that a retry is a duplicate, and that the same id with another
    name and occurred_at is a duplicate too (the id is the event: the first copy stays), both in
    a single event and inside a batch of the workspace."""
    first = created("evt-1", minutes_ago=50)
    assert client_for.post("/api/v1/events/", first, format="json").json() == {"accepted": 1, "duplicates": 0}
    assert client_for.post("/api/v1/events/", first, format="json").json() == {"accepted": 0, "duplicates": 1}
    changed = {**first, "name": "conversation.resolved", "occurred_at": at(5)}
    assert client_for.post("/api/v1/events/", changed, format="json").json() == {"accepted": 0, "duplicates": 1}
    batch = [created("evt-2", "conv-2", 40), changed, created("evt-3", "conv-3", 30)]
    with CaptureQueriesContext(connection) as queries:
        assert client_for.post("/api/v1/events/", batch, format="json").json() == {"accepted": 2, "duplicates": 1}
    [sql] = ingest_statements(queries)
    assert sql.lstrip().startswith("SELECT tally_ingest_workspace(")
    [(name, occurred_at, claimed_at)] = stored(workspace, "evt-1")
    assert (name, occurred_at, claimed_at) == (
        "conversation.created",
        datetime.fromisoformat(first["occurred_at"]),
        datetime.fromisoformat(first["occurred_at"]),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event WHERE workspace_id = %s", [workspace.pk])
        assert cursor.fetchone()[0] == 3


@pytest.mark.django_db
def test_routed_ingest_keeps_every_summary_equal_to_its_recomputation(
    coordinator, client_for, workspace, other_workspace, make_client
):
    """Verifies a conversation and product events posted one by one (and a batch) through the
    routed path, beside a statement of two workspaces through INSERT_EVENTS, leave the exact
    figures and 0 differences in `rollups verify`."""
    conversation = [
        created("c-1", minutes_ago=50),
        {"id": "c-2", "name": "conversation.assigned", "occurred_at": at(49), "conversation_id": "conv-1",
         "channel": "email", "agent": {"id": "ann", "name": "Ann"}, "properties": {"team": "support"}},
        {"id": "c-3", "name": "conversation.customer_replied", "occurred_at": at(48), "conversation_id": "conv-1",
         "channel": "email"},
        {"id": "c-4", "name": "conversation.agent_replied", "occurred_at": at(45), "conversation_id": "conv-1",
         "channel": "email", "agent": "ann"},
        {"id": "c-5", "name": "conversation.resolved", "occurred_at": at(30), "conversation_id": "conv-1",
         "channel": "email", "agent": "ann"},
        {"id": "c-6", "name": "conversation.rated", "occurred_at": at(29), "conversation_id": "conv-1",
         "channel": "email", "value": 5},
        {"id": "c-7", "name": "conversation.labeled", "occurred_at": at(28), "conversation_id": "conv-1",
         "channel": "email", "properties": {"label": "billing"}},
    ]  # fmt: skip
    for event in reversed(conversation):
        assert client_for.post("/api/v1/events/", event, format="json").status_code == 201
    products = [
        {"id": f"p-{n}", "name": "checkout.paid", "occurred_at": at(20 - n), "customer": "cust-1", "channel": "web",
         "value": 10 * n, "session_id": "s-1", "user_id": "u-1"}
        for n in range(1, 4)
    ]  # fmt: skip
    assert client_for.post("/api/v1/events/", products, format="json").json() == {"accepted": 3, "duplicates": 0}
    other = make_client(other_workspace)
    assert other.post("/api/v1/events/", created("c-1"), format="json").status_code == 201
    both = [
        (workspace.pk, services.event_row(event)) for event in validated([created("c-8", "conv-8", minutes_ago=10)])
    ] + [(other_workspace.pk, services.event_row(event)) for event in validated([created("c-9", "conv-9")])]
    with CaptureQueriesContext(connection) as queries:
        assert services.rows_insert(both) == {(workspace.pk, "c-8"), (other_workspace.pk, "c-9")}
    assert all("INTO event_key" in sql for sql in ingest_statements(queries))
    overview = client_for.get("/api/v1/summaries/overview").json()
    assert [overview[key] for key in ("conversations_created", "agent_replies", "resolutions", "open_now")] == [
        2,
        1,
        1,
        1,
    ]
    assert overview["first_response"]["avg_seconds"] == 300.0
    assert rollups.differences() == []


@pytest.mark.django_db
def test_plain_postgresql_ingests_with_insert_events(client_for):
    """Verifies the single-node path is unchanged: without Citus the routed function is not
    looked for beyond pg_extension, and a POST sends INSERT_EVENTS."""
    if citus.is_citus():
        pytest.skip("a Citus database")
    assert not citus.routed_ingest()
    with CaptureQueriesContext(connection) as queries:
        assert client_for.post("/api/v1/events/", created("evt-1"), format="json").status_code == 201
    [sql] = ingest_statements(queries)
    assert sql.lstrip().startswith("WITH batch AS") and "tally_ingest_workspace" not in sql
