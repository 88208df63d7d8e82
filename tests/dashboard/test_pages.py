"""The dashboard's pages over Django's test client: access, the URL's filters, CSV, the heatmap
endpoint, the membership command and page weight. The browser test (test_browser.py) covers what
a person sees."""

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from analytics.business.models import SlaPolicy
from analytics.figures_csv import flat
from dashboard import display, services
from dashboard import views as dashboard_views
from tests.analytics.test_business_hours import EVENTS as BUSINESS_EVENTS
from tests.analytics.test_business_hours import SCHEDULE as BUSINESS_SCHEDULE
from tests.analytics.test_label_figures import EVENTS as LABEL_EVENTS
from tests.analytics.test_team_figures import EVENTS as TEAM_EVENTS
from tests.api.conftest import SUPPORT_WEEK, conversation, ingest
from tests.api.test_csat_and_reply_time_reads import QUALITY_EVENTS
from tests.factories import add_business_schedules, add_sla_policies

PASSWORD = "correct horse battery"
WEEK = {"from": "2026-03-02", "to": "2026-03-09"}
PAGES = ("", "heatmap", "agents", "channels", "teams", "labels", "customers", "events", "live")


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


def table_columns(page: str) -> list[str]:
    return re.findall(r'<th[^>]*><a href="[^"]*" data-column="([^"]+)"', page)


def table_rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr><td data-value="([^"]*)"', body)


def test_tables_show_every_column_of_the_csv_and_page_their_rows(lead, week, make_client, monkeypatch):
    """Verifies that the agents and channels tables have exactly the CSV's columns (reply time and
    CSAT included), that a page holds TABLE_ROWS rows with links to the others while the CSV keeps
    every row, and that a page beyond the last is a 400 naming page."""
    for page in ("agents", "channels"):
        html = lead.get(f"/w/acme/{page}", WEEK).content.decode()
        header = lead.get(f"/w/acme/{page}", {**WEEK, "format": "csv"}).content.decode().splitlines()[0]
        assert table_columns(html) == header.split(","), page
    monkeypatch.setattr(dashboard_views, "TABLE_ROWS", 1)
    first = lead.get("/w/acme/agents", {**WEEK, "ordering": "-agent_replies"}).content.decode()
    assert table_rows(first) == ["a1"] and "rows 1-1 of 2" in first
    assert 'rel="next" href="?from=2026-03-02&amp;to=2026-03-09&amp;ordering=-agent_replies&amp;page=2"' in first
    second = lead.get("/w/acme/agents", {**WEEK, "ordering": "-agent_replies", "page": 2}).content.decode()
    assert table_rows(second) == ["a2"] and 'rel="prev"' in second and 'rel="next"' not in second
    assert 'format=csv"' in second and "page=2&amp;format=csv" not in second
    every = lead.get("/w/acme/agents", {**WEEK, "page": 2, "format": "csv"}).content.decode().splitlines()
    assert [line.split(",")[0] for line in every[1:]] == ["a1", "a2"]
    beyond = lead.get("/w/acme/agents", {**WEEK, "page": 3})
    assert beyond.status_code == 400 and b"<code>page</code>" in beyond.content


def test_table_headers_link_to_each_sorting_keeping_the_query(lead, week):
    """Verifies the agents table's header links: the sorted column is marked and its link reverses
    the order; another figure sorts largest first, a name A to Z; the filters stay (escaped), the
    page and the format do not."""
    query = {**WEEK, "tz": "Europe/Berlin", "agent": 'a"<&', "ordering": "-agent_replies", "page": 1}
    html = lead.get("/w/acme/agents", query).content.decode()
    kept = "from=2026-03-02&amp;to=2026-03-09&amp;tz=Europe%2FBerlin&amp;agent=a%22%3C%26"
    assert (
        f'<th aria-sort="descending"><a href="?{kept}&amp;ordering=agent_replies" data-column="agent_replies">'
        "agent replies ▼</a></th>"
    ) in html
    assert f'<th><a href="?{kept}&amp;ordering=-resolutions" data-column="resolutions">resolutions</a></th>' in html
    assert f'<th><a href="?{kept}&amp;ordering=name" data-column="name">name</a></th>' in html
    assert (
        f'<a href="?{kept}&amp;ordering=-first_response_p50_seconds" data-column="first_response_p50_seconds">'
        "first response p50</a>"
    ) in html
    ascending = lead.get("/w/acme/agents", {"ordering": "name"}).content.decode()
    assert '<th aria-sort="ascending"><a href="?ordering=-name" data-column="name">name ▲</a></th>' in ascending


def test_table_cells_are_the_apis_figures_as_display_writes_them(lead, week, make_client):
    """Verifies every cell of the agents and channels tables: data-value is the figure of the API's
    JSON row for the cell's column (null as empty), and the text is display's for that column."""
    reader = make_client(week, scopes=("read",))
    for page in ("agents", "channels"):
        html = lead.get(f"/w/acme/{page}", {**WEEK, "ordering": "id"}).content.decode()
        columns = table_columns(html)
        body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        rows = [re.findall(r'<td data-value="([^"]*)">([^<]*)</td>', row) for row in body.split("</tr>")[:-1]]
        api = reader.get(f"/api/v1/summaries/{page}", {**WEEK, "ordering": "id"}).json()["results"]
        assert len(rows) == len(api) == 2, page
        for cells, figures in zip(rows, api, strict=True):
            figures = flat(figures)
            for column, (value, shown) in zip(columns, cells, strict=True):
                expected = figures[column]
                assert value == ("" if expected is None else str(expected)), (page, column)
                if column in ("id", "name"):
                    assert shown == (expected or ""), (page, column)
                elif column.endswith("_seconds"):
                    assert shown == display.duration(expected), (page, column)
                elif column.endswith(("_share", "_rate")):
                    assert shown == display.share(expected), (page, column)
                else:
                    assert shown == display.count(expected), (page, column)


def test_names_are_escaped_in_tables_and_pickers(lead, week, make_client):
    """Verifies that an agent's name with markup shows as text in the agents table and the agent
    picker, never as markup."""
    name = '<b>"Ann" & co</b>'
    agent = conversation("assigned", "c9-assigned", "c9", "2026-03-04T08:00:00Z", "email", agent="a9")
    ingest(make_client(week, scopes=("ingest",)), [{**agent, "agent": {"id": "a9", "name": name}}])
    escaped = "&lt;b&gt;&quot;Ann&quot; &amp; co&lt;/b&gt;"
    html = lead.get("/w/acme/agents", WEEK).content.decode()
    assert f'<td data-value="{escaped}">{escaped}</td>' in html
    assert f'<option value="a9">{escaped}</option>' in html
    assert name not in html


def test_heatmap_page_shows_the_endpoints_cells(lead, week, make_client):
    """Verifies the heatmap page against GET /api/v1/summaries/heatmap with the same query: every
    cell's weekday, hour and count, and each weekday's total."""
    reader = make_client(week, scopes=("read",))
    query = {**WEEK, "tz": "Europe/Berlin"}
    html = lead.get("/w/acme/heatmap", query).content.decode()
    cells = re.findall(r'data-weekday="(\d)" data-hour="(\d+)" data-value="(\d+)"[^>]*>(\d+)</td>', html)
    api = reader.get("/api/v1/summaries/heatmap", query).json()["cells"]
    assert [(int(d), int(h), int(v)) for d, h, v, _ in cells] == [
        (cell["weekday"], cell["hour"], cell["conversations"]) for cell in api
    ]
    assert all(value == shown for _, _, value, shown in cells)
    totals = re.findall(r'<td class="total">(\d+)</td>', html)
    assert totals == ["2", "2", "0", "0", "0", "0", "0"]
    assert 'title="Mon 9:00: 1"' in html


def test_a_page_shows_the_users_workspaces_and_the_choices_of_its_own(lead, week, other_workspace, make_client):
    """Verifies, for a member of acme and globex, that every page lists both workspaces, that each
    workspace's picker lists its own channels and agents only, and that globex's overview shows the
    empty state until its first event."""
    services.member_add(username="lead", workspace=other_workspace)
    empty = lead.get("/w/globex/").content.decode()
    assert "Globex has no events yet" in empty and "Acme" in empty
    event = conversation("assigned", "g9-assigned", "g9", "2026-03-04T08:00:00Z", "sms", agent="gx")
    ingest(make_client(other_workspace, scopes=("ingest",)), [event])
    globex = lead.get("/w/globex/", WEEK).content.decode()
    assert "has no events yet" not in globex and 'data-kpi="conversations_created"' in globex
    acme = lead.get("/w/acme/agents", WEEK).content.decode()
    for page, own, others in ((acme, ("email", "chat", "a1", "a2"), ("sms", "gx")), (globex, ("sms", "gx"), ("a1",))):
        assert all(f'<option value="{value}"' in page for value in own)
        assert not any(f'<option value="{value}"' in page for value in others)
        assert 'href="/w/acme/">Acme' in page and 'href="/w/globex/">Globex' in page


@pytest.mark.parametrize(
    ("page", "figure_queries"),
    [
        ("", 2),
        ("heatmap", 1),
        ("agents", 2),
        ("channels", 2),
        ("teams", 2),
        ("customers", 0),
        ("events", 5),
        ("live", 1),
    ],
)
def test_a_page_reads_the_workspaces_choices_and_events_in_one_query(lead, week, page, figure_queries):
    """Verifies a page's queries besides its figures: the session, the user, and one for the
    user's workspaces, the filter choices and (the overview) whether there are events."""
    with CaptureQueriesContext(connection) as queries:
        assert lead.get(f"/w/acme/{page}", WEEK).status_code == 200
    assert len(queries) == 3 + figure_queries, [query["sql"][:80] for query in queries]


def test_teams_page_is_the_apis_teams_list_without_channel_or_agent(lead, workspace, make_client):
    """Verifies the Teams page: the CSV's columns, a row per team (no team last, shown as such),
    the download equal to the API's CSV, no channel or agent filter in its form, and a link that
    carries a channel landing on the page without it."""
    client = make_client(workspace, scopes=("ingest", "read"))
    ingest(client, TEAM_EVENTS)
    query = {"from": "2026-03-10", "to": "2026-03-11"}
    page = lead.get("/w/acme/teams", query).content.decode()
    header = lead.get("/w/acme/teams", {**query, "format": "csv"}).content.decode().splitlines()[0]
    assert table_columns(page) == header.split(",")
    assert table_rows(page) == ["t1", "t2", ""] and ">(no team)<" in page
    assert 'name="channel"' not in page and 'name="agent"' not in page
    csv_bytes = lead.get("/w/acme/teams", {**query, "ordering": "-conversations_created", "format": "csv"}).content
    assert (
        csv_bytes
        == client.get(
            "/api/v1/summaries/teams", {**query, "ordering": "-conversations_created", "format": "csv"}
        ).content
    )
    response = lead.get("/w/acme/teams", {**query, "channel": "chat", "agent": "a1"})
    assert response.status_code == 302 and response["Location"] == "/w/acme/teams?from=2026-03-10&to=2026-03-11"


def test_labels_page_is_the_apis_labels_list_without_channel_or_agent(lead, workspace, make_client):
    """Verifies the Labels page: the CSV's columns, a row per label (none for conversations without
    one), the download equal to the API's CSV, no channel or agent filter in its form, a link that
    carries a channel landing on the page without it, and the navigation marking it current."""
    client = make_client(workspace, scopes=("ingest", "read"))
    ingest(client, LABEL_EVENTS)
    query = {"from": "2026-03-10", "to": "2026-03-11"}
    page = lead.get("/w/acme/labels", query).content.decode()
    header = lead.get("/w/acme/labels", {**query, "format": "csv"}).content.decode().splitlines()[0]
    assert table_columns(page) == header.split(",")
    assert table_rows(page) == ["billing", "bug", "vip"]
    assert 'name="channel"' not in page and 'name="agent"' not in page
    assert 'aria-current="page">Labels</a>' in page
    csv_bytes = lead.get("/w/acme/labels", {**query, "ordering": "-csat_ratings", "format": "csv"}).content
    api = client.get("/api/v1/summaries/labels", {**query, "ordering": "-csat_ratings", "format": "csv"})
    assert csv_bytes == api.content
    assert [line.split(",")[0] for line in csv_bytes.decode().splitlines()[1:]] == ["billing", "vip", "bug"]
    response = lead.get("/w/acme/labels", {**query, "channel": "chat"})
    assert response.status_code == 302 and response["Location"] == "/w/acme/labels?from=2026-03-10&to=2026-03-11"


def test_overview_shows_reply_time_and_csat_against_the_previous_period(lead, week, make_client):
    """Verifies the reply time and CSAT cards of the rated week (waits of 1800 and 60 s: average
    930 s, p50 300 s; c1's latest rating 5 and c2's 2: 50% satisfied, 2 ratings for 2 resolutions)
    against an empty previous week, and the chart of the satisfied share per day."""
    ingest(make_client(week, scopes=("ingest",)), QUALITY_EVENTS)
    page = lead.get("/w/acme/", WEEK).content.decode()
    assert 'data-kpi="reply_time.count" data-value="2"' in page and "2 replies" in page
    assert 'data-kpi="reply_time.avg_seconds" data-value="930.0"' in page and ">15m 30s<" in page
    assert 'data-kpi="reply_time.p50_seconds" data-value="300.0"' in page
    assert 'data-kpi="csat.ratings" data-value="2"' in page and "2 ratings" in page
    assert 'data-kpi="csat.satisfied_share" data-value="0.5"' in page and ">50%<" in page
    assert 'data-kpi="csat.response_rate" data-value="1.0"' in page and "+100 pts <small>vs 0%</small>" in page
    chart = lead.get("/w/acme/", {**WEEK, "metric": "csat_satisfied_share", "granularity": "day"}).content.decode()
    assert "Mon 02 Mar: 50%" in chart and ">100%<" in chart


def test_events_page_lists_the_catalogue_with_its_figures_and_search(lead, workspace, make_client):
    """Verifies the events page's catalogue: a defined name with its category and declared
    property, an observed-only name, their lifetime counts, links to each name's chart, and the
    search narrowing them as the API's search does."""
    admin = make_client(workspace, scopes=("ingest", "read", "catalogue"))
    definition = {
        "name": "cta click",
        "description": "A call to action",
        "category": "page interaction",
        "properties": [{"key": "page", "kind": "dimension"}],
    }
    assert admin.post("/api/v1/catalogue/events/", definition, "json").status_code == 201
    events = [
        {"id": f"p{n}", "name": name, "occurred_at": "2026-03-02T09:00:00Z", "properties": {"page": "/"}}
        for n, name in enumerate(["cta click", "cta click", "signup"])
    ]
    ingest(admin, events)
    page = lead.get("/w/acme/events", WEEK).content.decode()
    rows = dict(re.findall(r'<tr data-name="([^"]+)">(.*?)</tr>', page))
    assert set(rows) == {"cta click", "signup"}
    assert "<td>yes</td><td>page interaction</td><td>A call to action</td><td>page</td>" in rows["cta click"]
    assert '<td data-value="2">2</td>' in rows["cta click"] and "<td>2026-03-02 09:00</td>" in rows["cta click"]
    assert "<td>observed only</td>" in rows["signup"] and '<td data-value="1">1</td>' in rows["signup"]
    assert 'href="?from=2026-03-02&amp;to=2026-03-09&amp;name=cta+click"' in rows["cta click"]
    berlin = lead.get("/w/acme/events", {**WEEK, "tz": "Europe/Berlin"}).content.decode()
    assert "<td>2026-03-02 10:00</td>" in berlin
    found = lead.get("/w/acme/events", {**WEEK, "search": "INTERACTION"}).content.decode()
    assert re.findall(r'<tr data-name="([^"]+)">', found) == ["cta click"] and "1 name matching" in found


def test_channels_csv_has_live_counters_and_errors_stay_json(week, make_client):
    """Verifies the channel CSV's columns and that a bad parameter with format=csv is the API's JSON 400."""
    reader = make_client(week, scopes=("read",))
    response = reader.get("/api/v1/summaries/channels", {**WEEK, "format": "csv"})
    header, *lines = response.content.decode().splitlines()
    assert header.endswith(",open_now,unassigned_now,unanswered_now,breaching_within_hour_now,overdue_now")
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


@pytest.fixture
def business_desk(make_client, workspace):
    """The business-hours desk of tests/analytics/test_business_hours.py (Monday to Friday 09:00-19:00
    Berlin, Tuesday 10 March a holiday) with an SLA policy: first response within 1 hour of calendar
    time, resolution within 2 hours of business time."""
    add_business_schedules(workspace, BUSINESS_SCHEDULE)
    add_sla_policies(workspace, [("2000-01-01T00:00:00Z", (3600, False), (7200, True))])
    ingest(make_client(workspace, scopes=("ingest",)), BUSINESS_EVENTS)
    return workspace


def kpi(page: str, key: str) -> str:
    found = re.search(rf'data-kpi="{re.escape(key)}" data-value="([^"]*)"', page)
    assert found, key
    return found.group(1)


def test_business_hours_switch_the_overview_and_tables_as_the_api_does(lead, business_desk, make_client):
    """Verifies the business-hours switch: its checkbox is in the overview's and tables' forms (the
    teams' too), checked when on, and kept by the range links; the overview's first response
    average is the hand-computed business time (600, 1,800 and 22,200 s: 8,200 s) with it and the
    calendar time (223,800, 167,400 and 159,000 s: 183,400 s) without, reply time unchanged; and
    the agents table and its CSV are the API's with business_hours=true, as is the teams table."""
    query = {"from": "2026-03-06", "to": "2026-03-12", "tz": "UTC"}
    calendar = lead.get("/w/acme/", query).content.decode()
    business = lead.get("/w/acme/", {**query, "business_hours": "true"}).content.decode()
    assert 'name="business_hours" value="true" data-autosubmit>' in calendar
    assert 'name="business_hours" value="true" data-autosubmit checked>' in business
    assert kpi(calendar, "first_response.avg_seconds") == "183400.0"
    assert kpi(business, "first_response.avg_seconds") == "8200.0"
    assert "First response time (business hours)" in business and "Reply time (business hours)" not in business
    assert "First response time (business hours)" not in calendar
    assert kpi(business, "reply_time.avg_seconds") == kpi(calendar, "reply_time.avg_seconds")
    assert "business_hours=true" in re.search(r'<span class="ranges">.*?</span>', business).group(0)
    reader = make_client(business_desk, scopes=("read",))
    api = reader.get("/api/v1/summaries/overview", {**query, "business_hours": "true"}).json()
    assert float(kpi(business, "resolution.avg_seconds")) == api["resolution"]["avg_seconds"] == 14550.0
    table_query = {**query, "business_hours": "true", "ordering": "id"}
    table = lead.get("/w/acme/agents", table_query).content.decode()
    assert 'name="business_hours" value="true" data-autosubmit checked>' in table
    rows = reader.get("/api/v1/summaries/agents", table_query).json()["results"]
    assert [row["first_response"]["avg_seconds"] for row in rows] == [11400.0, 1800.0]
    cells = re.findall(r'<td data-value="([^"]*)"', table.split("<tbody>", 1)[1])
    assert "11400.0" in cells and "1800.0" in cells and "223800.0" not in cells
    page_csv = lead.get("/w/acme/agents", {**table_query, "format": "csv"}).content
    assert page_csv == reader.get("/api/v1/summaries/agents", {**table_query, "format": "csv"}).content
    assert b"11400.0" in page_csv
    teams = lead.get("/w/acme/teams", {**query, "business_hours": "true"}).content.decode()
    assert 'name="business_hours" value="true" data-autosubmit checked>' in teams
    # No conversation of this desk has a team: one row (no team) with the overview's business average.
    assert "8200.0" in re.findall(r'<td data-value="([^"]*)"', teams.split("<tbody>", 1)[1])


def test_overview_shows_sla_breaches_and_live_sla_tiles_only_with_a_policy(lead, business_desk, make_client):
    """Verifies the SLA card and tiles: with a policy, first response breaches 3 of 3 (every wait
    is over an hour) and resolution breaches 1 of 2 (c3's 25,200 business seconds; c1's 3,900
    are within 7,200), c2's pending resolution overdue, as the API's overview says, and the live
    endpoint carries the SLA counters; a workspace without a policy shows neither."""
    query = {"from": "2026-03-06", "to": "2026-03-12", "tz": "UTC"}
    page = lead.get("/w/acme/", query).content.decode()
    assert kpi(page, "sla.first_response_breaches") == "3" and ">3 of 3<" in page
    assert kpi(page, "sla.resolution_breaches") == "1" and ">1 of 2<" in page
    api = make_client(business_desk, scopes=("read",)).get("/api/v1/summaries/overview", query).json()
    assert (api["sla"]["first_response_breaches"], api["sla"]["resolution_breaches"]) == (3, 1)
    assert 'data-live="overdue_now" data-value="1"' in page
    assert 'data-live="breaching_within_hour_now" data-value="0"' in page
    assert api["overdue_now"] == 1 and api["breaching_within_hour_now"] == 0
    assert lead.get("/w/acme/live", query).json()["overdue_now"] == 1
    SlaPolicy.objects.filter(workspace=business_desk).delete()
    page = lead.get("/w/acme/", query).content.decode()
    assert 'data-kpi="sla.' not in page and 'data-live="overdue_now"' not in page
    assert 'data-live="open_now"' in page
