"""The results sidebar's characteristic terms in a real headless Chromium over a real
gunicorn: the list is fetched from /api/terms, a click refines the search, and without
scripts the "Show" link has the server list them. Saves a screenshot of the sidebar to
var/screenshots/terms-sidebar.png (gitignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from browser_helpers import severe_console_messages, wait_for
from indexer import build_index
from servers import gunicorn
from support import REPO, terms_archive

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCREENSHOT = REPO / "var" / "screenshots" / "terms-sidebar.png"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = Path(tmp_path_factory.mktemp("terms")) / "ix"
    build_index(terms_archive(), folder)
    with gunicorn(folder, workers=1) as base:
        yield base


def listed_terms(browser: WebDriver) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('#terms .terms-list a')].map(a => a.textContent)"
    )


def test_the_sidebar_lists_terms_and_a_click_refines_the_search(
    browser: WebDriver, base_url: str
) -> None:
    browser.set_window_size(1280, 900)
    browser.get(base_url + "/?q=strike&collapse=0")
    wait_for(browser, lambda driver: listed_terms(driver))
    terms = listed_terms(browser)
    assert {"dockworkers", "Rotterdam", "container terminal"} <= set(terms)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.find_element("css selector", "#terms").screenshot(str(SCREENSHOT))
    browser.find_element("link text", "container terminal").click()
    wait_for(browser, lambda driver: "terminal" in driver.current_url)
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query["q"] == ['strike "container terminal"']
    assert "container terminal" in browser.find_element("css selector", "#q").get_attribute("value")
    assert severe_console_messages(browser) == []


def test_without_scripts_the_server_lists_the_terms(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + "/?q=strike&collapse=0&terms=1")
    items = browser.execute_script(
        "return [...document.querySelectorAll('#terms .terms-list li')].map(li => li.textContent)"
    )
    assert any("dockworkers" in item for item in items)
