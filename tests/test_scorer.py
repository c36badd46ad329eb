"""`search.scorer` finds exactly what Whoosh's matchers find, with the same scores.

The one-pass scorer replaced Whoosh's ranking walk and the separate counting walk
(issue 7); these tests hold it to Whoosh itself on indexes with several segments,
deleted documents, phrases, wildcards, negations, field queries and date ranges.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.writing import NO_MERGE

from corpus import Article
from indexer import build_index
from indexer.schema import build_schema, to_whoosh_date
from search import SearchRequest, SearchService
from search.facets import FacetTables
from search.query import parse_query
from search.ranking import ranked, relevance_model
from search.scorer import QueryScorer, Unsupported

WORDS = (
    "market markets the U.S. oil prices priced Fed rates of and happy happiness bank "
    "england central banks raised cut gold silver trade deficit"
).split()
QUERIES = [
    "market",
    "oil prices",
    "oil OR fed",
    "market -oil",
    "NOT rates",
    "pri*",
    "title:oil",
    '"oil prices"',
    '"bank of england"',
    '"prices oil"~3',
    '"oil"',
    "happy AND (fed OR rates)",
    "gold silver trade",
    "zzz",
    "",
]


def _text(rng: random.Random, size: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(size))


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A raw index of three segments and a fourth commit deleting some documents."""
    path = tmp_path_factory.mktemp("segmented")
    ix = whoosh_index.create_in(str(path), build_schema())
    rng = random.Random(11)
    for batch in range(3):
        writer = ix.writer()
        for n in range(80):
            writer.add_document(
                id=f"{batch}-{n}", title=_text(rng, 6), body=_text(rng, rng.randint(5, 60))
            )
        writer.commit(mergetype=NO_MERGE)
    writer = ix.writer()
    for n in range(0, 80, 7):
        writer.delete_by_term("id", f"1-{n}")
    writer.commit(mergetype=NO_MERGE)
    return path


def _whoosh_scores(searcher: object, query: wq.Query) -> dict[int, float]:
    """Whoosh's matches and scores. Its ``InverseMatcher`` (``NOT``) can hand out a
    deleted document when its child runs out on one (a 2.7.5 bug the scorer does not
    copy), so deleted documents are dropped from Whoosh's answer."""
    reader = searcher.reader()  # type: ignore[attr-defined]
    hits = searcher.search(query, limit=None)  # type: ignore[attr-defined]
    return {hit.docnum: hit.score for hit in hits if not reader.is_deleted(hit.docnum)}


def _assert_same(want: dict[int, float], got: dict[int, float], label: str) -> None:
    assert set(got) == set(want), label
    for doc, score in want.items():
        assert got[doc] == pytest.approx(score, rel=1e-9, abs=1e-12), (label, doc)


def test_scores_equal_whoosh_with_segments_and_deletions(segmented: Path) -> None:
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher(weighting=relevance_model()) as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) > 1 and reader.has_deletions()
        scorer = QueryScorer(reader, relevance_model())
        nonempty = 0
        for text in QUERIES:
            for op in ("and", "or"):
                parsed = parse_query(text, searcher.schema, op, datetime.now(UTC), reader)
                want = _whoosh_scores(searcher, parsed.query)
                _assert_same(want, scorer.scores(parsed.query), f"{text!r} {op}")
                nonempty += bool(want)
        assert nonempty >= 20  # the comparison is not between empty answers


def test_a_small_cache_evicts_and_still_scores_the_same(segmented: Path) -> None:
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher(weighting=relevance_model()) as searcher:
        reader = searcher.reader()
        scorer = QueryScorer(reader, relevance_model(), cached_postings=50)
        for _ in range(2):
            for text in ("market", "oil prices", "gold silver trade"):
                query = parse_query(text, searcher.schema, "and", datetime.now(UTC), reader).query
                _assert_same(_whoosh_scores(searcher, query), scorer.scores(query), text)
        assert scorer._cached <= 50 or len(scorer._cache) == 1


def test_unsupported_nodes_are_refused_not_guessed(segmented: Path) -> None:
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher() as searcher:
        scorer = QueryScorer(searcher.reader(), relevance_model())
        with pytest.raises(Unsupported):
            scorer.scores(wq.Or([wq.Term("body", "oil"), wq.Term("body", "gold")], minmatch=2))
        with pytest.raises(Unsupported):
            scorer.scores(wq.TermRange("body", "a", "c"))


def _dated_articles() -> list[Article]:
    rng = random.Random(5)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    articles = []
    for n in range(120):
        date = start + timedelta(days=rng.randint(0, 900)) if n % 9 else None
        articles.append(
            Article(id=f"d{n}", title=_text(rng, 5), body=_text(rng, 30), date=date, tags=())
        )
    return articles


def test_date_ranges_filter_like_whoosh(tmp_path: Path) -> None:
    build_index(_dated_articles(), tmp_path / "index")
    service = SearchService(tmp_path / "index")
    try:
        snapshot = service.served.current()
        searcher = snapshot.searcher
        tables = FacetTables.load(searcher.reader())
        scorer = QueryScorer(searcher.reader(), relevance_model(), {"date": tables.stamps})
        base = wq.Or([wq.Term("body", "oil"), wq.Term("body", "gold")])
        low, high = datetime(2020, 6, 1, tzinfo=UTC), datetime(2021, 3, 31, tzinfo=UTC)
        for start, end in ((low, high), (low, None), (None, high)):
            dates = wq.DateRange("date", to_whoosh_date(start), to_whoosh_date(end))
            want = set(searcher.docs_for_query(wq.And([base, dates])))
            got = scorer.restrict(scorer.evaluate(base).docs, dates)
            assert set(got) == want and want, (start, end)
            inside = scorer.scores(wq.And([base, dates]))  # a range inside the query
            assert set(inside) == want
    finally:
        service.close()


def test_service_pages_rank_like_whoosh_collectors(tmp_path: Path) -> None:
    build_index(_dated_articles(), tmp_path / "index")
    service = SearchService(tmp_path / "index")
    try:
        searcher = service.served.current().searcher
        for text in ("oil", "gold prices", '"oil prices"', "market -gold"):
            parsed = parse_query(text, searcher.schema, "and", datetime.now(UTC))
            want = [searcher.stored_fields(hit.docnum)["id"] for hit in
                    ranked(searcher, parsed.query, 30, "relevance")]  # fmt: skip
            got = []
            for page in (1, 2, 3):
                response = service.search(
                    SearchRequest(q=text, collapse=False, page=page, per_page=10)
                )
                got += [hit.id for hit in response.hits]
            assert got == want[: len(got)] and len(got) == min(30, response.total), text
    finally:
        service.close()


def test_positions_decode_like_whoosh_small_and_large_gaps() -> None:
    from whoosh.formats import Positions

    from search.postings import decode_positions

    fmt = Positions()
    rng = random.Random(3)
    for _ in range(2000):
        span = rng.choice((40, 300, 70_000, 5_000_000))
        positions = sorted(rng.sample(range(span), rng.randint(1, min(30, span))))
        value = fmt.encode(positions)
        for stored in (value, value.rstrip(b".")):  # with and without the pickle's STOP
            assert decode_positions(stored, fmt.decode_positions) == positions
