"""Query assistance in a real headless Chromium over a real gunicorn: "Showing results
for ... Search instead for ...", "Missing:" words, and completions that follow the phrase.

Skips where Debian's chromium and chromium-driver are not installed (a failure under
BROADSHEET_REQUIRE_BROWSER=1, as in CI).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from spelling_corpus import spelling_articles

from browser_helpers import severe_console_messages, wait_for
from indexer import build_index
from servers import gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def assist_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser-assist")
    build_index(spelling_articles(), folder / "ix")
    with gunicorn(folder / "ix", workers=1) as base:
        yield base


def test_showing_results_for_and_search_instead(browser: WebDriver, assist_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(assist_url + "/?q=climat+chnage")
    corrected = browser.find_element(By.CSS_SELECTOR, "p.corrected")
    assert corrected.text == "Showing results for climate change. Search instead for climat chnage."
    assert browser.find_element(By.TAG_NAME, "h1").text == "10 results for “climate change”"
    assert len(browser.find_elements(By.CSS_SELECTOR, "ol.hits li.hit")) == 10
    corrected.find_element(By.CSS_SELECTOR, "a.as-typed").click()
    wait_for(browser, lambda d: "correct=0" in d.current_url)
    assert browser.find_elements(By.CSS_SELECTOR, "p.corrected") == []
    suggestion = browser.find_element(By.CSS_SELECTOR, "p.suggestion")
    assert suggestion.text == "Did you mean climate change?"
    assert severe_console_messages(browser) == []


def test_missing_words_of_relaxed_hits(browser: WebDriver, assist_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(assist_url + "/?q=kerry+budget&per_page=50")
    lines = {p.text for p in browser.find_elements(By.CSS_SELECTOR, "ol.hits p.missing")}
    assert lines == {"Missing: budget", "Missing: kerry"}
    struck = browser.find_element(By.CSS_SELECTOR, "p.missing s")
    assert struck.value_of_css_property("text-decoration-line") == "line-through"
    notice = browser.find_element(By.CSS_SELECTOR, ".notice.relaxed").text
    assert "without: kerry, budget" in notice


def test_autocomplete_continues_the_phrase(browser: WebDriver, assist_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(assist_url + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("climate ch")
    script = (
        "return Array.from(document.querySelectorAll('#q-suggestions option')).map(o => o.value)"
    )
    wait_for(browser, lambda d: d.execute_script(script))
    assert browser.execute_script(script)[0] == "climate change"
