"""The search time limit is real for every step of a search (issue 21, item 11).

Each step whose work grows with the query or the index stops at the request's
`Deadline`: wildcard expansion, matching (503 when nothing was matched), Whoosh's
ranking walk, snippets, did-you-mean, autocomplete and related articles. The unit
tests give a step an expired deadline and check that it stops and says so; the
others run the inputs that used to stall a worker (a did-you-mean over a lexicon of
60,000 words took 15 s per word) and check the answer comes within the limit.
"""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from search_helpers import SteppingClock, build_words_index
from whoosh import query as wq

from indexer.whoosh.schema import TEXT_ANALYZER
from search import SearchRequest, SearchService, SearchTimedOut
from search.deadline import Deadline
from search.facet_specs import FACET_NAMES
from search.snippets import make_snippet
from search.spelling import SpellingModel
from search.whoosh import expansion as whoosh_expansion
from search.whoosh.assist import corrected_text
from search.whoosh.facets import count_facets
from search.whoosh.highlight import term_matcher
from search.whoosh.lexicon import field_lexicon
from search.whoosh.query import parse_query
from search.whoosh.ranking import ranked
from support import build_from
from webui import create_app

LIMIT = 1.5
#: Seconds any answer below may take here: the limit plus one step's granularity.
BOUND = LIMIT + 1.5
NOW = datetime(2024, 1, 1, tzinfo=UTC)
#: The query of the review: ten runs of 95 letters (959 characters).
RUNS = " ".join(letter * 95 for letter in "spcmabtdfr")
#: Twenty plausible non-words (no runs, ordinary length): each needed the old lexicon walk.
GARBAGE = "qzkvbw xjqpzm vvkqzx zqxjkp wpqzvx kzqjxv jxqzkw pzqxjv qvzkxj xzqkjp " * 2


@pytest.fixture(scope="module")
def words_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 articles of random words in two segments: a 60,000-word lexicon."""
    return build_words_index(tmp_path_factory.mktemp("words"))


@pytest.fixture()
def small(small_index: Path) -> Iterator[SearchService]:
    service = SearchService(small_index)
    yield service
    service.close()


def expired() -> Deadline:
    return Deadline(0.0)


# -- the deadline itself -------------------------------------------------------------


def test_a_deadline_passes_and_records_what_stopped() -> None:
    clock = SteppingClock()
    deadline = Deadline(1.0, clock)
    assert not deadline.expired() and deadline.remaining() == 1.0
    assert list(deadline.until(range(5), "counting")) == [0, 1, 2, 3, 4]
    half = deadline.part(0.5)
    clock.advance(0.6)
    assert half.expired() and not deadline.expired()
    assert half.stop_here("wildcard expansion") and deadline.stopped == ["wildcard expansion"]
    clock.advance(0.5)
    assert list(deadline.until(range(5), "counting")) == []
    assert deadline.stopped == ["wildcard expansion", "counting"] and deadline.results_cut
    with pytest.raises(SearchTimedOut, match="matching"):
        deadline.check("matching")
    assert not Deadline.unlimited().expired()
    late = deadline.at_least(0.5)  # a step given half the limit although it has passed
    assert not late.expired() and late.remaining() == 0.5
    clock.advance(0.5)
    assert late.expired() and late.stop_here("matching") and "matching" in deadline.stopped


# -- each step stops at an expired deadline -------------------------------------------


def test_wildcard_expansion_stops_at_the_deadline(small: SearchService) -> None:
    snapshot = small.served.current()
    reader, schema = snapshot.searcher.reader(), snapshot.searcher.schema
    full = parse_query("elect*", schema, now=NOW, reader=reader)
    assert any(leaf.texts for leaf in full.query.leaves() if hasattr(leaf, "texts"))
    deadline = expired()
    cut = parse_query("elect*", schema, now=NOW, reader=reader, deadline=deadline)
    assert not any(leaf.texts for leaf in cut.query.leaves() if hasattr(leaf, "texts"))
    assert deadline.stopped == ["wildcard expansion"]


def test_matching_past_the_deadline_is_a_timeout(small: SearchService) -> None:
    scorer = small.served.current().scorer
    with pytest.raises(SearchTimedOut):
        scorer.evaluate(wq.Term("body", "elect"), expired())
    assert len(scorer.evaluate(wq.Term("body", "elect"), Deadline(None)).docs) == 2


def test_whoosh_ranking_walk_stops_at_the_deadline(small: SearchService) -> None:
    searcher = small.served.current().searcher
    deadline = expired()
    results = ranked(searcher, wq.Every(), 10, "newest", deadline=deadline)
    assert results.scored_length() == 0 and deadline.stopped == ["ranking"]
    whole = ranked(searcher, wq.Every(), 10, "newest", deadline=Deadline(None))
    assert whole.scored_length() == 10


def test_a_snippet_stops_at_the_deadline_with_the_best_window_so_far() -> None:
    body = "The oil price rose. " * 2000
    matcher = term_matcher(wq.Term("body", "oil"))
    deadline = expired()
    snippet = make_snippet(body, matcher, TEXT_ANALYZER, deadline)
    assert "<mark>oil</mark>" in snippet and deadline.stopped == ["snippets"]


def test_facets_past_the_deadline_are_left_empty_and_say_so(small: SearchService) -> None:
    snapshot = small.served.current()
    docs = snapshot.scorer.evaluate(wq.Every(), Deadline(None)).docs
    deadline = expired()
    counts = count_facets(snapshot.tables, docs, {}, FACET_NAMES, None, deadline)
    assert counts.total == 12 and all(values == () for values in counts.facets.values())
    assert deadline.stopped == ["facets"] and deadline.results_cut


def test_many_tags_list_the_same_top_values_as_a_full_count(tmp_path: Path) -> None:
    # 48 tags, six each of 8 counts, so ties straddle the 20th place: the listed values (counted
    # only down to the 20th count) equal a count of every tag, ties broken by name.
    lines = [
        json.dumps({"id": f"t{n}", "title": f"T {n}", "body": f"Body {n}.", "tags": tags})
        for n, tags in enumerate(
            [f"Tag{t:02d}" for t in range(48) if n % (t % 8 + 1) == 0] for n in range(60)
        )
    ]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    service = SearchService(build_from([tmp_path / "t.jsonl"], tmp_path / "ix"))
    try:
        listed = service.search(SearchRequest(q="", collapse=False)).facets["tags"]
        every = collections.Counter(tag for line in lines for tag in json.loads(line)["tags"])
    finally:
        service.close()
    expected = sorted(every.items(), key=lambda item: (-item[1], item[0].casefold()))[:20]
    assert [(value.value, value.count) for value in listed] == expected


def test_did_you_mean_stops_at_the_deadline(small: SearchService) -> None:
    snapshot = small.served.current()
    reader = snapshot.searcher.reader()
    parsed = parse_query("electoin", snapshot.searcher.schema, "and", NOW, reader)
    correction = corrected_text(SpellingModel.open(snapshot.generation), parsed)
    assert correction is not None and correction.text == "election"
    request = SearchRequest(q="electoin")
    unlimited = Deadline(None)
    assert small._suggest(snapshot, correction, request, 0, NOW, unlimited) == "election"
    deadline = expired()
    assert small._suggest(snapshot, correction, request, 0, NOW, deadline) is None
    assert deadline.stopped == ["did-you-mean"]


def test_autocomplete_and_related_articles_stop_at_the_limit(small_index: Path) -> None:
    service = SearchService(small_index, time_limit=0.0)
    try:
        assert service.get_article("t-budget-title") is not None  # one lookup: no limit
        assert service.related("t-budget-title") == ()
        assert service.suggest("el") == []
    finally:
        service.close()


def test_a_search_that_cannot_match_in_time_is_a_503(small_index: Path) -> None:
    service = SearchService(small_index, time_limit=0.0)
    try:
        with pytest.raises(SearchTimedOut):
            service.search(SearchRequest(q="election"))
    finally:
        service.close()
    client = create_app({"TESTING": True, "INDEX_DIR": str(small_index), "SEARCH_TIME_LIMIT": 0})
    answer = client.test_client().get("/api/search?q=election")
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "search_timeout"


# -- the inputs that stalled a worker, on a real lexicon ------------------------------


def timed(service: SearchService, q: str, **options: object) -> tuple[float, object]:
    started = time.perf_counter()
    response = service.search(SearchRequest(q=q, **options), now=NOW)
    return time.perf_counter() - started, response


@pytest.mark.parametrize("q", [RUNS, GARBAGE], ids=["letter-runs", "non-words"])
def test_did_you_mean_of_a_hostile_query_is_bounded(words_index: Path, q: str) -> None:
    service = SearchService(words_index, time_limit=LIMIT)
    try:
        seconds, response = timed(service, q)
    finally:
        service.close()
    assert seconds < BOUND, f"{seconds:.1f} s"
    assert response.total == 0 and response.total_exact  # the results are exact


def test_leading_wildcards_that_match_nothing_are_bounded(words_index: Path) -> None:
    q = " ".join(f"*{a}{b}{c}" for a in "qxj" for b in "zyx" for c in "qzjx")  # 36 wildcards
    service = SearchService(words_index, time_limit=LIMIT)
    try:  # Whoosh's walk of the lexicon (what runs while it is not held in memory)
        with pytest.MonkeyPatch.context() as patched:
            patched.setattr(whoosh_expansion, "field_lexicon", lambda *args: None)
            seconds, walked = timed(service, q, op="or")
    finally:
        service.close()
    assert seconds < BOUND, f"{seconds:.1f} s"
    assert walked.total_exact is False
    assert any("wildcard expansion" in notice for notice in walked.notices)
    service = SearchService(words_index, time_limit=LIMIT)
    try:  # the lexicon held (`search.whoosh.lexicon`): one regular-expression pass each
        reader = service.served.current().searcher.reader()
        assert field_lexicon(reader, "body") and field_lexicon(reader, "title")
        seconds, response = timed(service, q, op="or")
    finally:
        service.close()
    assert seconds < BOUND, f"{seconds:.1f} s"
    assert response.total == 0 and response.total_exact


def test_snippets_of_pathological_bodies_are_bounded(tmp_path: Path) -> None:
    lines = [
        f'{{"id": "p{n}", "title": "Report {n}", "body": "{"Oil. " * 9000}number {n}"}}\n'
        for n in range(10)
    ]
    (tmp_path / "p.jsonl").write_text("".join(lines), encoding="utf-8")
    service = SearchService(build_from([tmp_path / "p.jsonl"], tmp_path / "ix"), time_limit=LIMIT)
    try:
        seconds, response = timed(service, "oil", collapse=False)
    finally:
        service.close()
    assert seconds < BOUND, f"{seconds:.1f} s"
    assert response.total == 10 and response.total_exact and len(response.hits) == 10
    assert all(hit.snippet for hit in response.hits)
    assert any("snippets" in notice for notice in response.notices)


def test_ordinary_searches_are_not_cut(small: SearchService) -> None:
    response = small.search(SearchRequest(q="electoin"), now=NOW)
    assert response.suggestion == "election" and response.total_exact
    assert not any("stopped after" in notice for notice in response.notices)
