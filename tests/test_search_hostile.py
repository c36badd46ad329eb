"""No query text makes the search raise: 200+ fixed hostile queries and generated ones.
Also: a 2 MB body gets its snippet in bounded time."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import ReadReport, read_paths
from corpus.article import Article
from indexer import build_index
from search import SearchRequest, SearchService
from search.snippets import SNIPPET_CHARS
from support import DATA, HOSTILE_QUERY_PIECES, article_ids, assert_consistent_page

CORPUS = DATA / "search" / "corpus.jsonl"
#: Stored text full of markup: a snippet of it shows the markup escaped, never as tags.
MARKUP_ARTICLE = Article(
    id="markup",
    title="Volcano <b>report</b>",
    body="<script>alert('volcano')</script> The volcano & the harbour <img src=x onerror=1>.",
    date=datetime(2023, 6, 1, tzinfo=UTC),
    tags=("Science",),
    source="Daily Ledger",
    url="https://example.org/markup",
)
KNOWN_IDS = article_ids(CORPUS) | {MARKUP_ARTICLE.id}


_FIXED = [
    "",
    " ",
    "(",
    ")",
    '"',
    "a AND",
    "NOT",
    "OR OR",
    "AND OR NOT",
    "http://x",
    "https://example.org/a?b=c&d=e",
    "title:",
    "title:title:title:",
    "foo:bar",
    "*?",
    "\\",
    "[",
    "{",
    "x^",
    "~",
    "\x00",
    "the",
    "the of and a to",
    "é" * 5000,
    "volcano " * 2000,
    "x" * 10_000,
    '"' * 101,
    "(" * 500,
    ")" * 500,
    "date:[2024-01-01 to 2023-01-01]",
    "date:[garbage to junk]",
    'date:"next tuesday at noon in the year 40000"',
    "after:before:since:",
    "-" * 50,
    "*" * 50,
    "a* b* c* d* e* f* g* h* i* j*",
    "*a*b*c*d*",
    "title:[a TO z]",
    "tag:{a TO z}",
    '"unterminated phrase',
    '"phrase"~',
    '"phrase"~-3',
    "volcano^-1",
    "volcano~",
    "volcano~2",
    "NOT volcano",
    "-volcano",
    "-volcano -zebra -the",
    "🌋🌋🌋",
    "\u202eevil",
    "SELECT * FROM articles;",
    "<script>alert(1)</script>",
]


def _generated(count: int) -> list[str]:
    rng = random.Random(20240314)
    return [" ".join(rng.choices(HOSTILE_QUERY_PIECES, k=rng.randint(1, 8))) for _ in range(count)]


HOSTILE = _FIXED + _generated(200)


@pytest.fixture(scope="module")
def hostile_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    """The search corpus plus `MARKUP_ARTICLE` (built directly: the readers strip markup)."""
    articles = [*read_paths([CORPUS], ReadReport()), MARKUP_ARTICLE]
    index_dir = tmp_path_factory.mktemp("hostile") / "index"
    build_index(articles, index_dir)
    service = SearchService(index_dir)
    yield service
    service.close()


def _check(service: SearchService, q: str, op: str = "and") -> None:
    """A hostile query gets a consistent first page (`support.assert_consistent_page`)."""
    assert_consistent_page(service.search(SearchRequest(q=q, op=op)), KNOWN_IDS)


def test_there_are_at_least_200_hostile_queries() -> None:
    assert len(set(HOSTILE)) >= 200


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_query_never_raises(hostile_service: SearchService, q: str) -> None:
    _check(hostile_service, q)


@pytest.mark.parametrize("q", HOSTILE[:60])
def test_hostile_query_never_raises_with_or(hostile_service: SearchService, q: str) -> None:
    _check(hostile_service, q, op="or")


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.one_of(st.sampled_from(HOSTILE_QUERY_PIECES), st.text(max_size=12)), max_size=10)
)
def test_generated_queries_never_raise(hostile_service: SearchService, parts: list[str]) -> None:
    _check(hostile_service, " ".join(parts))


def test_two_megabyte_body_gets_a_snippet_in_bounded_time(tmp_path: Path) -> None:
    filler = "The committee reviewed routine paperwork and adjourned. " * 40_000
    body = "Opening words about harbours. " + filler + "The final paragraph mentions the zeppelin."
    assert len(body) > 2_000_000
    # Built from an Article directly: the JSONL reader would cut the body at 1 MB.
    article = Article(id="huge", title="A very long report", body=body)
    build_index([article], tmp_path / "index")
    service = SearchService(tmp_path / "index")
    try:
        for q in ("committee paperwork", "zeppelin", "report"):
            started = time.perf_counter()
            response = service.search(SearchRequest(q=q))
            elapsed = time.perf_counter() - started
            assert response.total == 1 and response.hits[0].snippet
            text = re.sub(r"<[^>]+>", "", response.hits[0].snippet)
            assert len(text) <= SNIPPET_CHARS + 4  # plus the "… " marks of a cut
            assert elapsed < 2.0, (q, elapsed)
        assert "<mark>" in service.search(SearchRequest(q="committee")).hits[0].snippet
    finally:
        service.close()
