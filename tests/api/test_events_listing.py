"""GET /api/v1/events/: filters, cursor pages, and an index behind every filter."""

import re

import pytest
from django.db import connection

from analytics import citus
from analytics.selectors import events_list
from tests.api.conftest import ingest

URL = "/api/v1/events/"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [event["id"] for event in response.json()["results"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"name": "signup"}, ["p2", "p1", "p0"]),
        ({"conversation_id": "c4"}, ["c4-reopened", "c4-resolved", "c4-assigned", "c4-created"]),
        ({"session_id": "s1"}, ["p5"]),
        ({"user_id": "user-1"}, ["p5", "p1"]),
        ({"customer": "u2"}, ["c3-created", "c0-created"]),
        ({"channel": "chat", "name": "purchase"}, ["p4", "p3"]),
        (
            {"channel": "email", "from": "2026-03-02T08:10:00Z", "to": "2026-03-02T09:00:00Z"},
            ["c1-customer", "c1-reply"],
        ),
        ({"name": "signup", "from": "2026-03-02", "to": "2026-03-03", "tz": "Europe/Berlin"}, ["p1"]),
        ({"name": "nothing"}, []),
    ],
)
def test_listing_filters(support_week, reader, query, expected):
    """Verifies each filter alone and combined, newest first, within the workspace."""
    assert ids(reader.get(URL, query)) == expected


@pytest.mark.django_db
def test_cursor_pages_do_not_shift_when_events_arrive(support_week, reader, make_client, workspace):
    """Verifies the next page is unaffected by an event inserted after the first page was read."""
    first = reader.get(URL, {"page_size": 3}).json()
    assert [event["id"] for event in first["results"]] == ["p4", "p3", "c4-reopened"]
    ingest(
        make_client(workspace, scopes=("ingest",)),
        [{"id": "late", "name": "signup", "occurred_at": "2026-03-10T00:00:00Z"}],
    )
    second = reader.get(first["next"]).json()
    assert [event["id"] for event in second["results"]] == ["c4-resolved", "c4-assigned", "c4-created"]
    assert "count" not in first


def plan(queryset) -> str:
    page = queryset.order_by("-occurred_at", "-id")[:101]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        text = "\n".join(row[0] for row in cursor.fetchall())
        # event is partitioned: the plan names each partition's index; say which index of event it is.
        for used in set(re.findall(r"(?:using|Index Scan on) (\w+)", text)):
            cursor.execute("SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = %s::regclass", [used])
            parent = cursor.fetchone()
            if parent is not None:
                text = text.replace(f" {used} ", f" {parent[0]} ({used}) ")
        return text


@pytest.fixture
def many_events(make_client, workspace, other_workspace):
    """3000 events in acme and 1000 in globex, with every filtered column spread over many values."""
    for workspace_, start in ((workspace, 0), (workspace, 1000), (workspace, 2000), (other_workspace, 0)):
        ingest(
            make_client(workspace_, scopes=("ingest",)),
            [
                {
                    "id": f"e{n}",
                    "name": f"event-{n % 20}",
                    "occurred_at": f"2026-03-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
                    "session_id": f"s{n % 300}" if n % 2 else None,
                    "user_id": f"user-{n % 200}" if n % 3 else None,
                    "customer": f"u{n % 100}" if n % 5 else None,
                    "channel": f"ch{n % 10}" if n % 4 else None,
                }
                for n in range(start, start + 1000)
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE event")
    return workspace


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ({}, "event_ws_occurred_idx"),
        ({"from": "2026-03-05", "to": "2026-03-06"}, "event_ws_occurred_idx"),
        ({"name": "event-3"}, "event_ws_name_idx"),
        ({"conversation_id": "c1"}, "event_ws_conversation_idx"),
        ({"session_id": "s7"}, "event_ws_session_idx"),
        ({"user_id": "user-7"}, "event_ws_user_idx"),
        ({"customer": "u7"}, "event_ws_customer_idx"),
        ({"channel": "ch7"}, "event_ws_channel_idx"),
        ({"session_id": "s7", "from": "2026-03-05"}, "event_ws_session_idx"),
        ({"user_id": "user-7", "name": "event-7", "to": "2026-03-20"}, "event_ws_"),
        ({"customer": "u7", "channel": "ch7"}, "event_ws_"),
    ],
)
def test_every_listing_filter_is_served_by_an_index(many_events, query, index):
    """Verifies EXPLAIN of the listing's page query uses an event index and no sequential scan."""
    if citus.is_citus():
        pytest.skip("on Citus the worker plans the shard (SET LOCAL enable_seqscan does not reach it)")
    text = plan(events_list(workspace=many_events, params=query))
    assert "Seq Scan" not in text, text
    assert index in text, text
    assert "Index" in text, text
