"""Characteristic terms (`search.terms`, `search.whoosh.terms`, ``GET /api/terms``).

A small archive is built in ``tmp_path``: filler articles about many things, and
articles about a port strike that share planted words ("dockworkers", "Rotterdam")
and a planted phrase ("container terminal"). A search for the strike must find the
planted terms first, never stop words or its own words; the JSON answer must match
the OpenAPI document; bad parameters give the one JSON error shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from indexer import build_index
from indexer.analysis import analysis_parts, english_analyzer
from search import SearchRequest, SearchService
from search.terms import SampleCounts, TermsRequest, jlh, min_foreground
from support import terms_archive
from webui import create_app
from webui.openapi import openapi_document


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("terms") / "index"
    build_index(terms_archive(), folder)
    return folder


@pytest.fixture(scope="module")
def service(index_dir: Path) -> Iterator[SearchService]:
    found = SearchService(index_dir)
    yield found
    found.close()


@pytest.fixture(scope="module")
def client(index_dir: Path) -> Iterator[FlaskClient]:
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})
    with app.test_client() as test_client:
        yield test_client


def test_the_planted_words_and_phrase_come_first(service: SearchService) -> None:
    found = service.terms(TermsRequest(SearchRequest(q="strike", collapse=False)))
    assert found.matches == 12 and found.sample_size == 12
    top = [term.term for term in found.terms[:6]]
    assert {"dockworkers", "Rotterdam", "container terminal"} <= set(top)
    # "...stayed closed. Dockworkers said": no phrase across a full stop.
    assert "closed dockworkers" not in {term.term for term in found.terms}
    phrase = next(term for term in found.terms if term.term == "container terminal")
    assert phrase.kind == "phrase" and phrase.fg_count == 12 and phrase.bg_count == 12


def test_stop_words_numbers_and_the_query_words_are_left_out(service: SearchService) -> None:
    found = service.terms(TermsRequest(SearchRequest(q="strike port", collapse=False), limit=100))
    words = {word.lower() for term in found.terms for word in term.term.split()}
    assert words and not words & {"the", "and", "by", "in", "would", "strike", "port"}
    assert not any(word.isdigit() for word in words)


def test_a_term_must_be_in_enough_sampled_articles(service: SearchService) -> None:
    found = service.terms(TermsRequest(SearchRequest(q="strike", collapse=False), limit=100))
    floor = min_foreground(found.sample_size)
    assert found.terms and all(term.fg_count >= floor for term in found.terms)


def test_the_sample_is_bounded(service: SearchService) -> None:
    found = service.terms(TermsRequest(SearchRequest(q="report", collapse=False), sample=10))
    assert found.matches > 10 and found.sample_size == 10


def test_near_duplicates_count_once_when_the_search_collapses_them(
    service: SearchService,
) -> None:
    """The 12 strike reports are copies of one story: collapsed, they are one sampled
    article, too few for any term to stand out; counted apart, they are 12."""
    collapsed = service.terms(TermsRequest(SearchRequest(q="strike")))
    assert collapsed.matches == 12 and collapsed.sample_size == 1 and collapsed.terms == ()
    apart = service.terms(TermsRequest(SearchRequest(q="strike", collapse=False)))
    assert apart.sample_size == 12 and apart.terms


def test_a_word_is_shown_as_it_is_mostly_written() -> None:
    parts = analysis_parts(english_analyzer())
    assert parts is not None
    counts = SampleCounts(parts)
    for text in ("OPEC met in Vienna.", "OPEC cut output.", "The opec quota held."):
        counts.add(text)
    stems = parts.index_stems(["opec", "vienna"])
    assert counts.written_forms(set(stems)) == {stems[0]: "OPEC", stems[1]: "Vienna"}


def test_jlh_rewards_terms_more_frequent_than_usual() -> None:
    assert jlh(10, 20, 10, 1000) > jlh(10, 20, 100, 1000) > 0
    assert jlh(1, 20, 50, 1000) == 0.0  # rarer in the sample than in the archive


def schema_problems(document: dict[str, Any], name: str, value: Any) -> list[str]:
    validator = Draft202012Validator(document["components"]["schemas"][name])
    return [error.message for error in validator.iter_errors(value)]


def test_api_terms_matches_the_openapi_document(client: FlaskClient) -> None:
    response = client.get("/api/terms?q=strike&limit=5&collapse=0")
    assert response.status_code == 200
    body = response.get_json()
    assert schema_problems(openapi_document(), "TermsResponse", body) == []
    assert 3 <= len(body["terms"]) <= 5 and body["q"] == "strike"
    phrase = next(term for term in body["terms"] if term["kind"] == "phrase")
    assert phrase["search"] == 'strike "container terminal"'
    asked = {"q": phrase["search"], "collapse": "0"}
    refined = client.get("/api/search", query_string=asked).get_json()
    assert refined["total"] == 12


@pytest.mark.parametrize(
    ("query", "param"),
    [("q=strike&limit=0", "limit"), ("q=strike&sample=5", "sample"), ("q=x&bogus=1", "bogus")],
)
def test_api_terms_refuses_bad_parameters(client: FlaskClient, query: str, param: str) -> None:
    response = client.get(f"/api/terms?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["param"] == param and error["code"] and error["message"]


def test_background_counts_follow_a_rebuilt_index(tmp_path: Path) -> None:
    """Document frequencies are remembered per snapshot: a new generation counts anew."""
    folder = tmp_path / "index"
    archive = list(terms_archive())
    build_index(archive, folder)
    service = SearchService(folder, refresh_seconds=0)
    try:
        asked = TermsRequest(SearchRequest(q="strike", collapse=False))
        before = {term.term: term.bg_count for term in service.terms(asked).terms}
        holding = [a for a in archive if "dockworkers" in a.body.lower()]
        rest = [a for a in archive if "dockworkers" not in a.body.lower()]
        build_index(rest + holding[: len(holding) // 2], folder)
        after = {term.term: term.bg_count for term in service.terms(asked).terms}
    finally:
        service.close()
    assert before["dockworkers"] == len(holding) > 2
    assert after["dockworkers"] == len(holding) // 2
