"""The event catalogue through HTTP with real tokens: definitions (create, duplicates, search,
change, delete), the figures the triggers keep for every observed name, strict mode at ingest,
names with spaces, event categories."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from analytics import erasure, retention, rollups
from analytics.models import Event
from core.auth import clear_token_cache

CATALOGUE = "/api/v1/catalogue/events/"
EVENTS = "/api/v1/events/"
SETTINGS = "/api/v1/catalogue/settings"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def admin(make_client, workspace):
    """A client with every scope a catalogue owner needs."""
    return make_client(workspace, scopes=("read", "ingest", "catalogue", "erase"))


def entry(client, name: str) -> dict:
    response = client.get(CATALOGUE + name.replace(" ", "%20"))
    assert response.status_code == 200, response.json()
    return response.json()


def errors(response) -> list[tuple]:
    return [(error["index"], error["field"], error["message"]) for error in response.json()["errors"]]


@pytest.mark.django_db
def test_a_definition_is_created_read_listed_changed_and_deleted(admin):
    """Verifies create (201 with the entry), read, list, PATCH, PUT and DELETE of a definition."""
    created = admin.post(
        CATALOGUE, {"name": "cta click", "description": "A call to action", "category": "page interaction"}, "json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body | {"created_at": None, "modified_at": None} == {
        "name": "cta click",
        "defined": True,
        "description": "A call to action",
        "category": "page interaction",
        "created_at": None,
        "modified_at": None,
        "events": 0,
        "events_7d": 0,
        "first_seen_at": None,
        "last_seen_at": None,
        "properties": [],
    }
    assert body["created_at"] == body["modified_at"]
    assert entry(admin, "cta click") == body
    assert admin.get(CATALOGUE).json()["results"] == [body]

    patched = admin.patch(CATALOGUE + "cta%20click", {"description": "Clicked"}, "json").json()
    assert (patched["description"], patched["category"]) == ("Clicked", "page interaction")
    assert patched["modified_at"] >= body["modified_at"]
    replaced = admin.put(CATALOGUE + "cta%20click", {"category": "buttons"}, "json").json()
    assert (replaced["description"], replaced["category"]) == ("", "buttons")

    assert admin.delete(CATALOGUE + "cta%20click").status_code == 204
    assert admin.get(CATALOGUE + "cta%20click").status_code == 404
    assert admin.delete(CATALOGUE + "cta%20click").status_code == 404
    assert admin.patch(CATALOGUE + "cta%20click", {"description": "x"}, "json").status_code == 404


@pytest.mark.django_db
def test_a_duplicate_name_is_a_400_naming_the_field(admin, make_client, other_workspace):
    """Verifies a second definition of a name is a 400 on `name`, while another workspace may define it."""
    assert admin.post(CATALOGUE, {"name": "signup"}, "json").status_code == 201
    duplicate = admin.post(CATALOGUE, {"name": "signup", "description": "again"}, "json")
    assert duplicate.status_code == 400
    assert errors(duplicate) == [(None, "name", "This name is defined already in the workspace.")]
    other = make_client(other_workspace, scopes=("read", "catalogue"))
    assert other.post(CATALOGUE, {"name": "signup"}, "json").status_code == 201


@pytest.mark.django_db
def test_bad_definitions_are_400s_naming_the_field(admin):
    """Verifies an invalid name, an unknown field, a name change and a non-boolean strict are 400s naming the field."""
    cases = [
        ({"name": "CTA Click"}, "name"),
        ({"name": "cta  click"}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "descripton": "typo"}, "descripton"),
        ({"name": "ok", "category": "c" * 101}, "category"),
        ({}, "name"),
    ]
    for body, field in cases:
        response = admin.post(CATALOGUE, body, "json")
        assert response.status_code == 400, body
        assert {error[1] for error in errors(response)} == {field}, body
    admin.post(CATALOGUE, {"name": "ok"}, "json")
    renamed = admin.patch(CATALOGUE + "ok", {"name": "other"}, "json")
    assert renamed.status_code == 400 and errors(renamed)[0][1] == "name"
    assert admin.patch(CATALOGUE + "ok", {"name": "ok", "category": "c"}, "json").status_code == 200
    assert errors(admin.patch(SETTINGS, {"strict": "yes"}, "json"))[0][1] == "strict"


@pytest.mark.django_db
def test_search_covers_name_description_and_category_case_insensitively_and_literally(admin):
    """Verifies ?search= matches a substring of name, description or category, ignoring case, % and _ literal."""
    admin.post(CATALOGUE, {"name": "signup", "description": "Account CREATED"}, "json")
    admin.post(CATALOGUE, {"name": "cta click", "category": "Page interaction"}, "json")
    admin.post(CATALOGUE, {"name": "checkout:paid", "description": "100% paid"}, "json")
    admin.post(CATALOGUE, {"name": "page_view"}, "json")

    def names(query: str) -> list[str]:
        response = admin.get(CATALOGUE, {"search": query})
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names("created") == ["signup"]
    assert names("INTERACTION") == ["cta click"]
    assert names("cta c") == ["cta click"]
    assert names("%") == ["checkout:paid"]
    assert names("_") == ["page_view"]
    assert names("e") == ["checkout:paid", "cta click", "page_view", "signup"]
    assert names("nothing") == []
    assert admin.get(CATALOGUE, {"search": ""}).status_code == 400


@pytest.mark.django_db
def test_figures_count_every_event_of_a_name_and_undefined_names_are_observed(admin, make_client, other_workspace):
    """Verifies events, events_7d, first and last seen per name, defined or not, and no other workspace's events."""
    now = timezone.now().replace(microsecond=0)
    old = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    admin.post(CATALOGUE, {"name": "signup", "description": "Account created"}, "json")
    admin.post(CATALOGUE, {"name": "never.sent"}, "json")
    batch = [
        {"id": "s1", "name": "signup", "occurred_at": iso(old)},
        {"id": "s2", "name": "signup", "occurred_at": iso(now - timedelta(days=2))},
        {"id": "s3", "name": "signup", "occurred_at": iso(now - timedelta(minutes=5))},
        {"id": "c1", "name": "cta click", "occurred_at": iso(now - timedelta(hours=1))},
        {"id": "c2", "name": "cta click", "occurred_at": iso(now - timedelta(days=9))},
        # Just out of the 7 days (the current hour and the 168 before it).
        {"id": "c3", "name": "cta click", "occurred_at": iso(now - timedelta(days=7, hours=2))},
    ]
    assert admin.post(EVENTS, batch, "json").status_code == 201
    # Again in another connection's statement, and a retry: counted once.
    assert admin.post(EVENTS, batch[:2], "json").json() == {"accepted": 0, "duplicates": 2}
    other = make_client(other_workspace)
    other.post(EVENTS, [{"id": "o1", "name": "signup", "occurred_at": iso(old - timedelta(days=1))}], format="json")

    listing = {row["name"]: row for row in admin.get(CATALOGUE).json()["results"]}
    assert list(listing) == ["cta click", "never.sent", "signup"]
    signup, cta, never = listing["signup"], listing["cta click"], listing["never.sent"]
    assert (signup["defined"], signup["events"], signup["events_7d"]) == (True, 3, 2)
    assert signup["first_seen_at"] == "2026-03-02T08:30:00Z"
    assert signup["last_seen_at"] == iso(now - timedelta(minutes=5))
    assert (cta["defined"], cta["events"], cta["events_7d"], cta["created_at"]) == (False, 3, 1, None)
    assert (cta["first_seen_at"], cta["last_seen_at"]) == (iso(now - timedelta(days=9)), iso(now - timedelta(hours=1)))
    assert (never["events"], never["first_seen_at"]) == (0, None)
    assert entry(admin, "cta click") == cta
    assert [row["name"] for row in admin.get(CATALOGUE, {"defined": "false"}).json()["results"]] == ["cta click"]
    assert admin.get(CATALOGUE + "unknown.name").status_code == 404
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_erasing_the_first_and_last_event_moves_first_and_last_seen(admin, workspace):
    """Verifies the erase trigger recomputes a name's figures: first/last seen move to the remaining events."""
    # One hour: its recomputation keeps two events of different moments.
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    moments = [hour + timedelta(minutes=minutes) for minutes in (1, 10, 20, 30)]
    admin.post(
        EVENTS, [{"id": f"e{n}", "name": "signup", "occurred_at": iso(m)} for n, m in enumerate(moments)], "json"
    )
    assert admin.delete(EVENTS + "e0").status_code == 204
    assert admin.delete(EVENTS + "e3").status_code == 204
    figures = entry(admin, "signup")
    assert (figures["events"], figures["first_seen_at"], figures["last_seen_at"]) == (
        2,
        iso(moments[1]),
        iso(moments[2]),
    )
    erasure.erase_events(workspace=workspace, event_ids=["e1", "e2"])
    assert admin.get(CATALOGUE + "signup").status_code == 404
    assert list(rollups.differences()) == []


@pytest.mark.django_db(transaction=True)
def test_figures_survive_retention_of_the_first_events(make_client):
    """Verifies first seen and the total stay exact after retention drops the partition of the first events."""
    from core.models import Workspace

    workspace = Workspace.objects.create(slug="kept", name="Kept")
    client = make_client(workspace, scopes=("read", "ingest"))
    first = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    events = [
        {"id": "a", "name": "signup", "occurred_at": iso(first)},
        {"id": "b", "name": "signup", "occurred_at": iso(first + timedelta(days=40))},
    ]
    try:
        assert client.post(EVENTS, events, "json").status_code == 201
        retention.retain(before=datetime(2026, 4, 1, tzinfo=UTC))
        assert not Event.objects.filter(event_id="a").exists()
        figures = entry(client, "signup")
        assert (figures["events"], figures["first_seen_at"]) == (2, iso(first))
        assert list(rollups.differences()) == []
        assert rollups.rebuild() > 0
        assert entry(client, "signup") == figures
    finally:
        Workspace.objects.filter(pk=workspace.pk).delete()
        retention.forget_cached_horizon()


@pytest.mark.django_db
def test_strict_workspace_refuses_a_batch_with_undefined_names_naming_index_and_name(admin, make_client, workspace):
    """Verifies strict mode: a batch naming an undefined product event is a 400 per such event and writes nothing."""
    assert admin.get(SETTINGS).json() == {"strict": False}
    admin.post(CATALOGUE, {"name": "signup"}, "json")
    assert admin.patch(SETTINGS, {"strict": True}, "json").json() == {"strict": True}
    ingest = make_client(workspace, scopes=("ingest",))
    now = iso(timezone.now() - timedelta(minutes=1))
    batch = [
        {"id": "1", "name": "signup", "occurred_at": now},
        {"id": "2", "name": "cta click", "occurred_at": now},
        {"id": "3", "name": "conversation.created", "occurred_at": now, "conversation_id": "c", "channel": "web"},
        {"id": "4", "name": "page.view", "occurred_at": now},
        {"id": "5", "name": "cta click", "occurred_at": now},
    ]
    refused = ingest.post(EVENTS, batch, "json")
    assert refused.status_code == 400
    message = "{!r} is not defined in the event catalogue, and this workspace is strict."
    assert errors(refused) == [
        (1, "name", message.format("cta click")),
        (3, "name", message.format("page.view")),
        (4, "name", message.format("cta click")),
    ]
    assert Event.objects.count() == 0
    single = ingest.post(EVENTS, batch[3], "json")
    assert errors(single) == [(None, "name", message.format("page.view"))]
    # The defined and the built-in names go in; defining a name lets its events in at once.
    assert ingest.post(EVENTS, [batch[0], batch[2]], "json").json() == {"accepted": 2, "duplicates": 0}
    admin.post(CATALOGUE, {"name": "page.view"}, "json")
    assert ingest.post(EVENTS, batch[3], "json").status_code == 201
    # Off again: anything goes.
    admin.patch(SETTINGS, {"strict": False}, "json")
    assert ingest.post(EVENTS, batch, "json").json() == {"accepted": 2, "duplicates": 3}


@pytest.mark.django_db
def test_strict_setting_reaches_a_token_cached_before_the_change(admin, make_client, workspace):
    """Verifies a worker's cached token sees strict turned on once its cache entry expires (here: cleared)."""
    ingest = make_client(workspace, scopes=("ingest",))
    event = {"name": "late.name", "occurred_at": iso(timezone.now())}
    assert ingest.post(EVENTS, event, "json").status_code == 201
    workspace.__class__.objects.filter(pk=workspace.pk).update(strict_event_names=True)
    clear_token_cache()
    assert ingest.post(EVENTS, event, "json").status_code == 400


@pytest.mark.django_db
def test_scopes_read_reads_and_catalogue_changes(make_client, workspace):
    """Verifies a read token cannot change the catalogue, and a catalogue-only token cannot read it."""
    reader = make_client(workspace, scopes=("read", "ingest"))
    writer = make_client(workspace, scopes=("catalogue",))
    assert reader.post(CATALOGUE, {"name": "signup"}, "json").status_code == 403
    assert reader.patch(SETTINGS, {"strict": True}, "json").status_code == 403
    assert writer.post(CATALOGUE, {"name": "signup"}, "json").status_code == 201
    for method in ("put", "patch", "delete"):
        assert getattr(reader, method)(CATALOGUE + "signup", {}, "json").status_code == 403
    assert writer.get(CATALOGUE).status_code == 403
    assert writer.get(CATALOGUE + "signup").status_code == 403
    assert reader.get(CATALOGUE + "signup").status_code == 200


@pytest.mark.django_db
def test_events_carry_a_category_that_filters_the_listing(client_for):
    """Verifies an event's category is stored, returned by GET /api/v1/events/{id} and filters the raw listing."""
    now = iso(timezone.now() - timedelta(minutes=1))
    batch = [
        {"id": "a", "name": "cta click", "occurred_at": now, "category": "page interaction", "session_id": "s1"},
        {"id": "b", "name": "page.view", "occurred_at": now, "category": None},
        {"id": "c", "name": "cta click", "occurred_at": now},
    ]
    assert client_for.post(EVENTS, batch, "json").status_code == 201
    detail = client_for.get(EVENTS + "a").json()
    assert (detail["name"], detail["category"], detail["session_id"]) == ("cta click", "page interaction", "s1")
    listed = client_for.get(EVENTS, {"category": "page interaction"}).json()["results"]
    assert [event["id"] for event in listed] == ["a"]
    assert [event["id"] for event in client_for.get(EVENTS, {"name": "cta click"}).json()["results"]] == ["c", "a"]
    too_long = client_for.post(EVENTS, {**batch[2], "id": "d", "category": "x" * 101}, "json")
    assert errors(too_long)[0][1] == "category"
