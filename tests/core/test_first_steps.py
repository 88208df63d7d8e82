"""What a newcomer meets first: /api/v1/ lists the endpoints, `make run` tells how to get an admin
login, the browsable API works with that login (CSRF kept), and static files come from WhiteNoise."""

import warnings

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from core.models import Workspace


@pytest.fixture
def staff(db):
    return User.objects.create_user("ada", password="pw-for-tests", is_staff=True)


def test_the_api_root_lists_every_endpoint_without_a_token(db):
    """Verifies GET /api/v1/ is public and names each endpoint with its URL, the schema and the docs."""
    response = Client().get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["endpoints"]["events"] == "http://testserver/api/v1/events/"
    assert body["endpoints"]["summaries-overview"] == "http://testserver/api/v1/summaries/overview"
    assert body["endpoints"]["customer-interactions"] == "http://testserver/api/v1/customers/{customer_id}/interactions"
    assert (body["schema"], body["docs"]) == ("http://testserver/api/schema/", "http://testserver/api/docs/")


def test_ensure_demo_says_how_to_create_an_admin_login(db, capsys):
    """Verifies the text `make run` prints names createsuperuser and the admin URL."""
    call_command("ensure_demo", url="http://127.0.0.1:8000")
    out = capsys.readouterr().out
    assert "manage.py createsuperuser" in out and "http://127.0.0.1:8000/admin/" in out


def test_a_staff_session_browses_the_api_of_the_demo_workspace(staff):
    """Verifies a logged-in staff user reads the browsable API without a token, as the `demo` workspace."""
    Workspace.objects.create(slug="acme", name="Acme")
    Workspace.objects.create(slug="demo", name="Demo")
    browser = Client()
    assert browser.login(username="ada", password="pw-for-tests")
    page = browser.get("/api/v1/summaries/overview", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"open_now" in page.content and b"ada" in page.content
    assert browser.get("/api/v1/summaries/overview").json()["open_now"] == 0
    assert browser.get("/api/v1/events/", {"workspace": "acme"}).status_code == 200
    assert browser.session["tally_workspace"] == "acme"


def test_a_session_post_needs_its_csrf_token(staff):
    """Verifies a session POST without the CSRF token is a 403 and with it is written."""
    Workspace.objects.create(slug="demo", name="Demo")
    browser = Client(enforce_csrf_checks=True)
    browser.login(username="ada", password="pw-for-tests")
    event = {"id": "s1", "name": "signup", "occurred_at": "2026-03-02T09:00:00Z"}
    refused = browser.post("/api/v1/events/", event, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    browser.get("/api-auth/login/")
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/api/v1/events/", event, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.content


def test_a_session_of_a_user_who_is_not_staff_is_a_401(db):
    """Verifies only admin (staff) logins browse the API; anyone else still needs a token."""
    User.objects.create_user("bob", password="pw-for-tests")
    Workspace.objects.create(slug="demo", name="Demo")
    browser = Client()
    browser.login(username="bob", password="pw-for-tests")
    assert browser.get("/api/v1/summaries/overview").status_code == 401


def test_static_files_come_from_whitenoise_not_a_url_route(db):
    """Verifies no URL pattern serves /static/ (Django's insecure view) and WhiteNoise serves the assets
    from the apps without warning about a static directory that was never collected."""
    with pytest.raises(Resolver404):
        resolve("/static/rest_framework/css/bootstrap.min.css")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A new Client loads the middleware, WhiteNoise's included, on its first request.
        response = Client().get("/static/rest_framework/css/bootstrap.min.css")
    assert [str(warning.message) for warning in caught] == []
    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
