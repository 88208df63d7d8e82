import pytest
from hypothesis import settings
from rest_framework.test import APIClient

from analytics.retention import forget_cached_horizon
from core.auth import clear_token_cache, token_create
from core.models import Workspace
from tests.factories import HYPOTHESIS_PROFILE

# `make test` and CI run the "ci" profile: derandomized, so every run tries the same examples and
# a mutant is killed every time or never (never by luck); the cases that matter most are pinned
# with @example. HYPOTHESIS_PROFILE=thorough (make test-thorough) runs ten times the examples
# with fresh randomness, for a hand run before resolving an issue that touches a merge.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("thorough", derandomize=False, print_blob=True)
settings.register_profile("citus", derandomize=True, print_blob=True)
settings.load_profile(HYPOTHESIS_PROFILE)


@pytest.fixture(autouse=True)
def fresh_token_cache():
    """Each test starts with no cached token lookups (the cache outlives a rolled-back test)."""
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture(autouse=True)
def fresh_horizon_cache():
    """Each test starts with no cached retention horizon (the cache outlives a rolled-back test)."""
    forget_cached_horizon()
    yield
    forget_cached_horizon()


@pytest.fixture
def workspace(db):
    return Workspace.objects.create(slug="acme", name="Acme", timezone="UTC")


@pytest.fixture
def other_workspace(db):
    return Workspace.objects.create(slug="globex", name="Globex", timezone="Europe/Berlin")


@pytest.fixture
def make_client(db):
    """Returns an APIClient that sends a real token of the given workspace and scopes."""

    def make(workspace, scopes=("ingest", "read")):
        _, key = token_create(workspace=workspace, scopes=list(scopes))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def client_for(make_client, workspace):
    """An ingest+read client of the `acme` workspace."""
    return make_client(workspace)
