"""Token authentication over HTTP on /api/v1/events/: 401 without a usable token, 403 without the
method's scope, last use recorded, and each workspace sealed off from the others."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import Event, EventHourly
from core.auth import clear_token_cache, token_create, token_revoke
from core.models import ApiToken

URL = "/api/v1/events/"
EVENT = {"id": "e1", "name": "signup", "occurred_at": "2026-05-01T10:00:00Z"}


def client_with(header: str | None) -> APIClient:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client


def listed_names(client, params=None) -> list[str]:
    response = client.get(URL, params or {})
    assert response.status_code == 200
    return [event["name"] for event in response.json()["results"]]


@pytest.mark.django_db
def test_request_without_authorization_header_is_401(workspace):
    """Verifies GET and POST without a token are 401 with a Token challenge, and nothing is written."""
    client = client_with(None)
    for response in (client.get(URL), client.post(URL, EVENT, format="json")):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_unknown_token_is_401(workspace):
    """Verifies "Token wrong" is 401 "Invalid or revoked token." for reads and writes, and nothing is written."""
    client = client_with("Token wrong")
    for response in (client.get(URL), client.post(URL, EVENT, format="json")):
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid or revoked token."}
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        pytest.param("Token", "Invalid token header: expected 'Token <key>'.", id="keyword-only"),
        pytest.param("Token a b", "Invalid token header: expected 'Token <key>'.", id="two-keys"),
        pytest.param("Token \u00e9t\u00e9", "Invalid token header: the key is not valid text.", id="latin1-key"),
        pytest.param("Bearer abc", "Authentication credentials were not provided.", id="other-scheme"),
    ],
)
@pytest.mark.django_db
def test_malformed_authorization_header_is_401(workspace, header, detail):
    """Verifies a malformed or foreign Authorization header is a 401 with its reason."""
    response = client_with(header).post(URL, EVENT, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_valid_key_under_another_scheme_is_401(workspace):
    """Verifies a real key sent as "Bearer <key>" does not authenticate."""
    _, key = token_create(workspace=workspace, scopes=["ingest", "read"])
    assert client_with(f"Bearer {key}").get(URL).status_code == 401


@pytest.mark.django_db
def test_token_keyword_is_case_insensitive(workspace):
    """Verifies "token <key>" in lower case authenticates like "Token <key>"."""
    _, key = token_create(workspace=workspace, scopes=["read"])
    assert client_with(f"token {key}").get(URL).status_code == 200


@pytest.mark.django_db
def test_revoked_token_is_401_and_writes_nothing(workspace):
    """Verifies a revoked token is refused with 401 for GET and POST, and its POST writes nothing."""
    token, key = token_create(workspace=workspace, scopes=["ingest", "read"])
    client = client_with(f"Token {key}")
    assert client.post(URL, EVENT, format="json").status_code == 201
    token_revoke(token=token)
    assert client.get(URL).status_code == 401
    response = client.post(URL, {**EVENT, "id": "e2"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked token."}
    assert list(Event.objects.values_list("event_id", flat=True)) == ["e1"]


@pytest.mark.django_db
def test_revoking_twice_keeps_the_first_revocation_time(workspace):
    """Verifies token_revoke is idempotent: a second call leaves revoked_at as it was."""
    token, _ = token_create(workspace=workspace, scopes=["read"])
    token_revoke(token=token)
    first = ApiToken.objects.get(pk=token.pk).revoked_at
    assert first is not None
    token_revoke(token=ApiToken.objects.get(pk=token.pk))
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first


@pytest.mark.django_db
def test_revoking_one_token_leaves_the_workspaces_other_tokens_working(workspace):
    """Verifies revocation is per token, not per workspace."""
    revoked, revoked_key = token_create(workspace=workspace, scopes=["read"])
    _, kept_key = token_create(workspace=workspace, scopes=["read"])
    token_revoke(token=revoked)
    assert client_with(f"Token {revoked_key}").get(URL).status_code == 401
    assert client_with(f"Token {kept_key}").get(URL).status_code == 200


@pytest.mark.django_db
def test_ingest_only_token_can_post_but_not_get(make_client, workspace):
    """Verifies an ingest-only token gets 201 on POST and 403 naming the read scope on GET."""
    client = make_client(workspace, ["ingest"])
    response = client.post(URL, EVENT, format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 1, "duplicates": 0}
    denied = client.get(URL)
    assert denied.status_code == 403
    assert denied.json() == {"detail": "This token lacks the 'read' scope."}
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_read_only_token_can_get_but_not_post(make_client, workspace):
    """Verifies a read-only token gets 200 on GET and 403 naming the ingest scope on POST, which writes nothing."""
    client = make_client(workspace, ["read"])
    denied = client.post(URL, [EVENT, {**EVENT, "id": "e2"}], format="json")
    assert denied.status_code == 403
    assert denied.json() == {"detail": "This token lacks the 'ingest' scope."}
    assert Event.objects.count() == 0
    assert EventHourly.objects.count() == 0
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
def test_read_only_token_gets_403_even_for_an_invalid_body(make_client, workspace):
    """Verifies the scope is checked before the body: a read-only POST of garbage is 403, not 400."""
    response = make_client(workspace, ["read"]).generic("POST", URL, b"{not json", content_type="application/json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_token_with_both_scopes_can_post_and_get(make_client, workspace):
    """Verifies an ingest+read token can write an event and then list it."""
    client = make_client(workspace, ["ingest", "read"])
    assert client.post(URL, EVENT, format="json").status_code == 201
    assert listed_names(client) == ["signup"]


@pytest.mark.parametrize(("scopes", "status"), [(["ingest"], 403), (["read"], 200)])
@pytest.mark.django_db
def test_head_needs_the_read_scope(make_client, workspace, scopes, status):
    """Verifies HEAD is authorised like GET."""
    assert make_client(workspace, scopes).head(URL).status_code == status


@pytest.mark.parametrize("scopes", [[], ["admin"], ["read", "write"]])
@pytest.mark.django_db
def test_token_create_refuses_empty_or_unknown_scopes(workspace, scopes):
    """Verifies a token needs a non-empty subset of ingest/read, and no token row is created otherwise."""
    with pytest.raises(ValueError, match="scopes must be a non-empty subset of"):
        token_create(workspace=workspace, scopes=scopes)
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_first_request_sets_last_used_at(workspace):
    """Verifies a new token has no last_used_at and an authenticated request stamps the current time."""
    token, key = token_create(workspace=workspace, scopes=["read"])
    assert token.last_used_at is None
    before = timezone.now()
    assert client_with(f"Token {key}").get(URL).status_code == 200
    used = ApiToken.objects.get(pk=token.pk).last_used_at
    assert before <= used <= timezone.now()


@pytest.mark.django_db
def test_last_used_at_is_refreshed_at_most_once_a_minute(workspace):
    """Verifies last_used_at is left alone when under a minute old and moved forward when older."""
    token, key = token_create(workspace=workspace, scopes=["read"])
    client = client_with(f"Token {key}")
    recent = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    clear_token_cache()  # workers re-read a token every TALLY_TOKEN_CACHE_SECONDS
    assert client.get(URL).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == recent
    stale = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    clear_token_cache()
    before = timezone.now()
    assert client.get(URL).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at >= before


@pytest.mark.django_db
def test_refused_key_does_not_touch_last_used_at(workspace):
    """Verifies a revoked token's last_used_at is not moved by a refused request."""
    token, key = token_create(workspace=workspace, scopes=["read"])
    token_revoke(token=token)
    assert client_with(f"Token {key}").get(URL).status_code == 401
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


@pytest.mark.django_db
def test_events_of_one_workspace_never_appear_in_anothers_listing(make_client, workspace, other_workspace):
    """Verifies each workspace lists only its own events, unfiltered and with filters matching the other's rows."""
    acme, globex = make_client(workspace), make_client(other_workspace)
    acme_batch = [
        {**EVENT, "id": "a1", "name": "acme.signup", "conversation_id": "shared-c"},
        {**EVENT, "id": "a2", "name": "shared.name"},
    ]
    assert acme.post(URL, acme_batch, format="json").json() == {"accepted": 2, "duplicates": 0}
    assert globex.post(URL, {**EVENT, "id": "g1", "name": "globex.signup"}, format="json").status_code == 201
    assert sorted(listed_names(acme)) == ["acme.signup", "shared.name"]
    assert listed_names(globex) == ["globex.signup"]
    assert listed_names(globex, {"name": "shared.name"}) == []
    assert listed_names(globex, {"conversation_id": "shared-c"}) == []
    assert listed_names(globex, {"from": "2026-01-01", "to": "2027-01-01"}) == ["globex.signup"]


@pytest.mark.django_db
def test_same_event_id_in_two_workspaces_is_two_events(make_client, workspace, other_workspace):
    """Verifies idempotency keys are per workspace: the same id is accepted in both and stored twice."""
    acme, globex = make_client(workspace, ["ingest"]), make_client(other_workspace, ["ingest"])
    assert acme.post(URL, EVENT, format="json").json() == {"accepted": 1, "duplicates": 0}
    assert globex.post(URL, {**EVENT, "name": "login"}, format="json").json() == {"accepted": 1, "duplicates": 0}
    assert globex.post(URL, EVENT, format="json").json() == {"accepted": 0, "duplicates": 1}
    rows = sorted(Event.objects.values_list("workspace__slug", "event_id", "name"))
    assert rows == [("acme", "e1", "signup"), ("globex", "e1", "login")]


@pytest.mark.django_db
def test_summaries_of_one_workspace_are_not_fed_by_another(make_client, workspace, other_workspace):
    """Verifies the hourly counts triggered by a workspace's ingest land only under that workspace."""
    make_client(workspace, ["ingest"]).post(URL, [EVENT, {**EVENT, "id": "e2"}], format="json")
    make_client(other_workspace, ["ingest"]).post(URL, EVENT, format="json")
    assert sorted(EventHourly.objects.values_list("workspace_id", "name", "events")) == sorted(
        [(workspace.pk, "signup", 2), (other_workspace.pk, "signup", 1)]
    )
