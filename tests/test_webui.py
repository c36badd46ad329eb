"""Web UI and JSON API through Flask's test client."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

API_KEYS = {"query", "total", "page", "per_page", "took_ms", "results", "facets", "suggestion"}
HIT_KEYS = {"id", "title", "url", "date", "source", "author", "tags", "views", "score", "snippet"}


def soup(response) -> BeautifulSoup:  # noqa: ANN001
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_api_search_contract(client) -> None:  # noqa: ANN001
    response = client.get("/api/search?q=election&per_page=1")
    assert response.status_code == 200 and response.is_json
    payload = response.get_json()
    assert API_KEYS <= set(payload)
    assert payload["total"] == 2 and payload["per_page"] == 1 and len(payload["results"]) == 1
    hit = payload["results"][0]
    assert set(hit) == HIT_KEYS
    assert hit["date"].endswith("Z") and "<mark>" in hit["snippet"]
    for name in ("tags", "year"):
        assert all(set(v) == {"value", "count", "selected"} for v in payload["facets"][name])
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_api_filters_by_tag_source_and_dates(client) -> None:  # noqa: ANN001
    payload = client.get("/api/search?tag=Economy&tag=Education&source=Harbour+Times").get_json()
    assert {hit["id"] for hit in payload["results"]} == {"t-shipping", "t-budget-old"}
    payload = client.get("/api/search?from=2023-12-31&to=2023-12-31").get_json()
    assert [hit["id"] for hit in payload["results"]] == ["t-election-1"]


@pytest.mark.parametrize(
    ("query", "param", "code"),
    [
        ("page=abc", "page", "invalid_parameter"),
        ("per_page=500", "per_page", "invalid_parameter"),
        ("sort=sideways", "sort", "invalid_parameter"),
        ("from=not-a-date", "from", "invalid_date"),
        ("to=31/31/2023", "to", "invalid_date"),
        ("page=100000", "page", "invalid_parameter"),
    ],
)
def test_api_errors_have_one_json_shape(client, query: str, param: str, code: str) -> None:  # noqa: ANN001
    response = client.get(f"/api/search?q=x&{query}")
    assert response.status_code == 400 and response.is_json
    error = response.get_json()["error"]
    assert error["param"] == param and error["code"] == code and error["message"]


def test_api_unknown_route_is_json_404(client) -> None:  # noqa: ANN001
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("q", ["(", '"', "http://x", "a AND", "\\", "[", "{", "*", "title:"])
def test_hostile_queries_answer_200(client, q: str) -> None:  # noqa: ANN001
    assert client.get("/api/search", query_string={"q": q}).status_code == 200
    assert client.get("/", query_string={"q": q}).status_code == 200


def test_search_page_renders_results_facets_and_pager(client) -> None:  # noqa: ANN001
    page = soup(client.get("/?q=politics OR election OR budget&op=or&per_page=2"))
    assert len(page.find_all("h1")) == 1
    assert page.find("label", attrs={"for": "q"}) is not None
    hits = page.select("ol.hits > li")
    assert len(hits) == 2 and hits[0].find("mark") is not None
    assert page.select_one('.pager a[aria-current="page"]').get_text(strip=True) == "1"
    facet_links = [a["href"] for a in page.select(".facet a")]
    assert any("tag=Politics" in href for href in facet_links)
    assert "Wikinews" in page.select_one("footer").get_text()


def test_facet_link_filters_and_shows_selection(client) -> None:  # noqa: ANN001
    page = soup(client.get("/?q=&tag=Sport"))
    assert [li.find("h2").get_text(strip=True) for li in page.select("ol.hits > li")] == [
        "Local team wins the cup"
    ]
    selected = page.select('.facet a[aria-pressed="true"]')
    assert [a.get_text(" ", strip=True).split()[1] for a in selected] == ["Sport"]


def test_bad_parameter_on_html_page_is_a_400_page(client) -> None:  # noqa: ANN001
    response = client.get("/?page=-3")
    assert response.status_code == 400 and "text/html" in response.content_type
    assert "page" in response.get_data(as_text=True)


def test_healthz(client) -> None:  # noqa: ANN001
    assert client.get("/healthz").get_json() == {"status": "ok", "docs": 12}


def test_missing_index_is_503_not_500(tmp_path) -> None:  # noqa: ANN001
    from webui import create_app

    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/api/search?q=x")
    assert (
        response.status_code == 503 and response.get_json()["error"]["code"] == "index_unavailable"
    )
    assert client.get("/healthz").status_code == 503
