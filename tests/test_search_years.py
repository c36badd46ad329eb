"""Every year an article can have (0001 to 9999) works alike in facets, filters and
the query's date expressions (issue 21, "Also": the year facet showed 0001 while
``year=0001`` found nothing, and ``from=9999-01-01`` was a 400)."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from support import build_from
from webui import create_app

DATED = {
    "first": "0001-01-01T00:00:00Z",
    "middle": "0500-06-15T12:00:00Z",
    "last": "9999-12-31T00:00:00Z",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    folder = tmp_path_factory.mktemp("years")
    lines = [
        json.dumps(
            {"id": name, "title": f"The {name} chronicle", "body": f"Annals {name}.", "date": date}
        )
        for name, date in DATED.items()
    ]
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    index_dir = build_from([folder / "a.jsonl"], folder / "ix")
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()


def found(client: FlaskClient, query: str) -> set[str]:
    answer = client.get(f"/api/search?{query}")
    assert answer.status_code == 200, (query, answer.get_json())
    return {hit["id"] for hit in answer.get_json()["results"]}


def test_the_year_facet_names_every_year_and_selecting_it_finds_it(client: FlaskClient) -> None:
    facets = client.get("/api/search?q=chronicle").get_json()["facets"]
    years = {value["value"] for value in facets["year"]}
    assert years == {"0001", "0500", "9999"}
    for year, name in (("0001", "first"), ("1", "first"), ("0500", "middle"), ("9999", "last")):
        assert found(client, f"year={year}") == {name}, year
    months = {value["value"] for value in facets["month"]}
    assert {"0001-01", "9999-12"} <= months
    assert found(client, "month=0001-01") == {"first"} and found(client, "month=9999-12") == {
        "last"
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from=9999-01-01", {"last"}),
        ("from=9999", {"last"}),
        ("to=0001-12-31", {"first"}),
        ("from=0001-01-01&to=0001", {"first"}),
        ("from=0001&to=9999", {"first", "middle", "last"}),
        ("q=date:0001", {"first"}),
        ("q=date:9999", {"last"}),
        ("q=date:9999-12-31", {"last"}),
        ("q=before:0002", {"first"}),
        ("q=after:9998", {"last"}),
        ("q=since:0500-06", {"middle", "last"}),
        ("q=until:0500", {"first", "middle"}),
        ("q=date:%5B0001-01-01%20to%209999-12-31%5D", {"first", "middle", "last"}),
    ],
)
def test_date_filters_reach_the_first_and_the_last_year(
    client: FlaskClient, query: str, expected: set[str]
) -> None:
    assert found(client, query) == expected


@pytest.mark.parametrize(
    "expression",
    ["before:0001", "after:9999", 'date:"last 9999 years"', "date:0001-01-01T00:00:00+05:00"],
)
def test_dates_outside_the_years_in_the_query_are_ignored_with_a_notice(
    client: FlaskClient, expression: str
) -> None:
    answer = client.get("/api/search", query_string={"q": f"chronicle {expression}"})
    payload = answer.get_json()
    assert answer.status_code == 200 and payload["total"] == 3
    assert any("was ignored" in notice for notice in payload["notices"])


def test_the_atom_feed_writes_years_before_1000_in_rfc3339(client: FlaskClient) -> None:
    body = client.get("/search.atom?q=chronicle").get_data(as_text=True)
    assert "<updated>0001-01-01T00:00:00Z</updated>" in body
