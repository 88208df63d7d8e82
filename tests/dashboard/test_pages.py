"""The dashboard's pages over Django's test client: access, the URL's filters, CSV, the heatmap
endpoint, the membership command and page weight. The browser test (test_browser.py) covers what
a person sees."""

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from dashboard import display, services
from tests.api.conftest import SUPPORT_WEEK, ingest

PASSWORD = "correct horse battery"
WEEK = {"from": "2026-03-02", "to": "2026-03-09"}
PAGES = ("", "heatmap", "agents", "channels", "customers", "events", "live")


@pytest.fixture
def lead(workspace):
    user, _ = services.member_add(username="lead", workspace=workspace, password=PASSWORD)
    client = Client()
    assert client.login(username="lead", password=PASSWORD)
    return client


@pytest.fixture
def week(make_client, workspace):
    ingest(make_client(workspace, scopes=("ingest",)), SUPPORT_WEEK)
    return workspace


def test_pages_need_a_login_and_a_membership(client, lead, week, other_workspace):
    """Verifies that an anonymous visitor is sent to the login and that a member of acme gets a 404
    page for globex, every page of it, while acme's pages answer."""
    for page in PAGES:
        response = client.get(f"/w/acme/{page}")
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=/w/acme/"), page
        assert lead.get(f"/w/acme/{page}", WEEK).status_code == 200, page
        response = lead.get(f"/w/globex/{page}")
        assert response.status_code == 404 and b"Not found" in response.content, page
    assert lead.get("/w/globex/agents", {"format": "csv"}).status_code == 404
    assert lead.get("/").url == "/w/acme/"


def test_empty_filter_fields_are_dropped_by_a_redirect(lead, week):
    """Verifies that a submitted form with empty fields redirects to the URL without them."""
    response = lead.get("/w/acme/", {"from": "2026-03-02", "channel": "", "agent": "", "to": "2026-03-09"})
    assert response.status_code == 302 and response["Location"] == "/w/acme/?from=2026-03-02&to=2026-03-09"


def test_a_wrong_filter_is_a_400_page_naming_the_parameter(lead, week):
    """Verifies that a parameter the API refuses shows its message on an HTML 400 page."""
    response = lead.get("/w/acme/", {"from": "2026-13-01"})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert b"<code>from</code>" in response.content and b"2026-13-01" in response.content


def test_overview_shows_the_hand_computed_week_and_its_change(lead, week):
    """Verifies the overview's cards for the support week of tests/api/conftest.py: 4 conversations
    created against 1 the week before (+300.0%), the first response average of 330 s."""
    page = lead.get("/w/acme/", WEEK).content.decode()
    assert 'data-kpi="conversations_created" data-value="4"' in page
    assert "+300.0% <small>vs 1</small>" in page
    assert 'data-kpi="first_response.avg_seconds" data-value="330.0"' in page
    assert ">5m 30s<" in page
    assert 'data-live="open_now" data-value="2"' in page


def test_agents_csv_is_the_apis_csv_of_every_row(lead, week, make_client):
    """Verifies that the agents table's download and `?format=csv` of the API are the same bytes,
    every agent in the requested order, and that the API's JSON pages are unchanged."""
    reader = make_client(week, scopes=("read",))
    query = {**WEEK, "ordering": "-agent_replies", "format": "csv"}
    page_csv = lead.get("/w/acme/agents", query)
    api_csv = reader.get("/api/v1/summaries/agents", query)
    assert page_csv["Content-Disposition"] == 'attachment; filename="acme-agents-2026-03-02-2026-03-09.csv"'
    assert page_csv.content == api_csv.content
    rows = list(csv.DictReader(io.StringIO(api_csv.content.decode())))
    assert [(row["id"], row["agent_replies"], row["first_response_avg_seconds"]) for row in rows] == [
        ("a1", "1", "600.0"),
        ("a2", "1", "60.0"),
    ]
    assert rows[0]["resolution_p90_seconds"] != "" and rows[1]["conversations_created"] == "0"
    page = reader.get("/api/v1/summaries/agents", {**WEEK, "page_size": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1


def test_channels_csv_has_live_counters_and_errors_stay_json(week, make_client):
    """Verifies the channel CSV's columns and that a bad parameter with format=csv is the API's JSON 400."""
    reader = make_client(week, scopes=("read",))
    response = reader.get("/api/v1/summaries/channels", {**WEEK, "format": "csv"})
    header, *lines = response.content.decode().splitlines()
    assert header.endswith(",open_now,unassigned_now,unanswered_now")
    assert [line.split(",")[0] for line in lines] == ["chat", "email"]
    bad = reader.get("/api/v1/summaries/channels", {"from": "x", "format": "csv"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "from"


def test_heatmap_endpoint_counts_conversations_per_local_weekday_and_hour(week, make_client):
    """Verifies the heatmap: c1 (Mon 08:00 UTC), c2 (Mon 10:00), c3 (Tue 09:00), c4 (Tue 11:00);
    in Europe/Berlin an hour later; the email channel holds c1 and c3; 168 cells."""
    reader = make_client(week, scopes=("read",))

    def cells(**query):
        response = reader.get("/api/v1/summaries/heatmap", {**WEEK, **query})
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["cells"]) == 168
        return {
            (cell["weekday"], cell["hour"]): cell["conversations"] for cell in body["cells"] if cell["conversations"]
        }

    assert cells() == {(1, 8): 1, (1, 10): 1, (2, 9): 1, (2, 11): 1}
    assert cells(tz="Europe/Berlin") == {(1, 9): 1, (1, 11): 1, (2, 10): 1, (2, 12): 1}
    assert cells(channel="email") == {(1, 8): 1, (2, 9): 1}
    assert cells(agent="a1") == {}
    assert reader.get("/api/v1/summaries/heatmap", {"tz": "Mars/Olympus"}).json()["errors"][0]["field"] == "tz"


def test_pages_stay_under_300_kb(lead, week):
    """Verifies the transfer budget of every page (HTML; the stylesheet and script are a few KB)."""
    for page in PAGES[:-1]:
        assert len(lead.get(f"/w/acme/{page}", {**WEEK, "granularity": "hour"}).content) < 300_000, page


def test_members_command_adds_lists_and_removes(workspace, capsys):
    """Verifies manage.py members: a new login with a printed password can log in, list, remove."""
    call_command("members", "add", "ann", "--workspace", "acme", "--new-password")
    out = capsys.readouterr().out
    password = out.split("password: ")[1].strip()
    assert Client().login(username="ann", password=password)
    call_command("members", "list")
    assert capsys.readouterr().out == "acme\tann\n"
    call_command("members", "remove", "ann", "--workspace", "acme")
    assert "removed from acme" in capsys.readouterr().out
    assert services.member_remove(username="ann", workspace=workspace) is False


@pytest.mark.parametrize(
    ("current", "previous", "lower_is_better", "text", "good"),
    [
        (4, 1, False, "+300.0%", True),
        (1, 4, False, "-75.0%", False),
        (600.0, 300.0, True, "+100.0%", False),
        (3, 0, False, "new", True),
        (0, 0, False, "±0", None),
        (None, 300.0, True, "–", None),
    ],
)
def test_change_against_the_previous_period(current, previous, lower_is_better, text, good):
    """Verifies the change a card shows, and whether it is good news (a shorter time is)."""
    change = display.change(current, previous, lower_is_better=lower_is_better)
    assert (change["text"], change["good"]) == (text, good)


def test_durations_read_in_two_units():
    """Verifies how a duration is written."""
    assert [display.duration(value) for value in (None, 0.4, 42, 330, 7260, 200000)] == [
        "–",
        "0.4s",
        "42s",
        "5m 30s",
        "2h 1m",
        "2d 7h",
    ]


def test_make_run_prints_a_demo_login_that_opens_the_demo_dashboard(db, capsys):
    """Verifies ensure_demo (make run) prints a fresh password of the `demo` login, which then opens
    the demo workspace's dashboard (and the previous password stops working)."""
    passwords = []
    for _ in range(2):
        call_command("ensure_demo", url="http://127.0.0.1:8000")
        out = capsys.readouterr().out
        passwords.append(re.search(r"log in as `demo` with the password (\S+)", out).group(1))
    browser = Client()
    assert not browser.login(username="demo", password=passwords[0])
    assert browser.login(username="demo", password=passwords[1])
    assert browser.get("/").url == "/w/demo/"
    assert browser.get("/w/demo/").status_code == 200
