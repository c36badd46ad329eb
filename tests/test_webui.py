"""The HTML search and article pages through Flask's test client (no JavaScript)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from search import FacetValue, SearchRequest, SearchResponse
from support import build_webui_index
from webui import SERVICE_KEY, create_app


def soup(response: TestResponse) -> BeautifulSoup:
    """Parse an HTML response."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture(scope="module")
def webui_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extended test index."""
    return build_webui_index(tmp_path_factory.mktemp("webui") / "ix")


@pytest.fixture()
def wclient(webui_index: Path) -> FlaskClient:
    """A test client over the extended index."""
    return create_app({"TESTING": True, "INDEX_DIR": str(webui_index)}).test_client()


def test_search_page_structure(client: FlaskClient) -> None:
    page = soup(client.get("/?q=politics OR election OR budget&op=or&per_page=2"))
    assert len(page.find_all("h1")) == 1
    assert page.find("label", attrs={"for": "q"}) is not None
    heading = page.select_one('[aria-live="polite"] h1').get_text()
    assert re.match(r"\d+ results for “politics OR election OR budget”", heading)
    hits = page.select("ol.hits > li")
    assert len(hits) == 2 and hits[0].find("mark") is not None
    first = hits[0]
    assert first.select_one("h2 a")["href"].startswith("/articles/")
    assert first.select_one("time")["datetime"].endswith("Z")
    assert first.select_one(".source") is not None and first.select(".tag")
    assert page.select_one('.pager a[aria-current="page"]').get_text(strip=True) == "1"
    assert page.select_one('.pager a[rel="next"]')["href"].endswith("page=2")
    assert "Wikinews" in page.select_one("footer").get_text()


def test_facets_are_checkboxes_with_counts_in_a_get_form(client: FlaskClient) -> None:
    page = soup(client.get("/?q=&tag=Politics&sort=newest"))
    form = page.select_one("form.filters")
    assert form["method"] == "get"
    boxes = {(box["name"], box["value"]): box for box in form.select("input[type=checkbox]")}
    assert boxes[("tag", "Politics")].has_attr("checked")
    assert not boxes[("tag", "Sport")].has_attr("checked")
    label = boxes[("tag", "Sport")].find_parent("label")
    assert label.select_one(".count").get_text(strip=True) == "1"
    assert ("year", "2023") in boxes and ("source", "Harbour Times") in boxes
    hidden = {(i["name"], i["value"]) for i in form.select("input[type=hidden]")}
    assert ("sort", "newest") in hidden and ("q", "") in hidden
    assert not any(name == "tag" for name, _ in hidden)  # the checkboxes carry the tags
    clear = page.select_one("a.clear")["href"]
    assert "tag=" not in clear and "sort=newest" in clear


def test_two_facets_combine_and_show_as_chips(client: FlaskClient) -> None:
    page = soup(client.get("/?tag=Economy&tag=Education&source=Harbour+Times"))
    titles = {h2.get_text(strip=True) for h2 in page.select("ol.hits h2")}
    assert titles == {"Shipping rates fall", "Budget surplus reported"}
    chips = [a.get_text(" ", strip=True) for a in page.select(".chips a")]
    assert "tag: Economy ×" in chips and "source: Harbour Times ×" in chips and "Clear all" in chips


def test_date_range_inputs_and_presets(client: FlaskClient) -> None:
    page = soup(client.get("/?q=&from=2023-06-01&to=2023-06-30"))
    assert page.select_one("input#from")["value"] == "2023-06-01"
    assert page.select_one("input#to")["type"] == "date"
    assert page.find("label", attrs={"for": "from"}) is not None
    assert {h2.get_text(strip=True) for h2 in page.select("ol.hits h2")} == {
        "Climate change talks resume in Bonn",
        "Change of plan for the city park",
    }
    presets = {a.get_text(strip=True): a["href"] for a in page.select(".presets a")}
    assert set(presets) >= {
        "Last week of the archive",
        "Last month of the archive",
        "Last year of the archive",
    }
    assert all("from=" in href and "to=" in href for href in presets.values())


def test_sort_selector_keeps_the_other_state(client: FlaskClient) -> None:
    page = soup(client.get("/?q=budget&tag=Economy&sort=oldest"))
    form = page.select_one("form.controls")
    assert form.select_one("select#sort option[selected]")["value"] == "oldest"
    assert page.find("label", attrs={"for": "sort"}) is not None
    hidden = {(i["name"], i["value"]) for i in form.select("input[type=hidden]")}
    assert hidden == {("q", "budget"), ("tag", "Economy")}
    dates = [t["datetime"] for t in page.select("ol.hits time")]
    assert dates == sorted(dates)


def test_did_you_mean_and_no_results_advice(client: FlaskClient) -> None:
    page = soup(client.get("/?q=elecion"))
    suggestion = page.select_one(".suggestion a")
    assert suggestion is not None and "q=election" in suggestion["href"]
    page = soup(client.get("/?q=zzzqqq&tag=Sport"))
    advice = page.select_one(".noresults")
    assert advice is not None and "without filters" in advice.get_text()
    assert page.select_one("h1").get_text(strip=True).startswith("0 results")


def test_relaxed_query_is_explained(client: FlaskClient) -> None:
    page = soup(client.get("/?q=shipping zeppelin"))
    assert page.select("ol.hits > li")
    assert "any of them" in page.select_one(".notice.relaxed").get_text()


def test_article_page(wclient: FlaskClient) -> None:
    page = soup(wclient.get("/articles/w-election-3"))
    assert [h1.get_text(strip=True) for h1 in page.find_all("h1")] == [
        "Election turnout breaks records"
    ]
    assert "highest ever recorded" in page.select_one(".article-body").get_text()
    tag_links = [a["href"] for a in page.select(".article-meta a.tag")]
    assert any(href.endswith("?tag=Elections") for href in tag_links)
    source = page.select_one(".article-meta a[href$='?source=Daily+Ledger']")
    assert source is not None and source.get_text() == "Daily Ledger"
    assert page.select_one("a.original")["href"] == "https://example.org/turnout"
    related = [a["href"] for a in page.select(".related-list a")]
    assert related and all(href.startswith("/articles/") for href in related)
    assert "/articles/w-election-3" not in related


def test_unknown_article_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/articles/no-such-id")
    assert response.status_code == 404 and "text/html" in response.content_type
    assert len(soup(response).find_all("h1")) == 1


def test_hostile_article_and_query_are_escaped(wclient: FlaskClient) -> None:
    response = wclient.get("/articles/w-xss")
    html = response.get_data(as_text=True)
    page = soup(response)
    assert "<script>window" not in html and "<img src=x" not in html
    assert "<script>window.__xss=1</script>" in page.select_one("h1").get_text()
    assert "<b>Security</b>" in page.select_one(".article-meta").get_text()
    assert page.select_one("a.original") is None  # javascript: URL is not linked
    assert all(s.get("src") for s in page.find_all("script"))  # no inline script at all
    q = '<script>window.__xss=1</script>"><img src=x onerror=alert(1)>'
    response = wclient.get("/", query_string={"q": q})
    html = response.get_data(as_text=True)
    assert "<script>window" not in html and "<img src=x" not in html
    assert soup(response).select_one("input#q")["value"] == q


def test_search_snippets_are_the_only_markup_from_data(wclient: FlaskClient) -> None:
    page = soup(wclient.get("/?q=forum"))
    snippet = page.select_one("ol.hits .snippet")
    assert {tag.name for tag in snippet.find_all(True)} <= {"mark"}
    assert "<script>" in snippet.get_text() or "forum" in snippet.get_text().lower()


@pytest.mark.parametrize("path", ["/", "/?q=election", "/articles/t-election-1", "/nope"])
def test_every_page_has_search_link_and_no_external_assets(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    page = soup(response)
    link = page.select_one('link[rel="search"]')
    assert link["type"] == "application/opensearchdescription+xml"
    assert link["href"] == "/opensearch.xml"
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
        for element in page.find_all(tag):
            if element.get(attr):
                assert element[attr].startswith("/"), element
    assert not page.find_all(style=True) and not page.find_all("style")
    assert not re.search(r"\son[a-z]+=", response.get_data(as_text=True))
    assert len(page.find_all("h1")) == 1


def test_security_headers(client: FlaskClient) -> None:
    for path in ("/", "/api/search?q=x", "/articles/nope", "/search.atom"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_static_assets_are_served(client: FlaskClient) -> None:
    for name, kind in (("app.js", "javascript"), ("style.css", "css"), ("favicon.svg", "svg")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and kind in response.content_type
        response.close()


@pytest.mark.parametrize(
    ("query", "param"),
    [("page=-3", "page"), ("per_page=500", "per_page")],
)
def test_limits_on_the_html_page_are_a_clear_400(
    client: FlaskClient, query: str, param: str
) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 400 and "text/html" in response.content_type
    assert f"<code>{param}</code>" in response.get_data(as_text=True)


def test_overlong_query_is_a_clear_400(client: FlaskClient) -> None:
    response = client.get("/", query_string={"q": "a" * 10_001})
    assert response.status_code == 400
    assert "longer than" in soup(response).select_one(".error").get_text()


def fake_response(months: list[tuple[str, int]], **extra: object) -> SearchResponse:
    """A response with a month facet and a hit with collapsed duplicates."""
    hit = SimpleNamespace(
        id="x1", title="Wire story", url="https://example.org/x1", date=None, source="Wire",
        author="", tags=("Politics",), views=None, score=1.0, snippet="a <mark>b</mark>",
        duplicates=3, duplicate_ids=("x2", "x3", "x4"),
    )  # fmt: skip
    facets = {"month": tuple(FacetValue(month, count, False) for month, count in months)}
    return SearchResponse(
        request=SearchRequest(q="wire"), total=7, took_ms=1.0, hits=(hit,), facets=facets,
        **extra,
    )  # fmt: skip


def test_similar_stories_and_estimates(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    response = fake_response([("2023-11", 2), ("2023-12", 0), ("2024-01", 5)], total_exact=False)
    service = app.extensions[SERVICE_KEY]
    monkeypatch.setattr(service, "search", lambda request: response)
    page = soup(app.test_client().get("/?q=wire&sort=newest"))
    similar = page.select_one(".similar a")
    assert similar.get_text(strip=True) == "3 similar stories" and "collapse=0" in similar["href"]
    assert page.select_one("h1").get_text(strip=True) == "About 7 results for “wire”"
    months = [box["value"] for box in page.select('input[name="month"]')]
    assert months == ["2024-01", "2023-11"]  # newest first, as the years
