"""The dashboard in a real headless Chromium against the app served by Django's live server on the
test database: what a support lead does on a morning, checked against the API's answers for the
same query. The screenshots it saves are the README's (`make screenshots`)."""

import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core.models import Workspace
from dashboard import services
from tests.dashboard.conftest import simulate
from tests.factories import add_business_schedules, add_sla_policies

PASSWORD = "correct horse battery"
FILTERS = ("from", "to", "tz", "channel", "agent", "business_hours")
pytestmark = pytest.mark.django_db(transaction=True)


def wait(browser, condition, timeout: float = 15):
    """Until condition(browser) is true; an element replaced by a page load in between is looked up again."""
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, timeout, ignored_exceptions=ignored).until(condition)


def element_text(browser, element_id: str) -> str:
    """The rendered text of the element with this id in the current document, or '' when it has none."""
    return browser.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.innerText : '';", element_id
    )


def wait_for_page(browser, test) -> None:
    """Until the URL passes test(url) and that page has loaded."""
    wait(
        browser,
        lambda driver: test(driver.current_url) and driver.execute_script("return document.readyState") == "complete",
    )


def log_in(browser, base: str, username: str) -> None:
    browser.get(f"{base}/")
    assert "/login/" in browser.current_url
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, ".login button[type=submit]").click()
    wait_for_page(browser, lambda url: "/login/" not in url)


def log_out(browser) -> None:
    browser.find_element(By.CSS_SELECTOR, ".who button").click()
    wait_for_page(browser, lambda url: "/login/" in url)


def page_query(browser, names=FILTERS) -> dict:
    return {name: value for name, value in parse_qsl(urlsplit(browser.current_url).query) if name in names}


def page_kpis(browser) -> dict[str, str]:
    return {
        element.get_attribute("data-kpi"): element.get_attribute("data-value")
        for element in browser.find_elements(By.CSS_SELECTOR, "[data-kpi]")
    }


def api_value(overview: dict, key: str):
    metric, _, figure = key.partition(".")
    return overview[metric][figure] if figure else overview[metric]


def assert_kpis_equal_api(browser, reader) -> dict:
    response = reader.get("/api/v1/summaries/overview", page_query(browser))
    assert response.status_code == 200, response.content
    overview = response.json()
    kpis = page_kpis(browser)
    assert set(kpis) == {
        "conversations_created",
        "resolutions",
        "agent_replies",
        *(
            f"{metric}.{figure}"
            for metric in ("first_response", "resolution", "reply_time")
            for figure in ("count", "avg_seconds", "p50_seconds", "p90_seconds")
        ),
        "csat.ratings",
        "csat.satisfied_share",
        "csat.response_rate",
        "sla.first_response_targeted",
        "sla.first_response_breaches",
        "sla.resolution_breaches",
    }
    for key, shown in kpis.items():
        expected = api_value(overview, key)
        assert (None if shown == "" else float(shown)) == expected, key
    for card in browser.find_elements(By.CSS_SELECTOR, ".card[data-kpi] > .change"):
        key = card.find_element(By.XPATH, "..").get_attribute("data-kpi")
        assert card.find_element(By.TAG_NAME, "small").text == f"vs {overview['previous'][key]:,}", key
    live = {
        element.get_attribute("data-live"): int(element.get_attribute("data-value"))
        for element in browser.find_elements(By.CSS_SELECTOR, "[data-live]")
    }
    names = ("open_now", "unassigned_now", "unanswered_now", "breaching_within_hour_now", "overdue_now")
    assert live == {name: overview[name] for name in names}
    return overview


def wait_for_download(folder, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [path for path in folder.iterdir() if path.suffix == ".csv"]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no CSV downloaded into {folder}: {list(folder.iterdir())}")


@pytest.fixture
def desk(db, make_client, settings):
    """acme (Europe/Berlin, business hours Monday to Friday 08:00-18:00, an SLA of 30 minutes to the
    first response and 8 business hours to resolution): 11 days of a simulated desk (so the previous
    week is partly empty), the login `lead` a member of it and of the empty `initech`; globex with
    its own desk and the login `other`, a member of globex only."""
    settings.TALLY_DASHBOARD_REFRESH_SECONDS = 1
    acme = Workspace.objects.create(slug="acme", name="Acme Shop", timezone="Europe/Berlin")
    weekdays = [(weekday, "08:00", "18:00") for weekday in range(1, 6)]
    add_business_schedules(acme, [("2000-01-01T00:00:00Z", "Europe/Berlin", weekdays, [])])
    add_sla_policies(acme, [("2000-01-01T00:00:00Z", (1800, False), (8 * 3600, True))])
    globex = Workspace.objects.create(slug="globex", name="Globex", timezone="UTC")
    initech = Workspace.objects.create(slug="initech", name="Initech", timezone="UTC")
    simulate(acme, days=11, conversations=300, seed=15)
    simulate(globex, days=3, conversations=20, seed=2)
    services.member_add(username="lead", workspace=acme, password=PASSWORD)
    services.member_add(username="lead", workspace=initech)
    services.member_add(username="other", workspace=globex, password=PASSWORD)
    return {"acme": acme, "reader": make_client(acme), "globex": globex}


def test_a_support_lead_reads_filters_watches_live_tiles_and_downloads_what_the_api_answers(
    live_server, browser, desk, screenshot_dir
):
    """Verifies the dashboard in a browser: login, KPIs equal to the API's, range and channel filters
    kept in the URL, a live tile that changes without a reload, a sorted agent table whose CSV is the
    API's, the heatmap, the empty state's curl, and that another workspace's login sees nothing of it."""
    base, reader = live_server.url, desk["reader"]
    log_in(browser, base, "lead")
    assert urlsplit(browser.current_url).path == "/w/acme/"
    overview = assert_kpis_equal_api(browser, reader)
    assert overview["conversations_created"] > 0 and overview["previous"]["conversations_created"] > 0
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
    browser.save_screenshot(str(screenshot_dir / "overview.png"))

    # A wider range from the shortcuts, then one channel: both land in the URL.
    browser.find_element(By.LINK_TEXT, "30 days").click()
    wait_for_page(browser, lambda url: "from=" in url)
    thirty = assert_kpis_equal_api(browser, reader)
    assert thirty["conversations_created"] >= overview["conversations_created"]
    browser.find_element(By.CSS_SELECTOR, "select[name=channel] option[value=email]").click()
    wait_for_page(browser, lambda url: "channel=email" in url)
    query = page_query(browser)
    assert query["channel"] == "email" and query["from"] == thirty["from"][:10]
    email = assert_kpis_equal_api(browser, reader)
    assert 0 < email["conversations_created"] < thirty["conversations_created"]
    browser.get(browser.current_url)  # the link alone shows the same view
    assert_kpis_equal_api(browser, reader)
    assert email["sla"]["first_response_targeted"] > 0

    # Business hours: the switch reloads the page with business_hours=true in the URL; the duration
    # cards are the API's business-time figures, the counts unchanged; switched off again after.
    browser.find_element(By.CSS_SELECTOR, "input[name=business_hours]").click()
    wait_for_page(browser, lambda url: "business_hours=true" in url)
    business = assert_kpis_equal_api(browser, reader)
    assert business["conversations_created"] == email["conversations_created"]
    assert business["first_response"]["avg_seconds"] != email["first_response"]["avg_seconds"]
    assert "First response time (business hours)" in browser.find_element(By.CSS_SELECTOR, ".kpis").text
    browser.find_element(By.CSS_SELECTOR, "input[name=business_hours]").click()
    wait_for_page(browser, lambda url: "business_hours" not in url)

    # A new email conversation shows in the open tile within a refresh, with no page load.
    browser.execute_script("window.tallyUnreloaded = true;")
    tile = browser.find_element(By.CSS_SELECTOR, "[data-live=open_now]")
    before = int(tile.get_attribute("data-value"))
    now = datetime.now(UTC) - timedelta(minutes=1)
    event = {
        "id": "dashboard-live-1",
        "name": "conversation.created",
        "occurred_at": now.isoformat(),
        "conversation_id": "dashboard-live-1",
        "channel": "email",
    }
    assert reader.post("/api/v1/events/", event, format="json").status_code == 201
    wait(browser, lambda _: int(tile.get_attribute("data-value")) == before + 1)
    assert tile.find_element(By.CSS_SELECTOR, ".value").text == str(before + 1)
    assert browser.execute_script("return window.tallyUnreloaded === true;")

    # Agents, sorted by resolutions (largest first), and the CSV of exactly that table.
    browser.find_element(By.LINK_TEXT, "Agents").click()
    wait_for_page(browser, lambda url: "/agents" in url)
    assert page_query(browser) == query
    browser.find_element(By.CSS_SELECTOR, "th a[data-column=resolutions]").click()
    wait_for_page(browser, lambda url: "ordering=-resolutions" in url)
    headers = [link.get_attribute("data-column") for link in browser.find_elements(By.CSS_SELECTOR, "th a")]
    column = headers.index("resolutions") + 1
    cells = browser.find_elements(By.CSS_SELECTOR, f"#agents-table tbody td:nth-child({column})")
    resolutions = [int(cell.get_attribute("data-value")) for cell in cells]
    assert len(resolutions) == 20 and resolutions == sorted(resolutions, reverse=True) and resolutions[0] > 0
    link = browser.find_element(By.ID, "csv")
    link.click()
    downloaded = wait_for_download(browser.download_dir).read_bytes()
    api = reader.get("/api/v1/summaries/agents", dict(parse_qsl(urlsplit(link.get_attribute("href")).query)))
    assert api.status_code == 200 and api["Content-Type"].startswith("text/csv")
    assert downloaded == api.content
    lines = downloaded.decode().splitlines()
    assert len(lines) == 21 and lines[0].startswith("id,name,conversations_created,")
    assert [int(line.split(",")[6]) for line in lines[1:]] == resolutions
    browser.get(f"{base}/w/acme/agents?ordering=-agent_replies")
    browser.save_screenshot(str(screenshot_dir / "agents.png"))

    # The new conversation labeled billing and vip: the Labels page, reached from the navigation,
    # lists what the API lists for its query.
    for number, label in enumerate(("vip", "billing")):
        labeled = {**event, "id": f"dashboard-label-{number}", "name": "conversation.labeled"}
        sent = reader.post("/api/v1/events/", {**labeled, "properties": {"label": label}}, format="json")
        assert sent.status_code == 201
    browser.find_element(By.LINK_TEXT, "Labels").click()
    wait_for_page(browser, lambda url: "/labels" in url)
    cells = browser.find_elements(By.CSS_SELECTOR, "#labels-table tbody td:first-child")
    api = reader.get("/api/v1/summaries/labels", page_query(browser)).json()["results"]
    assert [cell.get_attribute("data-value") for cell in cells] == [row["id"] for row in api] == ["billing", "vip"]
    assert [row["conversations_created"] for row in api] == [1, 1]

    # The heatmap of the default week equals the API's.
    browser.get(f"{base}/w/acme/heatmap")
    cells = {
        (int(cell.get_attribute("data-weekday")), int(cell.get_attribute("data-hour"))): int(
            cell.get_attribute("data-value")
        )
        for cell in browser.find_elements(By.CSS_SELECTOR, "#heatmap td[data-weekday]")
    }
    api = reader.get("/api/v1/summaries/heatmap").json()
    assert cells == {(cell["weekday"], cell["hour"]): cell["conversations"] for cell in api["cells"]}
    assert sum(cells.values()) == overview["conversations_created"] + 1
    browser.save_screenshot(str(screenshot_dir / "heatmap.png"))

    # An empty workspace shows how to send the first event, with a real token; the curl works.
    browser.get(f"{base}/w/initech/")
    assert browser.find_elements(By.ID, "empty-state")
    browser.find_element(By.CSS_SELECTOR, "#empty-state form button").click()
    # The form's POST replaces the page: the text is read in one script call, which a node swapped out
    # between the lookup and the read cannot fail (Chromium's "does not belong to the document").
    wait(browser, lambda driver: "tly_" in element_text(driver, "first-event"))
    browser.save_screenshot(str(screenshot_dir / "empty.png"))
    curl = browser.find_element(By.ID, "first-event").text
    assert re.search(r"Token tly_\S+\"", curl)
    sent = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    assert sent.stdout == '{"accepted":1,"duplicates":0}', sent
    browser.get(f"{base}/w/initech/")
    assert not browser.find_elements(By.ID, "empty-state")
    assert page_kpis(browser)["conversations_created"] == "1"

    # Another workspace's login lands on its own workspace and cannot open acme.
    log_out(browser)
    log_in(browser, base, "other")
    assert urlsplit(browser.current_url).path == "/w/globex/"
    assert "Acme" not in browser.page_source
    for path in ("/w/acme/", "/w/acme/agents?format=csv", "/w/acme/live", "/w/initech/"):
        browser.get(f"{base}{path}")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Not found", path
        assert "Acme" not in browser.page_source
