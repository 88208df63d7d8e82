"""A real headless browser for the dashboard's tests: Debian's Chromium and its driver
(`apt-get install chromium chromium-driver`; `make test` and .ci/run install them when missing,
scripts/ensure_browser), driven by Selenium. Never a browser downloaded at test time."""

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics import services, simulation
from analytics.serializers import EventSerializer

CHROMIUM = os.environ.get("TALLY_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TALLY_CHROMEDRIVER", "/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def browser_paths():
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: the dashboard tests need Debian's Chromium and its driver. Install "
            "them with `sudo apt-get install chromium chromium-driver` (make test does when run as root), or "
            "point TALLY_CHROMIUM and TALLY_CHROMEDRIVER at them."
        )
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def browser(browser_paths, tmp_path):
    """A headless Chromium whose downloads land in browser.download_dir."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = browser_paths
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1200"):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.download_dir = downloads
    yield driver
    driver.quit()


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """Where the browser test saves its screenshots: TALLY_SCREENSHOTS (`make screenshots` sets it
    to docs/img, the README's pictures), else a temporary folder."""
    target = os.environ.get("TALLY_SCREENSHOTS")
    path = ROOT / target if target else tmp_path / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def simulate(workspace, *, days: int, conversations: int, seed: int) -> int:
    """A realistic desk's history up to now, through the ingest path (manage.py simulate's)."""
    events = list(
        simulation.history(
            end=datetime.now(UTC), days=days, conversations=conversations, seed=seed, tz=workspace.timezone
        )
    )
    for start in range(0, len(events), 1000):
        serializer = EventSerializer(data=events[start : start + 1000], many=True)
        serializer.is_valid(raise_exception=True)
        services.events_ingest(workspace=workspace, events=serializer.validated_data)
    return len(events)
