"""The web UI in a real headless Chromium, served by a real gunicorn.

The headless Chromium is the `browser` fixture (conftest.py, tests/browser_helpers.py).
Screenshots go to var/test-artifacts/ (gitignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from browser_helpers import heading, severe_console_messages, wait_for
from servers import gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[1] / "var" / "test-artifacts"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn (with gunicorn.conf.py) over the extended test index."""
    from support import build_webui_index

    folder = tmp_path_factory.mktemp("browser")
    index_dir = build_webui_index(folder / "ix")
    env = {"BROADSHEET_ACCESS_LOG": str(folder / "access.log")}
    with gunicorn(index_dir, workers=1, extra_env=env) as base:
        yield base


def full_page_screenshot(browser: WebDriver, width: int, path: Path) -> None:
    """Save the whole page as seen in a viewport ``width`` CSS pixels wide."""
    browser.set_window_size(width, 900)
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    metrics["height"] = min(int(height), 6000)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        assert browser.save_screenshot(str(path))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_hotkey_query_and_autocomplete(browser: WebDriver, base_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(base_url + "/")
    box = browser.find_element(By.ID, "q")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("/")
    assert browser.switch_to.active_element == box
    box.send_keys("elec")
    wait_for(
        browser,
        lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('#q-suggestions option'))"
            ".map(o => o.value)"
        ),
    )
    options = browser.execute_script(
        "return Array.from(document.querySelectorAll('#q-suggestions option')).map(o => o.value)"
    )
    assert "election" in options
    box.send_keys(Keys.ESCAPE)
    assert browser.switch_to.active_element != box
    box.clear()
    box.send_keys("election")
    box.submit()  # Enter may first close the suggestion popup
    wait_for(browser, lambda d: "q=election" in d.current_url)
    assert heading(browser).startswith("5 results")
    marks = browser.find_elements(By.CSS_SELECTOR, "ol.hits mark")
    assert marks and all(mark.text.lower().startswith("elect") for mark in marks)
    assert severe_console_messages(browser) == []


def test_facets_sort_pages_article_and_related(browser: WebDriver, base_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(base_url + "/?q=election&per_page=1")

    def toggle(legend: str, value: str) -> None:
        label = browser.find_element(
            By.XPATH,
            f"//fieldset[legend='{legend}']//label[span[@class='name'][normalize-space()='{value}']]",
        )
        old = browser.current_url
        label.click()
        wait_for(browser, lambda d: d.current_url != old)

    toggle("Tags", "Elections")
    toggle("Source", "Morning Post")
    assert "tag=Elections" in browser.current_url and "source=Morning+Post" in browser.current_url
    assert heading(browser).startswith("2 results")
    checked = browser.find_elements(By.CSS_SELECTOR, ".facets input[type=checkbox]:checked")
    assert {box.get_attribute("value") for box in checked} == {"Elections", "Morning Post"}

    old = browser.current_url
    Select(browser.find_element(By.ID, "sort")).select_by_value("newest")
    wait_for(browser, lambda d: d.current_url != old)
    assert "sort=newest" in browser.current_url and "tag=Elections" in browser.current_url
    first = browser.find_element(By.CSS_SELECTOR, "ol.hits h2 a").text
    assert first == "Recount ordered after close election"

    browser.find_element(By.CSS_SELECTOR, '.pager a[rel="next"]').click()
    wait_for(browser, lambda d: "page=2" in d.current_url)
    current = browser.find_element(By.CSS_SELECTOR, '.pager a[aria-current="page"]')
    assert current.text == "2"
    assert browser.find_element(By.CSS_SELECTOR, "ol.hits").get_attribute("start") == "2"

    title = browser.find_element(By.CSS_SELECTOR, "ol.hits h2 a")
    expected = title.text
    title.click()
    wait_for(browser, lambda d: "/articles/" in d.current_url)
    assert heading(browser) == expected
    related = browser.find_element(By.CSS_SELECTOR, ".related-list a")
    related_title, article_url = related.text, browser.current_url
    related.click()
    wait_for(browser, lambda d: d.current_url != article_url)
    assert "/articles/" in browser.current_url and heading(browser) == related_title
    assert severe_console_messages(browser) == []


def test_timeline_bar_narrows_the_dates(browser: WebDriver, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(base_url + "/?q=election")
    bar = browser.find_element(By.CSS_SELECTOR, 'figure.timeline a[aria-label^="January 2024"]')
    bar.click()
    wait_for(browser, lambda d: "from=2024-01-01" in d.current_url)
    assert "to=2024-01-31" in browser.current_url
    assert heading(browser).startswith("3 results")
    assert browser.find_element(By.ID, "from").get_attribute("value") == "2024-01-01"


def test_hostile_text_and_query_never_execute(browser: WebDriver, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(base_url + "/articles/w-xss")
    assert "<script>window.__xss=1</script>" in heading(browser)
    assert "<script>window.__xss=2</script>" in browser.find_element(By.TAG_NAME, "article").text
    browser.get(base_url + "/?q=forum")
    assert browser.find_element(By.CSS_SELECTOR, "ol.hits h2").text.startswith("<script>")
    hostile = "<script>window.__xss=5</script><img src=x onerror=window.__xss=6>"
    browser.get(base_url + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys(hostile)
    box.submit()
    wait_for(browser, lambda d: "q=" in d.current_url)
    assert hostile in heading(browser)
    assert browser.find_element(By.ID, "q").get_attribute("value") == hostile
    assert browser.execute_script("return window.__xss") is None
    browser.get(base_url + "/articles/w-xss")
    assert browser.execute_script("return window.__xss") is None


def test_screenshots_and_no_sideways_scroll(browser: WebDriver, base_url: str) -> None:
    url = base_url + "/?q=election OR budget OR trade&op=or&per_page=5"
    try:
        for width in (1280, 360):
            browser.set_window_size(width, 900)
            browser.get(url)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{overflow}px sideways scroll at {width}px"
            full_page_screenshot(browser, width, ARTIFACTS / f"results-{width}.png")
        browser.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
        )
        browser.get(url)
        background = browser.execute_script(
            "return getComputedStyle(document.body).backgroundColor"
        )
        assert background == "rgb(20, 20, 20)"
        full_page_screenshot(browser, 1280, ARTIFACTS / "results-1280-dark.png")
        browser.get(base_url + "/articles/w-election-3")
        full_page_screenshot(browser, 360, ARTIFACTS / "article-360-dark.png")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        browser.set_window_size(1280, 900)
    assert (ARTIFACTS / "results-1280.png").stat().st_size > 10_000
    assert (ARTIFACTS / "results-360.png").stat().st_size > 10_000


def test_works_without_javascript(browser: WebDriver, base_url: str) -> None:
    """With scripts disabled the Apply buttons show and the forms still work."""
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(base_url + "/?q=election")
        assert "js" not in (browser.find_element(By.TAG_NAME, "html").get_attribute("class") or "")
        browser.find_element(By.XPATH, "//label[span[normalize-space()='Harbour Times']]").click()
        browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        wait_for(browser, lambda d: "source=Harbour+Times" in d.current_url)
        assert heading(browser).startswith("2 results")
        apply_sort = browser.find_element(By.CSS_SELECTOR, "form.controls button[type=submit]")
        assert apply_sort.is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
