"""/api/timeline and the results page's comparison: one to five queries, the sixth
refused, the JSON in the OpenAPI document, the CSV's shape, and counts that agree with
/api/search."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from webui.openapi import openapi_document

URI = "urn:broadsheet:openapi"
QUERIES = ["election", "budget", "climate", "trade", "shipping", "football"]


def schema_problems(value: Any, pointer: str) -> list[str]:
    """Every way ``value`` breaks the OpenAPI document's schema at ``pointer``."""
    document = openapi_document()
    registry = Registry().with_resource(URI, Resource(document, DRAFT202012))
    validator = Draft202012Validator(
        {"$ref": f"{URI}#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(value)]


RESPONSE = "/paths/~1api~1timeline/get/responses/200/content/application~1json/schema"
ERROR = "/components/schemas/Error"


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
def test_one_to_five_queries_give_one_series_each(client: FlaskClient, number: int) -> None:
    queries = QUERIES[:number]
    answer = client.get("/api/timeline", query_string=[("q", q) for q in queries])
    assert answer.status_code == 200
    body = answer.get_json()
    assert schema_problems(body, RESPONSE) == []
    assert [series["q"] for series in body["series"]] == queries
    for series in body["series"]:
        assert len(series["counts"]) == len(series["shares"]) == len(body["periods"])
        searched = client.get("/api/search", query_string={"q": series["q"], "collapse": 0})
        assert sum(series["counts"]) + series["undated"] == searched.get_json()["total"]
        assert series["total"] == searched.get_json()["total"]
    assert sum(period["total"] for period in body["periods"]) == 11  # 12 articles, 1 undated


def test_a_sixth_query_is_refused_naming_q(client: FlaskClient) -> None:
    answer = client.get("/api/timeline", query_string=[("q", q) for q in QUERIES])
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"]["param"] == "q" and "5" in body["error"]["message"]
    assert schema_problems(body, ERROR) == []


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("interval=hour", "interval"),
        ("format=xml", "format"),
        ("page=2", "page"),
        ("from=2024-01-01&to=2023-01-01", "from"),
        ("year=abc", "year"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client: FlaskClient, query: str, param: str) -> None:
    answer = client.get(f"/api/timeline?q=budget&{query}")
    assert answer.status_code == 400 and answer.get_json()["error"]["param"] == param


def test_no_query_is_every_article_with_share_one(client: FlaskClient) -> None:
    body = client.get("/api/timeline?interval=year").get_json()
    (series,) = body["series"]
    assert series["label"] == "All articles" and series["undated"] == 1
    assert [period["period"] for period in body["periods"]] == ["2021", "2022", "2023", "2024"]
    assert series["counts"] == [period["total"] for period in body["periods"]]
    assert series["shares"] == [1.0, 1.0, 1.0, 1.0]


def test_filters_apply_to_every_series(client: FlaskClient) -> None:
    body = client.get("/api/timeline?q=budget&q=election&interval=year&year=2023").get_json()
    assert [period["period"] for period in body["periods"]] == ["2021", "2022", "2023", "2024"]
    assert [series["counts"] for series in body["series"]] == [[0, 0, 2, 0], [0, 0, 1, 0]]


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # UTF-8 with a byte-order mark, for spreadsheets
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_has_one_row_per_period_and_count_share_columns(client: FlaskClient) -> None:
    answer = client.get("/api/timeline?q=budget&q=election&format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "timeline-budget-election-" in disposition
    rows = read_csv(answer.get_data(as_text=True))
    json_body = client.get("/api/timeline?q=budget&q=election").get_json()
    assert rows[0] == [
        "period", "start", "end", "all_articles",
        "budget count", "budget share", "election count", "election share",
    ]  # fmt: skip
    assert len(rows) == len(json_body["periods"]) + 1
    assert [row[0] for row in rows[1:]] == [p["period"] for p in json_body["periods"]]
    assert [int(row[4]) for row in rows[1:]] == json_body["series"][0]["counts"]
    assert [float(row[7]) for row in rows[1:]] == pytest.approx(json_body["series"][1]["shares"])


def test_csv_neutralises_formulas_in_query_labels(client: FlaskClient) -> None:
    answer = client.get("/api/timeline?q=%3Dbudget&q=%40vote&format=csv")
    rows = read_csv(answer.get_data(as_text=True))
    assert rows[0][4:6] == ["'=budget count", "'=budget share"]
    assert rows[0][6] == "'@vote count"


# -- the results page ----------------------------------------------------------------------


def page(client: FlaskClient, url: str) -> BeautifulSoup:
    answer = client.get(url)
    assert answer.status_code == 200
    return BeautifulSoup(answer.get_data(as_text=True), "html.parser")


def test_one_search_is_bars_that_narrow_the_dates(client: FlaskClient) -> None:
    found = page(client, "/?q=election&sort=newest&interval=month")
    svg = found.select_one("figure.timeline > svg")
    links = svg.find_all("a")
    assert len(links) == 2  # periods without a match are no link (nor a tab stop)
    assert links[0]["aria-label"].startswith("December 2023: 1 result (")
    assert "from=2023-12-01" in links[0]["href"] and "to=2023-12-31" in links[0]["href"]
    assert "sort=newest" in links[1]["href"]
    assert len(svg.select("rect.bar")) == 2 and not svg.select("g.series")
    rows = found.select("table.timeline-data tbody tr")
    assert len(rows) == 34  # April 2021 to January 2024, every month listed


def test_share_toggle_and_csv_link_keep_the_state(client: FlaskClient) -> None:
    found = page(client, "/?q=election&q=budget&tl=share&interval=year&per_page=5")
    assert found.select_one("figcaption").get_text().startswith("Share of all articles per year")
    current = found.select_one(".toggle a[aria-current]")
    assert current["data-timeline-mode"] == "share"
    counts_link = found.select_one("[data-timeline-mode=count]")["href"]
    assert "tl=" not in counts_link and counts_link.count("q=") == 2
    csv_link = found.select_one("a.csv")["href"]
    assert csv_link.startswith("/api/timeline?") and "format=csv" in csv_link
    assert "per_page" not in csv_link and "tl=" not in csv_link  # the API would refuse them
    assert client.get(csv_link).status_code == 200
    cells = [td.get_text() for td in found.select("table.timeline-data tbody tr")[2]("td")]
    assert cells == ["1 (14%)", "2 (29%)"]  # 2023: 1 and 2 of 7 articles


def test_five_searches_compared_and_no_sixth_box(client: FlaskClient) -> None:
    url = "/?" + "&".join(f"q={q}" for q in QUERIES[:5])
    found = page(client, url)
    series = found.select("figure.timeline > svg g.series")
    assert [g["data-series"] for g in series] == QUERIES[:5]
    dashes = [g.polyline.get("stroke-dasharray", "") for g in series]
    assert len(set(dashes)) == 5
    assert [li.select_one(".label").get_text() for li in found.select(".legend li")] == QUERIES[:5]
    assert found.select_one("form.compare") is None  # five is the most
    assert page(client, url + "&q=football").select("g.series")  # a sixth is left out
    assert "for “election”" in found.select_one("h1").get_text()


def test_direct_labels_stay_inside_the_chart_and_apart() -> None:
    from webui.timeline_chart import CHART_HEIGHT, _label_places

    for ends in ([0.0, 110.0, 110.0], [110.0] * 5, [0.0] * 5, [50.0, 52.0, 0.0, 110.0]):
        placed = _label_places(ends)
        assert all(12.0 <= y <= CHART_HEIGHT + 16 for y in placed), placed
        ordered = sorted(placed)
        assert all(b - a >= 13.0 for a, b in zip(ordered, ordered[1:], strict=False)), placed
