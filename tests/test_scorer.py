"""`search.whoosh.scorer` finds exactly what Whoosh's matchers find, and scores as documented.

The one-pass scorer replaced Whoosh's ranking walk and the separate counting walk
(issue 7); these tests hold its matches to Whoosh itself on indexes with several
segments, deleted documents, phrases, wildcards, negations, field queries and date
ranges. Terms and phrases of one field score as Whoosh's BM25 (same idf); words
searched in the default fields score by BM25F (issue 13), which Whoosh's per-field
matchers cannot compute, so those scores are checked against a plain per-document
computation of the formula in `search.relevance` from Whoosh's reader.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.writing import NO_MERGE

from corpus import Article
from indexer import build_index
from indexer.whoosh.schema import build_schema, to_whoosh_date
from search import SearchRequest, SearchService
from search.relevance import DEFAULT_RANKING
from search.whoosh.facets import FacetTables
from search.whoosh.query import parse_query
from search.whoosh.ranking import ranked
from search.whoosh.scorer import EXACT_IDF_POSTINGS, QueryScorer, Unsupported
from search.whoosh.weighting import relevance_model

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


def test_matches_equal_whoosh_with_segments_and_deletions(segmented: Path) -> None:
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher(weighting=relevance_model()) as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) > 1 and reader.has_deletions()
        scorer = QueryScorer(reader)
        nonempty = 0
        for text in QUERIES:
            for op in ("and", "or"):
                parsed = parse_query(text, searcher.schema, op, datetime.now(UTC), reader)
                want = _whoosh_scores(searcher, parsed.query)
                assert set(scorer.scores(parsed.query)) == set(want), f"{text!r} {op}"
                nonempty += bool(want)
        assert nonempty >= 20  # the comparison is not between empty answers


#: Queries of single fields: scored exactly as Whoosh's BM25 (with the same idf).
FIELD_QUERIES = [
    wq.Term("body", "market"),
    wq.Term("title", "oil", boost=2.0),
    wq.Or([wq.Term("body", "oil"), wq.Term("title", "fed")]),
    wq.And([wq.Term("body", "gold"), wq.Not(wq.Term("body", "silver"))]),
    wq.Phrase("body", ["oil", "price"]),
    wq.Phrase("title", ["bank", "england"], slop=3),
    wq.AndNot(wq.Term("body", "trade"), wq.Term("title", "deficit")),
]


def test_single_field_scores_equal_whoosh(segmented: Path) -> None:
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher(weighting=relevance_model()) as searcher:
        scorer = QueryScorer(searcher.reader())
        for query in FIELD_QUERIES:
            want = _whoosh_scores(searcher, query)
            assert want, query
            _assert_same(want, scorer.scores(query), repr(query))


def _reference_bm25f(
    reader: object, words: list[str], params: object, exact_up_to: int = EXACT_IDF_POSTINGS
) -> dict[int, float]:
    """BM25F of ``words`` (each over title and body) per document, the slow way:
    postings walked one at a time, lengths asked per document (search.relevance)."""
    count = reader.doc_count_all()
    fields = ("title", "body")
    average = {f: (reader.field_length(f) / count) or 1.0 for f in fields}
    totals: dict[int, float] = {}
    for word in words:
        tf: dict[str, dict[int, float]] = {}
        for f in fields:
            tf[f] = {}
            if (f, word) in reader:
                postings = reader.postings(f, word)
                while postings.is_active():
                    if not reader.is_deleted(postings.id()):
                        tf[f][postings.id()] = postings.weight()
                    postings.next()
        holding = set(tf["title"]) | set(tf["body"])
        frequency = len(holding)
        if sum(reader.doc_frequency(f, word) for f in fields) > exact_up_to:
            # the largest document frequency of the fields (Lucene's CombinedFieldQuery),
            # as the lexicon counts it (deleted documents included)
            frequency = max(reader.doc_frequency(f, word) for f in fields)
        idf = math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))
        for doc in holding:
            combined = 0.0
            for f in fields:
                if doc in tf[f]:
                    b = params.field_b(f)
                    norm = 1 - b + b * reader.doc_field_length(doc, f) / average[f]
                    combined += params.weight(f) * tf[f][doc] / norm
            k1 = params.k1
            totals[doc] = totals.get(doc, 0.0) + idf * combined * (k1 + 1) / (combined + k1)
    return totals


def test_default_field_words_score_bm25f(segmented: Path) -> None:
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for params in (DEFAULT_RANKING, DEFAULT_RANKING.with_(k1=2.0, title_b=0.2)):
            scorer = QueryScorer(reader, params)
            for text, words in (("oil", ["oil"]), ("oil prices gold", ["oil", "price", "gold"])):
                query = parse_query(text, searcher.schema, "or", datetime.now(UTC), reader).query
                want = _reference_bm25f(reader, words, params)
                _assert_same(want, scorer.scores(query), text)


def test_common_words_take_the_largest_field_frequency_as_idf(
    segmented: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.whoosh.scorer as scorer_module

    monkeypatch.setattr(scorer_module, "EXACT_IDF_POSTINGS", 0)  # every word is "common"
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        scorer = QueryScorer(reader)
        query = parse_query("oil prices gold", searcher.schema, "or", datetime.now(UTC), reader)
        want = _reference_bm25f(reader, ["oil", "price", "gold"], DEFAULT_RANKING, 0)
        assert want != _reference_bm25f(reader, ["oil", "price", "gold"], DEFAULT_RANKING)
        _assert_same(want, scorer.scores(query.query), "largest frequency")


def test_a_repeated_word_counts_twice(segmented: Path) -> None:
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        scorer = QueryScorer(reader)
        once = scorer.scores(parse_query("oil gold", searcher.schema, "or", reader=reader).query)
        twice = parse_query("oil gold oil", searcher.schema, "or", reader=reader).query
        oil = scorer.scores(parse_query("oil", searcher.schema, "or", reader=reader).query)
        _assert_same({d: s + oil.get(d, 0.0) for d, s in once.items()}, scorer.scores(twice), "")


def test_a_small_cache_evicts_and_still_scores_the_same(segmented: Path) -> None:
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        roomy = QueryScorer(reader)
        scorer = QueryScorer(reader, cached_postings=50)
        for _ in range(2):
            for text in ("market", "oil prices", "gold silver trade"):
                query = parse_query(text, searcher.schema, "and", datetime.now(UTC), reader).query
                _assert_same(roomy.scores(query), scorer.scores(query), text)
        assert scorer._cached <= 50 or len(scorer._cache) == 1


def test_reading_only_the_blocks_of_the_matches_changes_nothing(
    segmented: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Words of a conjunction after the rarest, and the words scored for a few matches,
    are read only where the matches are (`SPARSE_READ`); forced on for every term, the
    matches are still Whoosh's and the scores those of whole posting lists."""
    import search.whoosh.scorer as scorer_module

    ix = whoosh_index.open_dir(str(segmented))
    texts = [*QUERIES, "market oil prices the bank", "happy gold trade deficit central rates"]
    with ix.searcher(weighting=relevance_model()) as searcher:
        reader = searcher.reader()
        whole = {}
        for text in texts:
            for op in ("and", "or"):
                parsed = parse_query(text, searcher.schema, op, datetime.now(UTC), reader)
                whole[text, op] = (parsed.query, QueryScorer(reader).scores(parsed.query))
        monkeypatch.setattr(scorer_module, "SPARSE_READ", 0)  # always the blocks only
        read_in_blocks = []
        whole_read = scorer_module.read_postings

        def counted(reader, fieldname, btext, wanted=None, directories=None):  # type: ignore[no-untyped-def]
            read_in_blocks.append(wanted is not None)
            return whole_read(reader, fieldname, btext, wanted, directories)

        monkeypatch.setattr(scorer_module, "read_postings", counted)
        shared = QueryScorer(reader)  # words cached by earlier queries are read whole
        for _ in range(2):
            for (text, op), (query, scores) in whole.items():
                for scorer in (QueryScorer(reader), shared):
                    _assert_same(scores, scorer.scores(query), f"{text!r} {op}")
                assert set(scores) == set(_whoosh_scores(searcher, query)), f"{text!r} {op}"
        assert sum(read_in_blocks) >= 20


def test_an_or_scored_over_the_whole_index_equals_scoring_per_document(
    segmented: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``Or`` of plain words asked for many documents is scored over each word's
    postings into one index-long vector (`bm25f.DENSE_SHARE`); forced on and off,
    the scores are the same, with boosts, single-field terms and other parts mixed in."""
    import search.whoosh.bm25f as bm25f_module

    ix = whoosh_index.open_dir(str(segmented))
    texts = [
        "oil OR prices OR gold",
        "oil^2 OR title:bank OR silver OR zzz",
        'oil OR "bank of england" OR pri* OR rates',
        "happy AND (fed OR rates OR trade)",
    ]
    with ix.searcher() as searcher:
        reader = searcher.reader()
        queries = [parse_query(text, searcher.schema, "or", reader=reader).query for text in texts]
        queries.append(wq.Or([wq.Term("body", "oil"), wq.Term("title", "gold", boost=1.5)]))
        answers = {}
        for share in (2.0, 0.0):  # never, always
            monkeypatch.setattr(bm25f_module, "DENSE_SHARE", share)
            answers[share] = [QueryScorer(reader).scores(query) for query in queries]
        for query, per_document, everywhere in zip(
            queries, answers[2.0], answers[0.0], strict=True
        ):
            assert per_document, query
            _assert_same(per_document, everywhere, repr(query))
        words = ["oil", "price", "gold"]
        _assert_same(_reference_bm25f(reader, words, DEFAULT_RANKING), answers[0.0][0], "ref")


def test_unsupported_nodes_are_refused_not_guessed(segmented: Path) -> None:
    ix = whoosh_index.open_dir(str(segmented))
    with ix.searcher() as searcher:
        scorer = QueryScorer(searcher.reader())
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


def test_date_ranges_filter_like_whoosh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whoosh filters dates through postings, which Broadsheet no longer writes: index them here.
    monkeypatch.setattr("indexer.whoosh.schema.COLUMN_ONLY_FIELDS", ("views", "dated"))
    build_index(_dated_articles(), tmp_path / "index")
    service = SearchService(tmp_path / "index")
    try:
        snapshot = service.served.current()
        searcher = snapshot.searcher
        tables = FacetTables.load(searcher.reader())
        scorer = QueryScorer(searcher.reader(), columns={"date": tables.stamps})
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


def test_whooshs_matchers_filter_dates_through_the_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query the scorer does not cover is matched by Whoosh; its date filters (the
    request's and the query's own) compare the date column, which is all the index has."""
    build_index(_dated_articles(), tmp_path / "index")
    service = SearchService(tmp_path / "index")
    after = datetime(2020, 6, 1, tzinfo=UTC)
    requests = [  # listed by date, which both ways share (their relevance scores differ)
        SearchRequest(q="oil OR gold", date_from=after, per_page=100, sort="oldest"),
        SearchRequest(q="market after:2021-01-01", op="or", per_page=100, sort="oldest"),
        SearchRequest(q="oil -after:2021-01-01", op="or", per_page=100, sort="oldest"),
        SearchRequest(q="", date_to=datetime(2020, 12, 31, tzinfo=UTC), per_page=100),
    ]
    try:
        by_scorer = [service.search(request) for request in requests]

        def refuse(self: QueryScorer, query: object, deadline: object = None) -> None:
            raise Unsupported("as if the query held a node the scorer cannot match")

        monkeypatch.setattr(QueryScorer, "evaluate", refuse)
        service.served._snapshot = None  # reopened: the tables and scorer anew
        for request, want in zip(requests, by_scorer, strict=True):
            got = service.search(request)
            assert want.total > 0, request.q
            assert got.total == want.total, request.q
            assert [h.id for h in got.hits] == [h.id for h in want.hits], request.q
    finally:
        service.close()


def test_service_pages_walk_the_scorers_order(tmp_path: Path) -> None:
    """Pages of the service follow the scores, ties by document number, and match
    the documents Whoosh's collectors find."""
    build_index(_dated_articles(), tmp_path / "index")
    service = SearchService(tmp_path / "index")
    try:
        snapshot = service.served.current()
        searcher = snapshot.searcher
        for text in ("oil", "gold prices", '"oil prices"', "market -gold"):
            parsed = parse_query(text, searcher.schema, "and", datetime.now(UTC))
            scores = snapshot.scorer.scores(parsed.query)
            order = sorted(scores, key=lambda doc: (-scores[doc], doc))
            want = [searcher.stored_fields(doc)["id"] for doc in order[:30]]
            whoosh_docs = {hit.docnum for hit in ranked(searcher, parsed.query, None, "relevance")}
            assert set(scores) == whoosh_docs, text
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

    from indexer.whoosh.postings import decode_positions

    fmt = Positions()
    rng = random.Random(3)
    for _ in range(2000):
        span = rng.choice((40, 300, 70_000, 5_000_000))
        positions = sorted(rng.sample(range(span), rng.randint(1, min(30, span))))
        value = fmt.encode(positions)
        for stored in (value, value.rstrip(b".")):  # with and without the pickle's STOP
            assert decode_positions(stored, fmt.decode_positions) == positions
