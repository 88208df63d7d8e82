"""The Django admin of workspaces and tokens."""

import io

import pytest

from core.auth import token_create
from core.models import ApiToken

TOKENS = "/admin/core/apitoken/"


@pytest.mark.django_db
def test_admin_lists_tokens_without_their_keys(admin_client, workspace):
    """Verifies the token list and change pages load, show the prefix and never the key."""
    token, key = token_create(workspace=workspace, scopes=["read"], name="dashboard")
    listing = admin_client.get(TOKENS)
    assert listing.status_code == 200
    assert token.prefix in listing.content.decode() and key not in listing.content.decode()
    change = admin_client.get(f"{TOKENS}{token.pk}/change/")
    assert change.status_code == 200
    assert 'name="key_hash"' not in change.content.decode()
    assert admin_client.get("/admin/core/workspace/").status_code == 200


@pytest.mark.django_db
def test_admin_action_revokes_selected_tokens(admin_client, workspace):
    """Verifies "Revoke selected tokens" revokes the selected tokens and leaves the others active."""
    selected = [token_create(workspace=workspace, scopes=["read"])[0] for _ in range(2)]
    other, _ = token_create(workspace=workspace, scopes=["read"])
    response = admin_client.post(
        TOKENS, {"action": "revoke", "_selected_action": [token.pk for token in selected]}, follow=True
    )
    assert response.status_code == 200
    assert "Revoked 2 token(s)." in response.content.decode()
    assert set(ApiToken.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)) == {
        token.pk for token in selected
    }
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None


@pytest.mark.django_db
def test_admin_shows_when_each_rollup_was_refreshed(admin_client):
    """Verifies the admin lists rollup_refresh rows after a refresh, read-only."""
    from django.core.management import call_command

    call_command("rollups", "refresh", stdout=io.StringIO())
    listing = admin_client.get("/admin/analytics/rolluprefresh/")
    assert listing.status_code == 200
    assert "support_daily" in listing.content.decode()
    assert admin_client.get("/admin/analytics/rolluprefresh/add/").status_code == 403
