"""Security against a running gunicorn: XSS in a real headless Chromium, path
traversal in article ids, and the security headers on every route.

Stored XSS: articles whose title, body, tags, author, source, id and URL hold script,
event-handler markup and ``javascript:`` URLs are indexed as they are (built from
`Article` objects: the corpus readers would strip the markup first, and rendering must
be safe on its own). Reflected XSS: the same payloads in the query and every filter
parameter, and in the ids of unknown articles (the 404 page names the id). On every
page: no payload ran (no alert, no ``window.__xss``), no injected element exists in
the DOM, no CSP violation was logged (the policy is a second line, never the one that
stopped an injection), and the payload is shown as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from reliability_helpers import REQUIRED_HEADERS, HttpClient, api_error_problem, url_path
from selenium.webdriver.remote.webdriver import WebDriver

from corpus.article import Article
from indexer import build_index
from servers import gunicorn

pytestmark = pytest.mark.slow

SCRIPT = "<script>window.__xss='script'</script>"
IMG = "<img src=x onerror=\"window.__xss='img'\">"
SVG = "<svg onload=\"window.__xss='svg'\"></svg>"
QUOTE_BREAK = "\"><script>window.__xss='attr'</script>"
PAYLOADS = (SCRIPT, IMG, SVG, QUOTE_BREAK, "javascript:window.__xss='js'")
HOSTILE_ARTICLES = (
    Article(
        id="xss-title",
        title=f"Evil {SCRIPT}{IMG} title",
        body=f"Harbour text {SCRIPT} and {IMG} and {SVG} and {QUOTE_BREAK} in the body.",
        tags=(SCRIPT, QUOTE_BREAK, "harbour"),
        author=IMG,
        source=f"</title>{SCRIPT}",
        url="javascript:window.__xss='url'",
    ),
    Article(
        id="xss-url-case",
        title="Harbour link in mixed case",
        body="A harbour story whose link is hostile in another spelling.",
        url=" JaVaScRiPt:window.__xss='url2'",
    ),
    Article(
        id="xss-data-url",
        title="Harbour data link",
        body="A harbour story with a data URL for a link.",
        url="data:text/html,<script>window.__xss='data'</script>",
    ),
    Article(id=f"xss-id{QUOTE_BREAK}", title="Harbour id", body="A harbour story, hostile id."),
)
#: Elements and attributes no page of Broadsheet has, which an injection would add.
INJECTED = (
    "script:not([src]), img[src='x'], svg[onload], iframe, [onerror], [onload], "
    "a[href^='javascript:' i], a[href^=' javascript:' i], a[href^='data:' i]"
)
TRAVERSALS = (
    "/api/articles/..%2F..%2Fetc%2Fpasswd",
    "/api/articles/../../etc/passwd",
    "/api/articles/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/api/articles/..%252F..%252Fetc%252Fpasswd",
    "/api/articles/....//....//etc/passwd",
    "/api/articles/%2Fetc%2Fpasswd",
    "/api/articles//etc/passwd",
    "/api/articles/..%5C..%5Cwsgi.py",
    "/api/articles/%00",
    "/articles/..%2F..%2Fetc%2Fpasswd",
    "/articles/../../wsgi.py",
    "/static/..%2F..%2Fwsgi.py",
    "/static/../../wsgi.py",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%5C..%5Cwsgi.py",
)


@pytest.fixture(scope="module")
def security_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the hostile articles plus the small test corpus."""
    from corpus import ReadReport, read_paths
    from support import ARTICLES

    index_dir = tmp_path_factory.mktemp("security") / "ix"
    build_index([*read_paths([ARTICLES], ReadReport()), *HOSTILE_ARTICLES], index_dir)
    return index_dir


@pytest.fixture(scope="module")
def base_url(security_index: Path) -> Iterator[str]:
    """gunicorn for the browser (whose idle pre-opened connections hold sync workers)."""
    with gunicorn(security_index, workers=1) as base:
        yield base


@pytest.fixture(scope="module")
def http_url(security_index: Path) -> Iterator[str]:
    """gunicorn for the plain HTTP checks."""
    with gunicorn(security_index, workers=1) as base:
        yield base


def assert_nothing_ran(driver: WebDriver, url: str) -> None:
    """Open ``url`` and assert no payload ran and none became markup."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    driver.get_log("browser")  # forget the previous page's messages
    driver.get(url)
    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        text = None
    assert text is None, f"{url}: an alert opened: {text!r}"
    assert driver.execute_script("return window.__xss === undefined"), url
    injected = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.outerHTML)",
        INJECTED,
    )
    assert not injected, f"{url}: injected elements {injected}"
    scripts = [e.get_attribute("src") for e in driver.find_elements(By.TAG_NAME, "script")]
    assert all(src and src.endswith("/static/app.js") for src in scripts), scripts
    violations = [
        e["message"] for e in driver.get_log("browser") if "Content Security" in e["message"]
    ]
    assert not violations, f"{url}: CSP had to block something: {violations}"


@pytest.mark.browser
def test_reflected_xss_never_runs(browser: WebDriver, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    for payload in PAYLOADS:
        url = base_url + url_path("/", [("q", payload)])
        assert_nothing_ran(browser, url)
        assert browser.find_element(By.NAME, "q").get_attribute("value") == payload
        for name in ("tag", "source", "from", "to", "sort", "page", "month", "year"):
            params = [("q", "harbour"), (name, payload)]
            assert_nothing_ran(browser, base_url + url_path("/", params))
        assert_nothing_ran(browser, f"{base_url}/articles/{quote(payload, safe='')}")
        assert browser.find_element(By.TAG_NAME, "h1").text  # the 404 page, rendered


@pytest.mark.browser
def test_stored_xss_never_runs(browser: WebDriver, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    for url in (
        f"{base_url}/?q=harbour",
        f"{base_url}/?q=evil+title",
        f"{base_url}/?q=harbour&collapse=0&per_page=50",
        f"{base_url}/articles/xss-title",
        f"{base_url}/articles/xss-url-case",
        f"{base_url}/articles/xss-data-url",
        f"{base_url}/articles/{quote(HOSTILE_ARTICLES[3].id, safe='')}",
    ):
        assert_nothing_ran(browser, url)
    browser.get(f"{base_url}/articles/xss-title")
    text = browser.find_element(By.TAG_NAME, "body").text
    for shown in (SCRIPT, IMG, SVG, QUOTE_BREAK):  # as text, in title, body, tags, author
        assert shown in text, shown
    assert not browser.find_elements(By.CSS_SELECTOR, "a.original"), "a javascript: link"
    browser.get(f"{base_url}/?q=harbour&per_page=50")
    assert SCRIPT in browser.find_element(By.TAG_NAME, "body").text  # the tag facet, escaped


def test_path_traversal_in_ids_is_refused(http_url: str) -> None:
    client = HttpClient(http_url)
    try:
        for path in TRAVERSALS:
            answer = client.get(path)
            assert b"root:" not in answer.body and b"create_app" not in answer.body, path
            if answer.status == 308:  # werkzeug merges the slashes of "//", within /api/articles
                location = urlsplit(answer.headers["location"])
                assert location.path.startswith("/api/articles/"), answer.headers
                continue
            assert answer.status in (400, 404), (path, answer.status)
            if path.startswith("/api/"):
                assert api_error_problem(answer) is None, (path, answer.body[:200])
    finally:
        client.close()


def test_security_headers_on_every_route(http_url: str) -> None:
    from webui import create_app

    app = create_app({"TESTING": True, "INDEX_DIR": "/nonexistent"})
    paths = []
    for rule in app.url_map.iter_rules():
        sample = {arg: "xss-title" if arg != "filename" else "style.css" for arg in rule.arguments}
        paths.append(rule.build(sample, append_unknown=False)[1])
    paths += [
        "/no/such/page",
        "/api/no/such",
        "/static/nope.css",
        "/?page=abc",
        "/api/search?page=0",
        "/api/articles//x",
        "/search.atom?from=x",
        "/api/suggest?q=" + "x" * 300,
    ]
    client = HttpClient(http_url)
    try:
        for path in paths:
            answer = client.get(path)
            assert answer.status < 500, (path, answer.status)
            for name in REQUIRED_HEADERS:
                assert name in answer.headers, (path, name)
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert "script-src 'self'" in answer.headers["content-security-policy"]
            assert "unsafe-inline" not in answer.headers["content-security-policy"]
            if answer.headers.get("content-type", "").startswith("application/json"):
                assert answer.body.lstrip()[:1] in (b"{", b"["), path
    finally:
        client.close()
    assert len(paths) >= 15
