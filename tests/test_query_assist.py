"""Query assistance through the search entry point, the API and the pages: did-you-mean,
corrected results ("Showing results for"), the words relaxed hits lack, completions."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from spelling_corpus import spelling_articles

from indexer import build_index
from indexer.generations import current_generation
from indexer.spelling_model import MODEL_NAME
from search import SearchRequest, SearchService


@pytest.fixture(scope="module")
def assist_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("assist") / "ix"
    build_index(spelling_articles(), index_dir)
    return index_dir


@pytest.fixture()
def svc(assist_index: Path) -> Iterator[SearchService]:
    service = SearchService(assist_index)
    yield service
    service.close()


@pytest.fixture()
def client(assist_index: Path):
    from webui import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(assist_index)}).test_client()


def search(svc: SearchService, q: str, **options: object):
    return svc.search(SearchRequest(q=q, **options))


@pytest.mark.parametrize(
    "q", ["hurricane season", "prime minister", "York Minster", "Kerry", "zzzz", "asdfgh"]
)
def test_no_suggestion_for_correct_queries_or_gibberish(svc: SearchService, q: str) -> None:
    response = search(svc, q)
    assert response.suggestion is None and response.corrected_query is None


def test_no_suggestion_when_the_correction_finds_fewer(svc: SearchService) -> None:
    # "hurricaine" finds the one misspelt article; under its tag "hurricane" finds none.
    typed = search(svc, "hurricaine", tags=("Typos",))
    assert typed.total == 1 and typed.suggestion is None
    # Without the filter the correction finds more, so it is offered.
    assert search(svc, "hurricaine").suggestion == "hurricane"


def test_two_word_correction_in_context(svc: SearchService) -> None:
    response = search(svc, "prime minster")
    # "minster" is a word of the archive: a suggestion, not an automatic correction.
    assert response.corrected_query is None
    assert response.suggestion == "prime minister"


def test_zero_hits_show_the_confident_correction(svc: SearchService) -> None:
    response = search(svc, "climat chnage")
    assert response.corrected_query == "climate change"
    assert response.total == 10 and response.suggestion is None
    assert {hit.title.split(" ")[0] for hit in response.hits} == {"Climate"}
    data = response.to_json_dict()
    assert data["query"] == "climat chnage" and data["corrected_query"] == "climate change"
    as_typed = search(svc, "climat chnage", correct=False)
    assert as_typed.corrected_query is None and as_typed.relaxed  # "climat" is a stem
    assert as_typed.suggestion == "climate change"


def test_quoted_phrases_operators_and_dates_stay_as_typed(svc: SearchService) -> None:
    quoted = search(svc, '"climat chnage"')
    assert quoted.suggestion is None and quoted.corrected_query is None
    dated = search(svc, "climat chnage date:2020")
    assert dated.corrected_query == "climate change date:2020" and dated.total == 10


def test_relaxed_hits_say_which_words_they_lack(svc: SearchService) -> None:
    response = search(svc, "kerry budget", per_page=50)
    assert response.relaxed
    missing = {hit.title.split(" ")[0]: hit.missing for hit in response.hits}
    assert missing["Senator"] == ("budget",) and missing["Prime"] == ("kerry",)
    assert any("without: kerry, budget" in notice for notice in response.notices)
    assert response.to_json_dict()["results"][0]["missing"] in (["budget"], ["kerry"])
    strict = search(svc, "kerry election")
    assert not strict.relaxed and all(hit.missing == () for hit in strict.hits)


def test_completion_follows_the_previous_word(svc: SearchService) -> None:
    assert svc.suggest("climate ch")[0] == "climate change"
    assert svc.suggest("chi")[0] == "China"  # alone, the more frequent word wins
    assert svc.suggest("new yo")[0] == "New York"
    assert svc.suggest("climate ")[0] == "climate change"
    assert svc.suggest("prime mi", 1) == ["prime minister"]
    assert svc.suggest("title:cli") == [] and svc.suggest("zzzzzz") == []


def test_a_generation_without_a_model_still_answers(tmp_path: Path, assist_index: Path) -> None:
    index_dir = tmp_path / "old"
    shutil.copytree(assist_index, index_dir)
    (current_generation(index_dir) / MODEL_NAME).unlink()
    service = SearchService(index_dir)
    try:
        response = service.search(SearchRequest(q="climat chnage"))
        assert response.relaxed and response.suggestion is None
        assert response.corrected_query is None
        assert service.search(SearchRequest(q="hurricane")).total == 12
        assert service.suggest("hurr") == ["hurricane"]  # title words, by frequency
    finally:
        service.close()


def test_page_shows_results_for_the_correction(client: FlaskClient) -> None:
    page = BeautifulSoup(client.get("/?q=climat+chnage").data, "html.parser")
    corrected = page.select_one("p.corrected")
    assert corrected is not None
    text = " ".join(corrected.get_text().split())
    assert text == "Showing results for climate change. Search instead for climat chnage."
    links = corrected.select("a")
    assert "q=climate+change" in links[0]["href"] and "correct=" not in links[0]["href"]
    assert "q=climat+chnage" in links[1]["href"] and "correct=0" in links[1]["href"]
    assert page.select_one("h1").get_text(strip=True) == "10 results for “climate change”"
    typed = BeautifulSoup(client.get(links[1]["href"]).data, "html.parser")
    assert typed.select_one("p.corrected") is None
    assert "climate change" in typed.select_one(".suggestion").get_text()


def test_page_shows_missing_words(client: FlaskClient) -> None:
    page = BeautifulSoup(client.get("/?q=kerry+budget&per_page=50").data, "html.parser")
    lines = {" ".join(p.get_text().split()) for p in page.select("ol.hits p.missing")}
    assert lines == {"Missing: budget", "Missing: kerry"}
    assert page.select_one("p.missing s") is not None
    notice = page.select_one(".notice.relaxed").get_text()
    assert "without: kerry, budget" in notice


def test_api_fields(client: FlaskClient) -> None:
    data = client.get("/api/search?q=climat+chnage").get_json()
    assert data["corrected_query"] == "climate change" and data["total"] == 10
    data = client.get("/api/search?q=climat+chnage&correct=0").get_json()
    assert data["corrected_query"] is None and data["suggestion"] == "climate change"
    assert client.get("/api/search?q=x&correct=maybe").status_code == 400
    assert client.get("/api/suggest?q=climate+ch").get_json()[1][0] == "climate change"
