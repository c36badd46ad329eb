"""The search page in a real headless Chromium, served by a real gunicorn.

Skips only where Debian's chromium and chromium-driver are not installed; CI
installs them and sets BROADSHEET_REQUIRE_BROWSER=1, which turns a skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from servers import gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("BROADSHEET_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromedriver are required (BROADSHEET_REQUIRE_BROWSER=1)")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from conftest import ARTICLES, build_from

    index_dir = build_from([ARTICLES], tmp_path_factory.mktemp("browser") / "ix")
    with gunicorn(index_dir, workers=1) as base:
        yield base


def test_typing_a_query_shows_highlighted_results(browser, base_url: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(base_url + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("election", Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda driver: "q=election" in driver.current_url)
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading.startswith("2 results")
    marks = browser.find_elements(By.CSS_SELECTOR, "ol.hits mark")
    assert marks and all(mark.text.lower().startswith("elect") for mark in marks)


def test_clicking_a_facet_narrows_the_results(browser, base_url: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(base_url + "/?q=")
    link = next(a for a in browser.find_elements(By.CSS_SELECTOR, ".facet a") if "Sport" in a.text)
    link.click()
    WebDriverWait(browser, 10).until(lambda driver: "tag=Sport" in driver.current_url)
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("1 result")
    assert "tag=Sport" in browser.current_url


def test_no_horizontal_scroll_at_360px(browser, base_url: str) -> None:  # noqa: ANN001
    browser.set_window_size(360, 800)
    try:
        browser.get(base_url + "/?q=budget")
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        browser.set_window_size(1200, 900)
