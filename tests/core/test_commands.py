"""The token and demo management commands: create_token, revoke_token, ensure_demo."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.auth import hash_key, token_create
from core.models import ApiToken, Workspace


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.mark.django_db
def test_create_token_creates_the_workspace_and_prints_the_key_once():
    """Verifies create_token creates a missing workspace, prints only the key on stdout and stores its hash."""
    stdout, stderr = run(
        "create_token", "--workspace", "initech", "--scope", "ingest", "--scope", "read", "--name", "backend"
    )
    key = stdout.strip()
    token = ApiToken.objects.get()
    assert Workspace.objects.get().slug == "initech"
    assert token.workspace.slug == "initech" and token.name == "backend"
    assert token.scopes == ["ingest", "read"]
    assert token.key_hash == hash_key(key) and token.key_hash != key
    assert key.startswith(token.prefix) and key not in stderr
    assert "created workspace initech" in stderr


@pytest.mark.django_db
def test_create_token_reuses_an_existing_workspace(workspace):
    """Verifies create_token adds a token to an existing workspace without creating another one."""
    stdout, stderr = run("create_token", "--workspace", workspace.slug, "--scope", "read")
    assert Workspace.objects.count() == 1
    assert ApiToken.objects.get(workspace=workspace).scopes == ["read"]
    assert "created workspace" not in stderr
    assert ApiToken.objects.get().key_hash == hash_key(stdout.strip())


@pytest.mark.django_db
def test_create_token_gives_a_new_workspace_its_timezone():
    """Verifies --timezone sets the time zone of a workspace the command creates."""
    run("create_token", "--workspace", "berlin", "--scope", "read", "--timezone", "Europe/Berlin")
    assert Workspace.objects.get(slug="berlin").timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    "args",
    [
        ("--workspace", "acme"),
        ("--workspace", "acme", "--scope", "admin"),
        ("--workspace", "acme", "--scope", "read", "--timezone", "Mars/Olympus"),
    ],
    ids=["no-scope", "unknown-scope", "unknown-timezone"],
)
@pytest.mark.django_db
def test_create_token_refuses_bad_arguments(args):
    """Verifies create_token fails without writing anything when a scope or the time zone is missing or wrong."""
    with pytest.raises(CommandError):
        run("create_token", *args)
    assert not Workspace.objects.exists() and not ApiToken.objects.exists()


@pytest.mark.parametrize("by", ["key", "prefix"])
@pytest.mark.django_db
def test_revoke_token_by_key_or_prefix(workspace, by):
    """Verifies revoke_token revokes the token named by its full key or by its prefix, and only that one."""
    token, key = token_create(workspace=workspace, scopes=["read"])
    other, _ = token_create(workspace=workspace, scopes=["read"])
    stdout, _ = run("revoke_token", key if by == "key" else token.prefix)
    token.refresh_from_db()
    other.refresh_from_db()
    assert token.revoked_at is not None and other.revoked_at is None
    assert token.prefix in stdout


@pytest.mark.django_db
def test_revoke_token_refuses_an_unknown_token(workspace):
    """Verifies revoke_token fails for a key or prefix that matches no active token."""
    token, _ = token_create(workspace=workspace, scopes=["read"])
    with pytest.raises(CommandError, match="No active token"):
        run("revoke_token", "tly_nope")
    run("revoke_token", token.prefix)
    with pytest.raises(CommandError, match="No active token"):
        run("revoke_token", token.prefix)


@pytest.mark.django_db
def test_revoke_token_refuses_an_ambiguous_prefix(workspace):
    """Verifies revoke_token revokes nothing when two active tokens share the prefix given."""
    for key in ("tly_abcd-one", "tly_abcd-two"):
        ApiToken.objects.create(workspace=workspace, prefix="tly_abcd", key_hash=hash_key(key), scopes=["read"])
    with pytest.raises(CommandError, match="2 tokens share the prefix"):
        run("revoke_token", "tly_abcd")
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()
    run("revoke_token", "tly_abcd-one")
    assert list(ApiToken.objects.filter(revoked_at__isnull=True).values_list("key_hash", flat=True)) == [
        hash_key("tly_abcd-two")
    ]


@pytest.mark.django_db
def test_ensure_demo_creates_the_demo_workspace_once_and_a_token_each_run():
    """Verifies ensure_demo creates the `demo` workspace once and prints a new, working ingest+read key each run."""
    keys = []
    for _ in range(2):
        stdout, _ = run("ensure_demo")
        match = re.search(r"^\s*export TALLY_TOKEN=(\S+)$", stdout, re.MULTILINE)
        assert match, stdout
        keys.append(match.group(1))
        assert "curl" in stdout and "Authorization: Token $TALLY_TOKEN" in stdout
    demo = Workspace.objects.get()
    assert (demo.slug, demo.name, demo.timezone) == ("demo", "Demo", "UTC")
    tokens = ApiToken.objects.filter(workspace=demo).order_by("pk")
    assert [token.key_hash for token in tokens] == [hash_key(key) for key in keys]
    assert all(token.scopes == ["ingest", "read"] and token.name == "make run" for token in tokens)


@pytest.mark.django_db
def test_ensure_demo_curl_example_is_accepted_by_the_api():
    """Verifies the printed curl example targets --url and its event is accepted with the printed key."""
    stdout, _ = run("ensure_demo", "--url", "http://127.0.0.1:8765/")
    key = re.search(r"export TALLY_TOKEN=(\S+)", stdout).group(1)
    url = re.search(r"curl -s -X POST http://127\.0\.0\.1:8765(/\S+)", stdout).group(1)
    body = re.search(r"-d '(.+?)'", stdout).group(1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json() == {"accepted": 1, "duplicates": 0}
