"""The results page's timeline in a real headless Chromium over a real gunicorn: a
comparison of three searches, the counts/share toggle, the CSV link and the compare box.

Saves a screenshot of a 3-query comparison to var/screenshots/compare-3.png (gitignored).
"""

from __future__ import annotations

import csv
import io
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from browser_helpers import severe_console_messages, wait_for
from servers import gunicorn
from support import REPO, build_webui_index

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCREENSHOT = REPO / "var" / "screenshots" / "compare-3.png"
COMPARED = "/?q=election&q=budget&q=climate&interval=year"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn over the extended test index."""
    folder = tmp_path_factory.mktemp("timeline")
    with gunicorn(build_webui_index(Path(folder) / "ix"), workers=1) as base:
        yield base


def legend(browser: WebDriver) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('.legend li .label')].map(e => e.textContent)"
    )


def data_cells(browser: WebDriver) -> list[list[str]]:
    return browser.execute_script(
        "return [...document.querySelectorAll('table.timeline-data tbody tr')]"
        ".map(r => [...r.querySelectorAll('td')].map(c => c.textContent))"
    )


def test_three_searches_compared_with_labels_and_the_share_toggle(
    browser: WebDriver, base_url: str
) -> None:
    browser.set_window_size(1280, 900)
    browser.get(base_url + COMPARED)
    assert legend(browser) == ["election", "budget", "climate"]
    lines = browser.execute_script(
        "return [...document.querySelectorAll('figure.timeline > svg g.series')].map(g => ["
        "g.dataset.series, g.querySelector('polyline').getAttribute('stroke-dasharray') || '',"
        "g.querySelector('.direct-label').textContent,"
        "g.querySelector('circle, rect, path').tagName, getComputedStyle(g.querySelector("
        "'polyline')).stroke])"
    )
    assert [line[0] for line in lines] == ["election", "budget", "climate"]
    assert [line[2] for line in lines] == ["election", "budget", "climate"]  # direct labels
    assert len({line[1] for line in lines}) == 3  # three dash patterns, not colour alone
    assert len({line[4] for line in lines}) == 3
    counts = data_cells(browser)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.find_element("css selector", "figure.timeline").screenshot(str(SCREENSHOT))
    # The toggle: shares instead of counts, and the URL keeps the whole state.
    browser.find_element("css selector", "[data-timeline-mode=share]").click()
    wait_for(browser, lambda d: "tl=share" in d.current_url)
    assert browser.current_url.count("q=") == 3 and "interval=year" in browser.current_url
    assert "Share of all articles" in browser.find_element("css selector", "figcaption").text
    peaks = browser.execute_script(
        "return [...document.querySelectorAll('g.series polyline')]"
        ".map(p => p.getAttribute('points'))"
    )
    browser.back()
    wait_for(browser, lambda d: "tl=share" not in d.current_url)
    assert peaks != browser.execute_script(
        "return [...document.querySelectorAll('g.series polyline')]"
        ".map(p => p.getAttribute('points'))"
    )  # the lines moved: shares are scaled to their own peak
    assert data_cells(browser) == counts
    assert severe_console_messages(browser) == []


def test_compare_box_adds_a_search_and_the_csv_has_a_row_per_period(
    browser: WebDriver, base_url: str
) -> None:
    browser.get(base_url + "/?q=election")
    assert browser.find_elements("css selector", "g.series") == []  # one search: bars
    assert browser.find_elements("css selector", "figure.timeline rect.bar")
    box = browser.find_element("id", "compare-q")
    box.send_keys("budget")
    box.submit()
    wait_for(browser, lambda d: "q=budget" in d.current_url)
    assert legend(browser) == ["election", "budget"]
    assert browser.find_element("tag name", "h1").text.endswith("for “election”")
    href = browser.find_element("link text", "Download CSV").get_attribute("href")
    with urllib.request.urlopen(href) as answer:
        assert answer.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(answer.read().decode("utf-8-sig"))))
    periods = len(data_cells(browser))
    assert rows[0][:4] == ["period", "start", "end", "all_articles"]
    assert rows[0][4:] == ["election count", "election share", "budget count", "budget share"]
    assert len(rows) == periods + 1
    # Keyboard: the chart is one tab stop and the remove link stops comparing.
    browser.find_element("css selector", ".legend .remove").click()
    wait_for(browser, lambda d: "q=budget" not in d.current_url)
    assert "q=election" in browser.current_url
