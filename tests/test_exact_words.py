"""Quoted words and phrases match the form typed, unstemmed (issue 13, item 3).

Unquoted words stay stemmed; an index built before schema version 5 (no unstemmed
fields) keeps answering quoted words with the stemmed fields until it is rebuilt.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from corpus import Article
from indexer import build_index
from indexer.whoosh.schema import article_to_document, build_schema
from search import SearchRequest, SearchService

ARTICLES = [
    Article(id="elected", title="Mayor elected", body="The council elected a new mayor today."),
    Article(id="election", title="Election day", body="Voters go to the polls for the election."),
    Article(id="elect", title="Parties meet", body="Members will elect a leader next week."),
    Article(id="officials", title="Town hall", body="Newly elected officials took their seats."),
    Article(id="official", title="Late news", body="Officials said an official was elected."),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    index = tmp_path_factory.mktemp("exact") / "index"
    build_index(ARTICLES, index)
    svc = SearchService(index)
    yield svc
    svc.close()


def ids(service: SearchService, q: str) -> set[str]:
    response = service.search(SearchRequest(q=q, collapse=False, per_page=50))
    return {hit.id for hit in response.hits}


def test_unquoted_words_stay_stemmed(service: SearchService) -> None:
    everything = {"elected", "election", "elect", "officials", "official"}
    assert ids(service, "elected") == everything
    assert ids(service, "elect") == everything


def test_a_quoted_word_matches_only_that_form(service: SearchService) -> None:
    assert ids(service, '"elected"') == {"elected", "officials", "official"}
    assert ids(service, '"election"') == {"election"}
    assert ids(service, '"elect"') == {"elect"}
    assert ids(service, '"ELECTED"') == {"elected", "officials", "official"}  # case folds


def test_a_quoted_phrase_is_exact_and_fields_apply(service: SearchService) -> None:
    assert ids(service, '"elected officials"') == {"officials"}
    assert ids(service, '"elected official"') == set()
    assert ids(service, 'title:"elected"') == {"elected"}
    assert ids(service, 'elect -"elected"') == {"election", "elect"}


def test_an_index_without_unstemmed_fields_answers_quoted_words_stemmed(tmp_path: Path) -> None:
    """Built with the version 4 schema (no ``*_exact`` fields): quoted words search the
    stemmed fields, as they did before."""
    schema = build_schema()
    for name in ("title_exact", "body_exact"):
        schema.remove(name)
    generation = tmp_path / "index" / "gen-1"
    generation.mkdir(parents=True)
    ix = whoosh_index.create_in(str(generation), schema)
    writer = ix.writer()
    for article in ARTICLES:
        document = article_to_document(article)
        writer.add_document(**{k: v for k, v in document.items() if k in schema})
    writer.commit()
    (tmp_path / "index" / "CURRENT").write_text("gen-1\n")
    old = SearchService(tmp_path / "index")
    try:
        assert ids(old, '"elected"') == {a.id for a in ARTICLES}
        assert ids(old, "elect") == {a.id for a in ARTICLES}
    finally:
        old.close()


def hit_of(service: SearchService, q: str, article_id: str):
    response = service.search(SearchRequest(q=q, collapse=False, per_page=50))
    return next(hit for hit in response.hits if hit.id == article_id)


def test_a_quoted_word_marks_only_that_form(service: SearchService) -> None:
    hit = hit_of(service, '"elected"', "official")
    assert hit.snippet.count("<mark>") == 1 and "<mark>elected</mark>" in hit.snippet
    stemmed = hit_of(service, "elected", "officials")
    assert "<mark>elected</mark>" in stemmed.snippet


def test_a_phrase_marks_the_phrase_not_its_words_elsewhere(service: SearchService) -> None:
    hit = hit_of(service, '"elected officials"', "officials")
    assert "<mark>elected officials</mark>" in hit.snippet
    assert hit.snippet.count("<mark>") == 1
    # Unquoted, each word is marked wherever it stands (stemmed).
    loose = hit_of(service, "elected officials", "official")
    assert loose.snippet.count("<mark>") == 3  # Officials, official, elected


def test_titles_are_highlighted_by_what_matched_in_them(service: SearchService) -> None:
    assert hit_of(service, "title:mayor", "elected").title_html == "<mark>Mayor</mark> elected"
    assert hit_of(service, "mayor", "elected").title_html == "<mark>Mayor</mark> elected"
    # A body-only search marks nothing in the title.
    assert hit_of(service, "body:mayor", "elected").title_html == "Mayor elected"
    assert hit_of(service, '"election day"', "election").title_html == "<mark>Election day</mark>"


def test_titles_are_escaped() -> None:
    from indexer.whoosh.schema import TEXT_ANALYZER
    from search.snippets import TermMatcher, highlight

    matcher = TermMatcher(frozenset({"tax"}), ())
    assert highlight("<b>Tax</b> & more", matcher, TEXT_ANALYZER) == (
        "&lt;b&gt;<mark>Tax</mark>&lt;/b&gt; &amp; more"
    )
