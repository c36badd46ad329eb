"""A headless Chromium for the browser tests and the small waits and reads they share.

Skips only where Debian's chromium and chromium-driver are not installed; CI installs them
and sets BROADSHEET_REQUIRE_BROWSER=1, which turns a skip into a failure. The `browser`
fixture in conftest.py starts one per test module through `headless_chromium`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,900",
)


@contextmanager
def headless_chromium() -> Iterator[WebDriver]:
    """A headless Chromium driven by chromedriver, quit on exit; skips (or fails, where
    BROADSHEET_REQUIRE_BROWSER=1) when either is not installed."""
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("BROADSHEET_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromedriver are required (BROADSHEET_REQUIRE_BROWSER=1)")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


def wait_for(
    browser: WebDriver, condition: Callable[[WebDriver], object], timeout: float = 10
) -> None:
    """Wait until ``condition(driver)`` is true."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(condition)


def heading(browser: WebDriver) -> str:
    """The page's one h1."""
    from selenium.webdriver.common.by import By

    headings = browser.find_elements(By.TAG_NAME, "h1")
    assert len(headings) == 1
    return headings[0].text


def severe_console_messages(browser: WebDriver) -> list[str]:
    """Console errors since the last call (CSP violations, failed loads, script errors)."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
