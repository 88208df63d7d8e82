"""Token authentication and scopes over HTTP: 401 without a valid token, 403 without the scope,
and no workspace ever sees another's rows."""

import pytest
from rest_framework.test import APIClient

from analytics.models import Event
from core.auth import hash_key, token_create, token_revoke
from core.models import ApiToken

URL = "/api/v1/events/"
EVENT = {"id": "e1", "name": "signup", "occurred_at": "2026-05-01T10:00:00Z"}


def client_with(header: str | None) -> APIClient:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.mark.parametrize("header", [None, "Token", "Token wrong-key", "Token a b", "Bearer x", "Basic dXNlcjpwYXNz"])
@pytest.mark.django_db
def test_missing_or_bad_token_is_401(workspace, header):
    """Verifies requests without a valid token are 401 for reads and writes, and write nothing."""
    client = client_with(header)
    assert client.get(URL).status_code == 401
    assert client.post(URL, EVENT, format="json").status_code == 401
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_revoked_token_is_401(workspace):
    """Verifies a revoked token no longer authenticates."""
    token, key = token_create(workspace=workspace, scopes=["ingest", "read"])
    token_revoke(token=token)
    assert client_with(f"Token {key}").post(URL, EVENT, format="json").status_code == 401


@pytest.mark.parametrize(
    ("scopes", "get_status", "post_status"),
    [(["ingest"], 403, 201), (["read"], 200, 403), (["ingest", "read"], 200, 201)],
)
@pytest.mark.django_db
def test_scope_matrix(make_client, workspace, scopes, get_status, post_status):
    """Verifies ingest is needed to POST events and read to GET them."""
    client = make_client(workspace, scopes)
    assert client.get(URL).status_code == get_status
    response = client.post(URL, EVENT, format="json")
    assert response.status_code == post_status
    assert Event.objects.count() == (1 if post_status == 201 else 0)


@pytest.mark.django_db
def test_token_is_stored_hashed_and_records_last_use(workspace):
    """Verifies only the SHA-256 of the key is stored and a request stamps last_used_at."""
    token, key = token_create(workspace=workspace, scopes=["read"])
    assert token.key_hash == hash_key(key) and key not in (token.key_hash, token.prefix)
    assert key.startswith(token.prefix)
    assert client_with(f"Token {key}").get(URL).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.django_db
def test_workspaces_never_see_each_others_events(make_client, workspace, other_workspace):
    """Verifies the listing shows only the token's workspace, even for identical event ids."""
    acme, globex = make_client(workspace), make_client(other_workspace)
    acme.post(URL, [EVENT, {**EVENT, "id": "e2", "name": "acme.only"}], format="json")
    globex.post(URL, {**EVENT, "name": "globex.only"}, format="json")
    assert sorted(event["name"] for event in acme.get(URL).json()["results"]) == ["acme.only", "signup"]
    assert [event["name"] for event in globex.get(URL).json()["results"]] == ["globex.only"]


@pytest.mark.django_db
def test_listing_is_newest_first_and_filters(client_for):
    """Verifies the raw listing orders by occurred_at descending and filters by name, from and to."""
    client_for.post(
        URL,
        [
            {**EVENT, "id": "a", "occurred_at": "2026-05-01T10:00:00Z"},
            {**EVENT, "id": "b", "occurred_at": "2026-05-03T10:00:00Z"},
            {**EVENT, "id": "c", "name": "login", "occurred_at": "2026-05-02T10:00:00Z"},
        ],
        format="json",
    )
    assert [event["id"] for event in client_for.get(URL).json()["results"]] == ["b", "c", "a"]
    assert [event["id"] for event in client_for.get(URL, {"name": "signup"}).json()["results"]] == ["b", "a"]
    window = client_for.get(URL, {"from": "2026-05-02", "to": "2026-05-03T10:00:00Z"}).json()["results"]
    assert [event["id"] for event in window] == ["c"]


@pytest.mark.django_db
def test_bad_listing_parameter_is_a_400_naming_it(client_for):
    """Verifies a malformed `from` is a 400 that names the parameter."""
    response = client_for.get(URL, {"from": "last tuesday"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "from"


@pytest.mark.django_db
def test_token_lookup_is_cached_and_revocation_reaches_other_processes_within_the_interval(workspace):
    """Verifies a worker reuses a token lookup; a revocation made elsewhere applies after the cache interval."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.auth import clear_token_cache

    token, key = token_create(workspace=workspace, scopes=["read"])
    client = client_with(f"Token {key}")
    assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    assert not any("api_token" in query["sql"] for query in queries.captured_queries)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")  # another process revokes
    assert client.get(URL).status_code == 200  # still cached here
    clear_token_cache()  # the interval passes
    assert client.get(URL).status_code == 401
