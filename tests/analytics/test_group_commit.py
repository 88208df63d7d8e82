"""Group commit: concurrent small requests share one INSERT, each still gets its own answer only
after the commit, and a request the database refuses never fails the others."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from django.db import connection

from analytics import rollups, services
from analytics.group_commit import Pending, SharedWriter, shared_writer
from analytics.models import Event
from core.auth import token_create
from core.models import Workspace
from tests.analytics.test_write_slots import one_hour_pool
from tests.factories import support_event, validated

POISON = """
CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.event_id LIKE 'poison%' THEN
        RAISE EXCEPTION 'refused %', NEW.event_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_poison BEFORE INSERT ON event FOR EACH ROW EXECUTE FUNCTION refuse_poison();
"""


def rows(event_ids: list[str], *, conversation: str = "c1") -> list[dict]:
    events = [
        support_event("customer_replied", event_id=event_id, conversation=conversation, minutes=n, channel="email")
        for n, event_id in enumerate(event_ids)
    ]
    return [services.event_row(event) for event in validated(events)]


def writer() -> SharedWriter:
    return SharedWriter(max_statement_events=1000, max_request_events=100)


@pytest.mark.django_db
def test_one_shared_statement_answers_each_request_and_the_earlier_request_keeps_a_shared_id(
    workspace, other_workspace
):
    """Verifies a statement of three requests (two workspaces, one id in two of them) counts each exactly."""
    shared = writer()
    first = Pending(workspace_id=workspace.pk, rows=rows(["a", "b"]))
    second = Pending(workspace_id=workspace.pk, rows=rows(["b", "c", "c"]))
    other = Pending(workspace_id=other_workspace.pk, rows=rows(["a"]))
    shared._write([first, second, other])
    assert shared.statements == 1
    assert [(p.accepted, p.error) for p in (first, second, other)] == [(2, None), (1, None), (1, None)]
    assert sorted(Event.objects.values_list("workspace__slug", "event_id")) == [
        ("acme", "a"),
        ("acme", "b"),
        ("acme", "c"),
        ("globex", "a"),
    ]
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_a_request_the_database_refuses_fails_alone_and_the_others_are_written(workspace):
    """Verifies a failing shared statement falls back to one statement per request, the error going to its owner."""
    with connection.cursor() as cursor:
        cursor.execute(POISON)
    shared = writer()
    good = Pending(workspace_id=workspace.pk, rows=rows(["g1", "g2"]))
    poisoned = Pending(workspace_id=workspace.pk, rows=rows(["g3", "poison-1"]))
    later = Pending(workspace_id=workspace.pk, rows=rows(["g4"], conversation="c2"))
    shared._write([good, poisoned, later])
    assert shared.statements == 4
    assert (good.accepted, good.error) == (2, None)
    assert (later.accepted, later.error) == (1, None)
    assert "refused poison-1" in str(poisoned.error)
    assert sorted(Event.objects.values_list("event_id", flat=True)) == ["g1", "g2", "g4"]
    assert list(rollups.differences()) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_share_statements_and_every_answer_follows_its_commit():
    """Verifies 16 threads writing single events through one SharedWriter use fewer statements than
    requests, each sees its events committed (from another connection) when its answer comes, and
    the summaries stay exact."""
    workspace = Workspace.objects.create(slug="gc", name="GC")
    shared = writer()
    pool = one_hour_pool(21, events=320)
    errors: list[BaseException] = []
    uncommitted: list[str] = []
    barrier = threading.Barrier(16)

    def committed(event_id: str) -> bool:
        import psycopg2

        from tests.analytics.test_rollup_views import database_url

        with psycopg2.connect(database_url()) as other, other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM event WHERE event_id = %s", [event_id])
            found = cursor.fetchone()[0] == 1
        other.close()
        return found

    def client(index: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            for number, event in enumerate(pool[index::16]):
                row = services.event_row(event)
                accepted = shared.write(workspace_id=workspace.pk, rows=[row])
                assert accepted == 1
                if number % 5 == 0 and not committed(row["event_id"]):
                    uncommitted.append(row["event_id"])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert uncommitted == []
    assert Event.objects.count() == len(pool)
    assert shared.statements < len(pool)
    assert list(rollups.differences()) == []


@pytest.fixture
def gunicorn_url(transactional_db):
    """Tally served by gunicorn with gunicorn.conf.py (as `make run` serves it) on the test database."""
    from tests.analytics.test_rollup_views import ROOT, database_url

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url(), "TALLY_ACCESS_LOG": "", "DJANGO_DEBUG": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_thirty_two_http_clients_posting_single_events_with_retries_are_exact(gunicorn_url):
    """Verifies 32 HTTP clients posting single events to gunicorn, every event twice, get 201s whose
    accepted counts add up to one per event, and the summaries equal their recomputation."""
    workspace = Workspace.objects.create(slug="http32", name="HTTP 32")
    _, key = token_create(workspace=workspace, scopes=["ingest"])
    events = [
        support_event(
            kind,
            event_id=f"h{number}",
            conversation=f"c{number % 10}",
            minutes=number % 60,
            channel="email",
            agent="a1",
        )
        for number, kind in enumerate(["created", "assigned", "agent_replied", "customer_replied", "resolved"] * 32)
    ]
    accepted: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(32)

    def client(index: int) -> None:
        try:
            barrier.wait()
            for event in events[index::32] * 2:
                request = urllib.request.Request(
                    f"{gunicorn_url}/api/v1/events/",
                    data=json.dumps(event).encode(),
                    headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
                )
                with urllib.request.urlopen(request, timeout=60) as response:
                    assert response.status == 201
                    accepted.append(json.load(response)["accepted"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(accepted) == 2 * len(events) and sum(accepted) == len(events)
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_group_commit_off_or_a_large_request_writes_its_own_statement(workspace, settings):
    """Verifies TALLY_GROUP_COMMIT=0 disables the shared writer, and requests over the size limit bypass it."""
    settings.TALLY_GROUP_COMMIT = False
    assert shared_writer() is None
    settings.TALLY_GROUP_COMMIT = True
    shared = shared_writer()
    before = shared.statements
    large = validated(
        [
            support_event("customer_replied", event_id=f"big{n}", conversation="c1", minutes=n % 60, channel="email")
            for n in range(shared.max_request_events + 1)
        ]
    )
    result = services.events_ingest_shared(workspace=workspace, events=large)
    assert (result.accepted, result.duplicates, shared.statements) == (len(large), 0, before)
    result = services.events_ingest_shared(workspace=workspace, events=large[:1])
    assert (result.accepted, result.duplicates, shared.statements) == (0, 1, before + 1)
