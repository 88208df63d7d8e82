"""GET /api/v1/sessions/ and /api/v1/sessions/{id}: the sessions the triggers keep, computed by hand.

Workspace `acme` (UTC), sent out of order, mostly one event a request:

    s1  page.view 03-02 09:00 ann, signup 09:10 bob, page.view 09:45  -> 3 events, 2700 s, user ann
    s2  page.view 03-02 10:00 (no user)                               -> 1 event, 0 s, no user
    s3  page.view 03-01 23:50 cy, page.view 03-02 00:20 cy (two days) -> 2 events, 1800 s, user cy
    s/4 page.view 03-03 08:00 ann (a slash in the id)                 -> 1 event, 0 s, user ann

A session's user is that of its first event carrying one: s1's 09:10 event (bob) arrives before
its 09:00 one (ann), which takes over.

Workspace `globex` has its own s1 (one event on 03-05) and a session acme does not have.
"""

import pytest

from analytics import rollups
from tests.api.conftest import ingest

URL = "/api/v1/sessions/"


def view(event_id: str, at: str, session: str, name: str = "page.view", user: str | None = "user-1") -> dict:
    event = {"id": event_id, "name": name, "occurred_at": at, "session_id": session}
    if user is not None:
        event["user_id"] = user
    return event


SESSIONS = [
    view("e1", "2026-03-02T09:00:00Z", "s1", user="ann"),
    view("e2", "2026-03-02T09:10:00Z", "s1", name="signup", user="bob"),
    view("e3", "2026-03-02T09:45:00Z", "s1", user=None),
    view("e4", "2026-03-02T10:00:00Z", "s2", user=None),
    view("e5", "2026-03-01T23:50:00Z", "s3", user="cy"),
    view("e6", "2026-03-02T00:20:00Z", "s3", user="cy"),
    view("e7", "2026-03-03T08:00:00Z", "s/4", user="ann"),
]


@pytest.fixture
def sessions(make_client, workspace, other_workspace):
    acme = make_client(workspace, scopes=("ingest",))
    ingest(acme, [SESSIONS[6], SESSIONS[3]])
    # One request each, a session's earliest event neither first nor last: every merge rule shows.
    for position in (5, 1, 4, 0, 2):
        ingest(acme, [SESSIONS[position]])
    globex = make_client(other_workspace, scopes=("ingest",))
    ingest(globex, [view("e1", "2026-03-05T12:00:00Z", "s1"), view("g1", "2026-03-05T12:00:00Z", "globex-only")])
    return workspace


def listed(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    return [
        (row["id"], row["first_event_at"], row["last_event_at"], row["events"], row["duration_seconds"], row["user_id"])
        for row in response.json()["results"]
    ]


@pytest.mark.django_db
def test_sessions_are_listed_latest_start_first_with_their_figures(sessions, reader):
    """Verifies every session of the workspace, latest start first, with first and last event time,
    events, duration and user, whatever order its events arrived in."""
    assert listed(reader.get(URL)) == [
        ("s/4", "2026-03-03T08:00:00Z", "2026-03-03T08:00:00Z", 1, 0.0, "ann"),
        ("s2", "2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z", 1, 0.0, None),
        ("s1", "2026-03-02T09:00:00Z", "2026-03-02T09:45:00Z", 3, 2700.0, "ann"),
        ("s3", "2026-03-01T23:50:00Z", "2026-03-02T00:20:00Z", 2, 1800.0, "cy"),
    ]
    assert rollups.differences() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"from": "2026-03-02", "to": "2026-03-03"}, ["s2", "s1"]),
        ({"from": "2026-03-02T09:00:00Z"}, ["s/4", "s2", "s1"]),
        ({"to": "2026-03-02T09:00:00Z"}, ["s3"]),
        # Midnight in Berlin is 23:00 UTC: s3 started after it.
        ({"from": "2026-03-02", "to": "2026-03-03", "tz": "Europe/Berlin"}, ["s2", "s1", "s3"]),
        ({"from": "2026-03-04"}, []),
        ({"user_id": "ann"}, ["s/4", "s1"]),
        ({"user_id": "ann", "to": "2026-03-03"}, ["s1"]),
        ({"user_id": "bob"}, []),
    ],
)
def test_sessions_are_filtered_by_their_start(sessions, reader, query, expected):
    """Verifies from/to keep the sessions whose first event lies in [from, to), dates in `tz`, and
    user_id the sessions of that user."""
    assert [row[0] for row in listed(reader.get(URL, query))] == expected


@pytest.mark.django_db
def test_sessions_page_by_cursor(sessions, reader):
    """Verifies page_size and the next/previous cursors walk the list without gaps or repeats."""
    first = reader.get(URL, {"page_size": 3}).json()
    assert [row["id"] for row in first["results"]] == ["s/4", "s2", "s1"]
    second = reader.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == ["s3"]
    assert second["next"] is None
    assert [row["id"] for row in reader.get(second["previous"]).json()["results"]] == ["s/4", "s2", "s1"]


@pytest.mark.django_db
def test_a_session_comes_with_its_events_oldest_first(sessions, reader):
    """Verifies /sessions/{id} gives the figures and the session's raw events in time order, and a
    link to their listing; an id with a slash works."""
    response = reader.get(f"{URL}s1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["events"], body["duration_seconds"]) == ("s1", 3, 2700.0)
    assert [event["id"] for event in body["retained_events"]] == ["e1", "e2", "e3"]
    assert body["retained_events"][1]["name"] == "signup"
    assert body["events_url"] == "http://testserver/api/v1/events/?session_id=s1"
    assert [event["id"] for event in reader.get(body["events_url"]).json()["results"]] == ["e3", "e2", "e1"]
    slashed = reader.get(f"{URL}s/4").json()
    assert (slashed["id"], [event["id"] for event in slashed["retained_events"]]) == ("s/4", ["e7"])


@pytest.mark.django_db
def test_another_workspace_sees_only_its_own_sessions(sessions, make_client, other_workspace):
    """Verifies a token of globex lists globex's sessions only, its own s1 with its own figures,
    and gets a 404 for a session only acme has."""
    globex = make_client(other_workspace, scopes=("read",))
    # Tied on the start: by id, descending.
    assert listed(globex.get(URL)) == [
        ("s1", "2026-03-05T12:00:00Z", "2026-03-05T12:00:00Z", 1, 0.0, "user-1"),
        ("globex-only", "2026-03-05T12:00:00Z", "2026-03-05T12:00:00Z", 1, 0.0, "user-1"),
    ]
    assert [event["id"] for event in globex.get(f"{URL}s1").json()["retained_events"]] == ["e1"]
    assert globex.get(f"{URL}s2").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": ""}, "from"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"page_size": "0"}, "page_size"),
        ({"cursor": "garbage"}, "cursor"),
        ({"user_id": ""}, "user_id"),
        ({"user_id": "x" * 129}, "user_id"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(sessions, reader, query, field):
    """Verifies each bad parameter of the list gets a 400 in the documented error shape naming it."""
    response = reader.get(URL, query)
    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.django_db
def test_sessions_need_a_read_token(sessions, make_client, workspace, client):
    """Verifies no token is a 401, an ingest-only token a 403, and an unknown or overlong id a 404."""
    assert client.get(URL).status_code == 401
    assert make_client(workspace, scopes=("ingest",)).get(URL).status_code == 403
    reader = make_client(workspace, scopes=("read",))
    assert reader.get(f"{URL}nope").json() == {"detail": "No session with this id."}
    assert reader.get(f"{URL}{'x' * 129}").status_code == 404


@pytest.mark.django_db
def test_erasing_events_moves_or_removes_the_session(sessions, reader, make_client, workspace):
    """Verifies erasing a session's first event moves its start, count and user, and erasing its
    last one removes it; verify stays clean."""
    eraser = make_client(workspace, scopes=("erase",))
    assert eraser.delete("/api/v1/events/e1").status_code == 204
    body = reader.get(f"{URL}s1").json()
    assert (body["first_event_at"], body["events"], body["duration_seconds"], body["user_id"]) == (
        "2026-03-02T09:10:00Z",
        2,
        2100.0,
        "bob",
    )
    assert eraser.delete("/api/v1/events/e4").status_code == 204
    assert reader.get(f"{URL}s2").status_code == 404
    assert rollups.differences() == []


@pytest.mark.django_db
def test_a_tie_on_the_first_moment_gives_the_session_the_user_of_the_least_event_id(make_client, workspace, reader):
    """Verifies that of events at the same first moment, the least event id decides the session's
    user: inside one request (b-2 before b-1 in the body) and across requests (b-0 arriving last)."""
    acme = make_client(workspace, scopes=("ingest",))
    at = "2026-03-02T09:00:00Z"
    ingest(acme, [view("b-2", at, "tie", user="zed"), view("b-1", at, "tie", user="amy")])
    assert reader.get(f"{URL}tie").json()["user_id"] == "amy"
    ingest(acme, [view("b-3", at, "tie", user="bob")])
    assert reader.get(f"{URL}tie").json()["user_id"] == "amy"
    ingest(acme, [view("b-0", at, "tie", user="kim")])
    assert reader.get(f"{URL}tie").json()["user_id"] == "kim"
    assert rollups.differences() == []
