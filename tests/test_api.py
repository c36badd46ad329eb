"""The JSON API: every route's contract and every error, through Flask's test client."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from support import build_webui_index
from webui import SERVICE_KEY, create_app

API_KEYS = {"query", "total", "page", "per_page", "took_ms", "results", "facets", "suggestion"}
HIT_KEYS = {"id", "title", "url", "date", "source", "author", "tags", "views", "score", "snippet"}


@pytest.fixture(scope="module")
def webui_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extended test index (hostile markup, more elections)."""
    return build_webui_index(tmp_path_factory.mktemp("api") / "ix")


@pytest.fixture()
def wclient(webui_index: Path):
    """A test client over the extended index."""
    return create_app({"TESTING": True, "INDEX_DIR": str(webui_index)}).test_client()


def assert_error(response: TestResponse, status: int, code: str, param: str | None = None) -> dict:
    """The one JSON error shape, with CORS, never HTML."""
    assert response.status_code == status
    assert response.mimetype == "application/json"
    payload = response.get_json()
    assert set(payload) == {"error"} and set(payload["error"]) == {"code", "message", "param"}
    assert payload["error"]["code"] == code and payload["error"]["message"]
    assert payload["error"]["param"] == param
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return payload["error"]


def test_search_contract(client: FlaskClient) -> None:
    response = client.get("/api/search?q=election&per_page=1")
    assert response.status_code == 200 and response.is_json
    payload = response.get_json()
    assert API_KEYS <= set(payload)
    assert payload["total"] == 2 and payload["per_page"] == 1 and len(payload["results"]) == 1
    assert payload["total_exact"] is True and payload["pages"] == 2
    hit = payload["results"][0]
    assert HIT_KEYS <= set(hit)
    assert hit["date"].endswith("Z") and "<mark>" in hit["snippet"]
    assert hit["duplicates"] == 0 and hit["duplicate_ids"] == []
    for name in ("tags", "source", "year", "month"):
        assert all(set(v) == {"value", "count", "selected"} for v in payload["facets"][name])
    months = [v["value"] for v in payload["facets"]["month"]]
    assert months == sorted(months) and months[0] == "2023-12" and months[-1] == "2024-01"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_search_filters_by_tag_source_dates_and_month(client: FlaskClient) -> None:
    payload = client.get("/api/search?tag=Economy&tag=Education&source=Harbour+Times").get_json()
    assert {hit["id"] for hit in payload["results"]} == {"t-shipping", "t-budget-old"}
    payload = client.get("/api/search?from=2023-12-31&to=2023-12-31").get_json()
    assert [hit["id"] for hit in payload["results"]] == ["t-election-1"]
    payload = client.get("/api/search?month=2023-06").get_json()
    assert {hit["id"] for hit in payload["results"]} == {"t-climate-1", "t-climate-2"}


def test_cors_preflight_for_get(client: FlaskClient) -> None:
    response = client.options(
        "/api/search",
        headers={"Origin": "https://x.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


def test_article_route(wclient: FlaskClient) -> None:
    response = wclient.get("/api/articles/w-election-3")
    assert response.status_code == 200 and response.is_json
    article = response.get_json()
    assert article["id"] == "w-election-3" and "highest ever" in article["body"]
    assert article["date"] == "2024-01-02T09:00:00Z" and article["tags"] == [
        "Politics",
        "Elections",
    ]
    assert "origin" not in article  # no server file paths
    related = [hit["id"] for hit in article["related"]]
    assert related and "w-election-3" not in related
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_article_text_is_returned_as_plain_text(wclient: FlaskClient) -> None:
    article = wclient.get("/api/articles/w-xss").get_json()
    assert article["title"].startswith("<script>")  # JSON carries text; clients escape it


def test_article_not_found(client: FlaskClient) -> None:
    assert_error(client.get("/api/articles/nope"), 404, "not_found")


def test_suggest_opensearch_format(client: FlaskClient) -> None:
    response = client.get("/api/suggest?q=elec")
    assert response.status_code == 200
    assert response.mimetype == "application/x-suggestions+json" and response.is_json
    query, completions = response.get_json()
    assert query == "elec" and completions and all(c.startswith("elec") for c in completions)
    assert len(completions) <= 10
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/suggest").get_json() == ["", []]
    assert client.get("/api/suggest?q=zzzzzz").get_json() == ["zzzzzz", []]
    query, completions = client.get("/api/suggest?q=budget vo").get_json()
    assert query == "budget vo" and all(c.startswith("budget vo") for c in completions)


def test_suggest_too_long_is_400(client: FlaskClient) -> None:
    assert_error(
        client.get("/api/suggest", query_string={"q": "x" * 201}), 400, "invalid_parameter", "q"
    )


@pytest.mark.parametrize(
    ("query", "param", "code"),
    [
        ("page=abc", "page", "invalid_parameter"),
        ("page=0", "page", "invalid_parameter"),
        ("per_page=500", "per_page", "invalid_parameter"),
        ("per_page=0", "per_page", "invalid_parameter"),
        ("sort=sideways", "sort", "invalid_parameter"),
        ("op=xor", "op", "invalid_parameter"),
        ("year=20x5", "year", "invalid_parameter"),
        ("month=2023-13", "month", "invalid_parameter"),
        ("collapse=maybe", "collapse", "invalid_parameter"),
        ("from=not-a-date", "from", "invalid_date"),
        ("to=31/31/2023", "to", "invalid_date"),
        ("page=100000", "page", "invalid_parameter"),
        ("page=101&per_page=100", "page", "invalid_parameter"),
    ],
)
def test_search_errors_have_one_json_shape(
    client: FlaskClient, query: str, param: str, code: str
) -> None:
    assert_error(client.get(f"/api/search?q=x&{query}"), 400, code, param)


def test_overlong_query_is_400(client: FlaskClient) -> None:
    response = client.get("/api/search", query_string={"q": "word " * 2001})
    error = assert_error(response, 400, "invalid_parameter", "q")
    assert "longer than" in error["message"]


def test_unknown_route_and_method(client: FlaskClient) -> None:
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.post("/api/search"), 405, "method_not_allowed")


def test_unexpected_failure_is_json_500_not_html(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(request):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(app.extensions[SERVICE_KEY], "search", boom)
    response = app.test_client().get("/api/search?q=x")
    error = assert_error(response, 500, "internal_error")
    assert "kaputt" not in error["message"]


@pytest.mark.parametrize("q", ["(", '"', "http://x", "a AND", "\\", "[", "{", "*", "title:", "<b>"])
def test_hostile_queries_answer_200(client: FlaskClient, q: str) -> None:
    assert client.get("/api/search", query_string={"q": q}).status_code == 200
    assert client.get("/", query_string={"q": q}).status_code == 200


def test_missing_index_is_503_in_the_error_shape(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    for path in ("/api/search?q=x", "/api/articles/x", "/api/suggest?q=ab"):
        assert_error(client.get(path), 503, "index_unavailable")


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/search?q=budget&fields=title", "fields"),
        ("/api/search?q=budget&format=csv", "format"),
        ("/api/suggest?q=bud&limit=3", "limit"),
        ("/api/articles/t-budget-title?format=csv", "format"),
    ],
)
def test_unknown_parameters_are_a_400_naming_them(
    client: FlaskClient, path: str, param: str
) -> None:
    """Issue 18: a parameter the API does not know is an error, not silently ignored."""
    answer = client.get(path)
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": {
            "code": "unknown_parameter",
            "message": answer.get_json()["error"]["message"],
            "param": param,
        }
    }
    assert repr(param) in answer.get_json()["error"]["message"]
    assert client.get("/?q=budget&format=csv").status_code == 200  # the page ignores them
