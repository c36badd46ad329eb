"""The search and article pages as a reader meets them (issue 18), in a real headless
Chromium over a real gunicorn, with axe-core injected for accessibility.

axe-core comes from the npm registry into var/npm (``make axe``, part of ``make test``);
without it these tests skip, and fail under BROADSHEET_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import gzip
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from browser_helpers import heading, wait_for
from corpus.article import Article
from indexer import build_index
from servers import gunicorn
from support import build_webui_index

pytestmark = [pytest.mark.slow, pytest.mark.browser]

AXE = Path(__file__).resolve().parents[1] / "var" / "npm" / "node_modules" / "axe-core"
AXE_SCRIPT = AXE / "axe.min.js"
LONG_BODY = " ".join(
    f"Sentence number {n} of the long report says something about the harbour budget."
    for n in range(1, 40)
)


def plain_articles() -> Iterator[Article]:
    """Articles without view counts, dated by day only, one long body without line
    breaks, and a pair of near-duplicates (two copies of one story)."""
    topics = ("dredging", "lighthouse", "fishing quotas", "cruise berths", "pilot boats")
    for number in range(1, 7):
        topic = topics[(number - 2) % len(topics)]
        body = f"The council approved the harbour budget for {topic} in month {number}. " + (
            f"Spending on {topic} rises; the {topic} plan runs {number} years. " * number
        )
        yield Article(
            id=f"p-{number}",
            title=f"Harbour budget report {number}",
            body=LONG_BODY if number == 1 else body,
            date=datetime(2015, number, 10, tzinfo=UTC),
            tags=("Economy",),
            source="Coast Gazette",
        )
    for copy in ("a", "b"):
        yield Article(
            id=f"dup-{copy}",
            title="Ferry strike ends after talks",
            body="The ferry strike ended on Monday after talks between the union and the "
            "operator, who agreed a new pay deal for the crews of every route. " * 3,
            date=datetime(2016, 3, 1, tzinfo=UTC),
            tags=("Transport",),
            source="Coast Gazette",
        )


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn over the extended test index (the one test_browser uses)."""
    folder = tmp_path_factory.mktemp("pages")
    with gunicorn(build_webui_index(folder / "ix"), workers=1) as base:
        yield base


@pytest.fixture(scope="module")
def plain_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn over `plain_articles`."""
    folder = tmp_path_factory.mktemp("plain")
    build_index(plain_articles(), folder / "ix")
    with gunicorn(folder / "ix", workers=1) as base:
        yield base


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's script; skipped where it is not installed (a failure in CI)."""
    if not AXE_SCRIPT.is_file():
        if os.environ.get("BROADSHEET_REQUIRE_BROWSER") == "1":
            pytest.fail("axe-core is required (BROADSHEET_REQUIRE_BROWSER=1): run `make axe`")
        pytest.skip("axe-core not installed (make axe)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(browser: WebDriver, source: str) -> list[str]:
    """axe-core's violations on the page loaded now (WCAG 2 A/AA and best practice)."""
    browser.execute_script(source)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.length + ' ' +"
        " v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))"
        ".catch(e => done(['axe failed: ' + e]));"
    )
    return list(result)


def test_axe_finds_nothing_light_and_dark(
    browser: WebDriver, base_url: str, axe_source: str
) -> None:
    browser.set_script_timeout(60)
    pages = {
        "home": "/",
        "results": "/?q=election",
        "no results": "/?q=zzxqv",
        "article": "/articles/w-election-3?q=election",
    }
    found = {}
    try:
        for scheme in ("light", "dark"):
            browser.execute_cdp_cmd(
                "Emulation.setEmulatedMedia",
                {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
            )
            for name, path in pages.items():
                browser.get(base_url + path)
                violations = axe_violations(browser, axe_source)
                if violations:
                    found[f"{name} ({scheme})"] = violations
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert found == {}


def tabs_to(browser: WebDriver, selector: str, limit: int = 60) -> int:
    """Presses of Tab from the top of the page until the element ``selector`` has focus."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.execute_script("document.activeElement && document.activeElement.blur()")
    target = browser.execute_script(f"return document.querySelector({selector!r})")
    for presses in range(1, limit + 1):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.switch_to.active_element == target:
            return presses
    return limit + 1


def test_1_first_result_within_15_tabs_and_skip_link_lands_on_results(
    browser: WebDriver,
    base_url: str,
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.set_window_size(1280, 900)
    browser.get(base_url + "/?q=election OR budget OR trade&op=or")
    assert tabs_to(browser, "ol.hits h2 a") <= 15
    stops = browser.execute_script(
        "return [...document.querySelectorAll('figure.timeline > svg a')]"
        ".filter(a => a.getAttribute('tabindex') !== '-1').length"
    )
    assert stops == 1
    # Arrow keys move along the months.
    bar = browser.execute_script(
        "return [...document.querySelectorAll('figure.timeline > svg a')]"
        ".find(a => a.getAttribute('tabindex') !== '-1')"
    )
    bar.send_keys(Keys.ARROW_LEFT)
    focused = browser.switch_to.active_element
    assert focused != bar and focused.get_attribute("aria-label")
    # The skip link, then one Tab: the first result.
    browser.get(base_url + "/?q=election")
    browser.execute_script("document.activeElement && document.activeElement.blur()")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element.text == "Skip to results"
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    ActionChains(browser).send_keys(Keys.TAB).perform()
    first = browser.execute_script("return document.querySelector('ol.hits h2 a')")
    assert browser.switch_to.active_element == first


def test_2_focused_timeline_bar_has_an_outline(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + "/?q=election")
    bar = browser.execute_script(
        "const a = [...document.querySelectorAll('figure.timeline > svg a')]"
        ".find(a => a.getAttribute('tabindex') !== '-1'); a.focus(); return a;"
    )
    target = bar.find_element("css selector", ".bar-target")
    assert target.value_of_css_property("stroke") not in ("none", "")
    assert float(target.value_of_css_property("stroke-width").rstrip("px")) >= 2


def test_3_presets_count_back_from_the_archive_end(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + "/")
    note = browser.find_element("css selector", "#presets-note").text
    assert "ends on 5 January 2024" in note
    link = browser.find_element("link text", "Last month of the archive")
    link.click()
    wait_for(browser, lambda d: "from=2023-12-06" in d.current_url)
    assert not heading(browser).startswith("0 results")
    years = [a.text for a in browser.find_elements("css selector", ".jumps-years a")]
    assert "2024" in years and "2023" in years


def test_4_a_page_past_the_end_says_which_pages_exist(browser: WebDriver, base_url: str) -> None:
    for page in (111, 99999):
        browser.get(base_url + f"/?q=election&page={page}")
        text = browser.find_element("css selector", "main").text
        assert f"There is no page {page:,}" in text
        assert "No article matches" not in text and "10,000" not in text
        assert "pages 1 to 1" in text
        browser.find_element("partial link text", "Go to the last page (1)").click()
        wait_for(browser, lambda d: "page=1" in d.current_url)
        assert browser.find_elements("css selector", "ol.hits li")


def test_5_dates_in_the_query_are_chips_and_fill_the_date_boxes(
    browser: WebDriver, base_url: str
) -> None:
    browser.get(base_url + "/?q=election after:2023 before:2025")
    chips = browser.find_elements("css selector", ".chips .query-date a")
    texts = [chip.text for chip in chips]
    assert texts[0].startswith("after:2023: from 1 January 2024")
    assert texts[1].startswith("before:2025: up to 31 December 2024")
    assert browser.find_element("id", "from").get_attribute("value") == "2024-01-01"
    assert browser.find_element("id", "to").get_attribute("value") == "2024-12-31"
    chips[0].click()
    wait_for(browser, lambda d: "after" not in d.current_url)
    assert browser.find_element("id", "q").get_attribute("value") == "election before:2025"


def test_6_most_viewed_only_where_views_are_known(
    browser: WebDriver,
    base_url: str,
    plain_url: str,
) -> None:
    def options(url: str) -> list[str]:
        browser.get(url)
        return [
            o.get_attribute("value") for o in browser.find_elements("css selector", "#sort option")
        ]

    assert "views" in options(base_url + "/?q=election")
    assert options(plain_url + "/?q=harbour") == ["relevance", "newest", "oldest"]
    browser.get(plain_url + "/?q=harbour&sort=views")
    assert (
        "No article in this archive has a view count"
        in browser.find_element("css selector", ".order-note").text
    )


def test_7_browsing_without_words_lists_newest_first_and_says_so(
    browser: WebDriver, base_url: str
) -> None:
    browser.get(base_url + "/?per_page=50")
    assert "Newest first" in browser.find_element("css selector", ".order-note").text
    assert browser.find_element("css selector", "#sort option:checked").text == "Newest first"
    stamps = [
        t.get_attribute("datetime") for t in browser.find_elements("css selector", "ol.hits time")
    ]
    assert len(stamps) > 5 and stamps == sorted(stamps, reverse=True)


def test_8_the_page_says_why_its_total_is_not_the_article_count(
    browser: WebDriver, plain_url: str
) -> None:
    browser.get(plain_url + "/")
    assert heading(browser).startswith("7 results")
    assert "8 articles: near-duplicate copies of a story are counted once" in (
        browser.find_element("css selector", ".grouped").text
    )


def test_9_facets_keep_urls_minimal_and_return_to_the_facet(
    browser: WebDriver, base_url: str
) -> None:
    browser.get(base_url + "/?q=election")
    label = browser.find_element(
        "xpath", "//fieldset[@id='facet-source']//label[span[normalize-space()='Harbour Times']]"
    )
    label.click()
    wait_for(browser, lambda d: "source=Harbour+Times" in d.current_url)
    assert "from=" not in browser.current_url and "to=" not in browser.current_url
    assert browser.current_url.endswith("#facet-source")


def test_10_narrow_timeline_labels_apart_and_targets_24px(
    browser: WebDriver, base_url: str
) -> None:
    browser.set_window_size(360, 900)
    metrics = {"width": 360, "height": 900, "deviceScaleFactor": 1, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        browser.get(base_url + "/?q=election OR budget OR trade&op=or")
        boxes = browser.execute_script(
            "return [...document.querySelectorAll('figure.timeline .tick')]"
            ".map(t => t.getBoundingClientRect()).filter(r => r.width > 0)"
            ".map(r => [r.left, r.right])"
        )
        for (_, right), (left, _) in zip(boxes, boxes[1:], strict=False):
            assert left - right >= 4, boxes
        small = browser.execute_script(
            "return [...document.querySelectorAll('.facet-value, .presets a, .chips a')]"
            ".map(e => e.getBoundingClientRect()).filter(r => r.width > 0)"
            ".filter(r => r.height < 24 || r.width < 24).length"
        )
        assert small == 0
        tappable = browser.execute_script(
            "return [...document.querySelectorAll('figure.timeline > svg a')]"
            ".filter(a => getComputedStyle(a).pointerEvents !== 'none').length"
        )
        assert tappable == 0  # too thin to tap here: the decade and year links are the targets
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.set_window_size(1280, 900)


def test_11_time_facets_newest_first_and_long_lists_show_more(
    browser: WebDriver, base_url: str
) -> None:
    browser.get(base_url + "/")
    months = browser.find_elements("css selector", "#facet-month .facet-value input")
    values = [box.get_attribute("value") for box in months]
    assert values == sorted(values, reverse=True)
    years = [
        b.get_attribute("value") for b in browser.find_elements("css selector", "#facet-year input")
    ]
    assert years == sorted(years, reverse=True)
    tags = browser.find_element("css selector", "#facet-tags")
    more = tags.find_element("css selector", "details.more summary")
    assert more.text.startswith("Show ") and more.text.endswith(" more")
    hidden = tags.find_elements("css selector", "details.more input")
    assert hidden and not hidden[0].is_displayed()
    more.click()
    assert hidden[0].is_displayed()


def test_12_article_keeps_the_query_marks_it_and_leads_back(
    browser: WebDriver,
    base_url: str,
    plain_url: str,
) -> None:
    browser.get(base_url + "/?q=election&page=2&per_page=2")
    browser.find_element("css selector", "ol.hits h2 a").click()
    wait_for(browser, lambda d: "/articles/" in d.current_url)
    assert "q=election" in browser.current_url
    assert browser.find_element("id", "q").get_attribute("value") == "election"
    marks = browser.find_elements("css selector", ".article-body mark")
    assert marks and all(m.text.lower().startswith("elect") for m in marks)
    browser.find_element("css selector", ".back a").click()
    wait_for(browser, lambda d: "/articles/" not in d.current_url)
    assert "page=2" in browser.current_url and "q=election" in browser.current_url
    # A body without line breaks is set in paragraphs; a day without a time shows no 00:00.
    browser.get(plain_url + "/articles/p-1")
    paragraphs = browser.find_elements("css selector", ".article-body p")
    assert len(paragraphs) >= 3
    assert " ".join(p.text for p in paragraphs) == LONG_BODY
    published = browser.find_element("css selector", ".article-meta time").text
    assert published == "10 January 2015"


def test_13_collapsing_can_be_turned_back_on(browser: WebDriver, plain_url: str) -> None:
    browser.get(plain_url + "/?q=ferry")
    browser.find_element("css selector", ".similar a").click()
    wait_for(browser, lambda d: "collapse=0" in d.current_url)
    assert heading(browser).startswith("2 results")
    chip = browser.find_element("css selector", ".chips .collapse-off a")
    chip.click()
    wait_for(browser, lambda d: "collapse" not in d.current_url)
    assert heading(browser).startswith("1 result")


def test_14_notices_read_as_sentences(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + "/?q=electio* date:notadate (budget")
    notices = [n.text for n in browser.find_elements("css selector", "p.notice")]
    assert notices
    for notice in notices:
        assert notice[0].isupper() and notice.endswith("."), notice
        assert "ignored the date expression" not in notice


def test_16_compressed_answers_and_304s(base_url: str) -> None:
    paths = ("/?q=election", "/articles/w-election-3", "/api/search?q=election")
    for path in (*paths, "/search.atom?q=election"):
        zipped = urllib.request.Request(base_url + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(zipped) as first:
            body = first.read()
            encoding, tag = first.headers["Content-Encoding"], first.headers["ETag"]
        assert encoding == "gzip" and gzip.decompress(body), path
        assert tag, path
        again = urllib.request.Request(
            base_url + path, headers={"Accept-Encoding": "gzip", "If-None-Match": tag}
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(again)
        answer.value.close()
        assert answer.value.code == 304, path
        with urllib.request.urlopen(base_url + path) as plain:
            assert plain.headers.get("Content-Encoding") is None
            assert len(plain.read()) > len(body)


def test_17_titles_are_highlighted(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + "/?q=election")
    marks = browser.find_elements("css selector", "ol.hits h2 a mark")
    assert marks and all(m.text.lower().startswith("elect") for m in marks)
    browser.get(base_url + "/articles/w-election-3?q=election")
    assert browser.find_elements("css selector", "h1 mark")
