"""GET and DELETE /api/v1/events/{id}: one event by id, and its erasure with the `erase` scope."""

import pytest

from analytics import rollups
from analytics.models import Event
from tests.factories import support_event


def created(event_id: str, conversation: str = "c1", minutes: int = 0) -> dict:
    return support_event(
        "created", event_id=event_id, conversation=conversation, minutes=minutes, channel="chat", customer="u1"
    )


@pytest.fixture
def eraser(make_client, workspace):
    return make_client(workspace, scopes=("erase",))


@pytest.mark.django_db
def test_get_returns_one_event_of_the_workspace_and_404_for_others(client_for, make_client, other_workspace):
    """Verifies GET answers the event as the listing does, a 404 JSON for an unknown id, and a 404
    for another workspace's event (the id exists, not for this token)."""
    assert client_for.post("/api/v1/events/", [created("e/1")], format="json").status_code == 201
    response = client_for.get("/api/v1/events/e/1")
    assert response.status_code == 200
    listed = client_for.get("/api/v1/events/").json()["results"][0]
    assert response.json() == listed
    missing = client_for.get("/api/v1/events/nope")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    other = make_client(other_workspace)
    assert other.get("/api/v1/events/e/1").status_code == 404
    # Ids no event can have: a 404 too, never a 500 (PostgreSQL text cannot hold a NUL).
    for impossible in ("a%00b", "x" * 65):
        assert client_for.get(f"/api/v1/events/{impossible}").status_code == 404


@pytest.mark.django_db
def test_delete_erases_with_the_erase_scope_only_and_the_summaries_follow(client_for, eraser, workspace):
    """Verifies a read/ingest token gets a 403 naming the scope, an erase token a 204, then a 404
    the second time; the overview no longer counts the event, verify is clean, and a retry of the
    erased event is a duplicate that stores nothing."""
    events = [created("e1", "c1"), created("e2", "c2", minutes=5)]
    assert client_for.post("/api/v1/events/", events, format="json").status_code == 201

    refused = client_for.delete("/api/v1/events/e1")
    assert refused.status_code == 403 and "erase" in refused.json()["detail"]
    assert eraser.delete("/api/v1/events/e1").status_code == 204
    assert eraser.delete("/api/v1/events/e1").status_code == 404
    assert eraser.get("/api/v1/events/e2").status_code == 403

    assert list(Event.objects.filter(workspace=workspace).values_list("event_id", flat=True)) == ["e2"]
    assert rollups.differences() == []
    overview = client_for.get("/api/v1/summaries/overview", {"from": "2026-03-01", "to": "2026-03-31"}).json()
    assert (overview["conversations_created"], overview["open_now"]) == (1, 1)
    retry = client_for.post("/api/v1/events/", [created("e1", "c1")], format="json")
    assert retry.json() == {"accepted": 0, "duplicates": 1}


@pytest.mark.django_db
def test_delete_of_another_workspaces_event_is_a_404_and_erases_nothing(client_for, make_client, other_workspace):
    assert client_for.post("/api/v1/events/", [created("e1")], format="json").status_code == 201
    other_eraser = make_client(other_workspace, scopes=("erase",))
    assert other_eraser.delete("/api/v1/events/e1").status_code == 404
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_the_fixed_event_paths_keep_their_views(client_for):
    """Verifies events/trend, /frequency and /stats are still the reads, not event ids."""
    for path in ("trend", "frequency", "stats"):
        response = client_for.get(f"/api/v1/events/{path}", {"start_date": "2026-03-01", "end_date": "2026-03-02"})
        assert response.status_code == 200, (path, response.json())
