"""The fast paths of issue 7 give exactly what the slow Whoosh paths they replace give.

Covered: `indexer.whoosh.fast_text.FastText` postings and spelling words against Whoosh's
``TEXT``; `indexer.whoosh.posting_pool.CompactPostingPool` order and spilling against a
plain sort; snippet matching through the candidate regex
against the analyzer itself (both stemmers); sentence splitting against the lookbehind
pattern it replaced; facet tables and counts on a small
index.
"""

from __future__ import annotations

import pickle
import random
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.analysis import LanguageAnalyzer, StandardAnalyzer
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.qparser import QueryParser

from corpus import Article, ReadReport, read_paths
from indexer import build_index, current_generation
from indexer.analysis import analysis_parts, english_analyzer, exact_analyzer
from indexer.whoosh.fast_text import FastText
from indexer.whoosh.posting_pool import CompactPostingPool
from search import SearchRequest, SearchService
from search.snippets import TermMatcher, find_matches, make_snippet
from search.whoosh.highlight import term_matcher
from support import ARTICLES

TEXTS = [
    "Shipping stopped at the U.S. ports; the u.s.a. and U.S.S.R. talks resumed.",
    "İstanbul and ISTANBUL, Straße: organizations organized the organizer's event.",
    "The the of and to a..b x.y *wild* 'quoted' dying lying tying vying",
    "International internal universities university added adding ads.",
    "",
    "a b c d e f g",
    "Elections: the election was elected; re-election of electors (electoral).",
]


def _random_text(rng: random.Random) -> str:
    words = [
        "market",
        "markets",
        "the",
        "U.S.",
        "oil",
        "prices",
        "priced",
        "Fed",
        "rates",
        "of",
        "and",
        "happy",
        "happiness",
        "running",
        "ran",
        "x.y",
        "é",
        "Ökonom",
        "co-operate",
        "1987",
        "3.5",
        "dying",
    ]
    return " ".join(rng.choice(words) for _ in range(rng.randint(0, 60)))


@pytest.mark.parametrize("analyzer", [english_analyzer(), LanguageAnalyzer("en")])
def test_fast_text_postings_equal_whoosh_text(analyzer: object) -> None:
    slow = TEXT(analyzer=analyzer, stored=True, spelling=True)
    fast = FastText(analyzer=analyzer, stored=True, spelling=True)
    rng = random.Random(7)
    for text in TEXTS + [_random_text(rng) for _ in range(300)]:
        assert list(fast.index(text)) == list(slow.index(text)), text
        assert list(fast.spellable_words(text)) == list(slow.spellable_words(text)), text


def test_fast_text_falls_back_for_other_formats() -> None:
    fast = FastText(analyzer=english_analyzer(), chars=True)
    slow = TEXT(analyzer=english_analyzer(), chars=True)
    assert list(fast.index(TEXTS[0])) == list(slow.index(TEXTS[0]))


def test_analysis_parts_only_for_plain_chains() -> None:
    assert analysis_parts(english_analyzer()) is not None
    assert analysis_parts(LanguageAnalyzer("en")) is not None
    assert analysis_parts(exact_analyzer()) is not None  # no stemmer: the word is its stem
    assert analysis_parts(TEXT().analyzer) is not None  # tokenize | lowercase | stop
    assert analysis_parts(StandardAnalyzer(stoplist=None)) is None  # no stop filter


@pytest.mark.parametrize("limit_mb", [1, 256])
def test_compact_pool_sorts_like_whoosh(tmp_path: Path, limit_mb: int) -> None:
    storage = FileStorage(str(tmp_path)).create()
    pool = CompactPostingPool(storage, None, limitmb=limit_mb)
    pool.limit = 2_000 if limit_mb == 1 else pool.limit  # force several spilled runs
    rng = random.Random(3)
    items = []
    for docnum in range(400):
        for term in rng.sample(range(300), 20):
            items.append(("body", f"t{term:03d}".encode(), docnum, 1.0, b"v%d" % docnum))
        items.append(("spell_body", b"word", 0, 1, None))  # repeated: kept once per run
    for item in items:
        pool.add(item)
    out = list(pool.iter_postings())
    expected = sorted(item for item in items if item[0] == "body")
    assert [p for p in out if p[0] == "body"] == expected
    spelled = [p for p in out if p[0] == "spell_body"]
    assert spelled and {p[1] for p in spelled} == {b"word"}
    if limit_mb == 256:
        assert len(spelled) == 1
    pool.cleanup()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".run"]


@pytest.mark.parametrize("analyzer", [english_analyzer(), LanguageAnalyzer("en")])
def test_snippet_matches_equal_analyzer_matches(analyzer: object) -> None:
    parser = QueryParser("body", Schema(body=TEXT(analyzer=analyzer)))
    queries = ["shipping", "u.s", "organization", "dying", "elect*", "*tion", "istanbul", "happy"]
    queries += ["oil prices", "market NOT fed", "ad?", "x.y", "1987"]  # phrases: test_exact_words
    rng = random.Random(5)
    bodies = TEXTS + [_random_text(rng) for _ in range(200)]
    for text in queries:
        matcher = term_matcher(parser.parse(text))
        for body in bodies:
            expected = [
                (t.startchar, t.endchar, t.text)
                for t in analyzer(body, chars=True, removestops=True, mode="index")
                if matcher.matches(t.text)
            ]
            assert find_matches(body, matcher, analyzer) == expected, (text, body)


def test_snippet_still_marks_stemmed_forms() -> None:
    matcher = TermMatcher(frozenset({"ship"}), ())
    snippet = make_snippet("Shipping resumed. Ships sailed.", matcher, english_analyzer())
    assert snippet.count("<mark>") == 2 and "<mark>Shipping</mark>" in snippet
    assert term_matcher(wq.Term("body", "x")).terms == frozenset({"x"})


def test_facets_and_collapse_on_a_small_index(tmp_path: Path) -> None:
    body = "Oil prices rose sharply today as traders weighed supply cuts and demand. " * 3
    articles = [
        Article(id="a", title="Oil up", body=body, tags=("Oil", "Markets"), source="Wire"),
        Article(id="b", title="Oil up again", body=body, tags=("Oil",), source="Other"),
        Article(id="c", title="Gold", body="Gold prices fell in quiet trading.", tags=("Gold",)),
    ]
    build_index(articles, tmp_path / "index")
    service = SearchService(tmp_path / "index")
    try:
        response = service.search(SearchRequest(q="prices"))
        tags = {value.value: value.count for value in response.facets["tags"]}
        assert response.total == 2  # a and b are one story
        assert tags == {"Oil": 1, "Markets": 1, "Gold": 1}
        flat = service.search(SearchRequest(q="prices", collapse=False, tags=("Oil",)))
        assert flat.total == 2
        assert {v.value: v.count for v in flat.facets["tags"]}["Gold"] == 1
        assert {v.value: v.count for v in flat.facets["source"]} == {"Wire": 1, "Other": 1}
    finally:
        service.close()


def test_tag_counts_of_many_and_of_few_documents_equal_a_gather(tmp_path: Path) -> None:
    """`FacetTables.count_values` and `holds_any` read a multi-valued facet over many
    documents by marking them and over few by gathering their values: the same
    counts and selections either way."""
    rng = random.Random(4)
    names = [f"T{n}" for n in range(12)]
    articles = [
        Article(id=f"d{n}", title=f"t {n}", body="words", tags=tuple(rng.sample(names, n % 4)))
        for n in range(80)
    ]
    build_index(articles, tmp_path / "index")
    service = SearchService(tmp_path / "index")
    try:
        tables = service.served.current().tables
        documents = len(tables.multi["tags"][0]) - 1
        for size in (1, 3, 9, 10, 40, documents):  # under and over one in DENSE_COUNT
            docs = np.array(sorted(rng.sample(range(documents), size)), dtype=np.int64)
            values, _ = tables.values_of("tags", docs)
            gathered = np.bincount(values, minlength=len(tables.names("tags")))
            assert tables.count_values("tags", docs).tolist() == gathered.tolist()
            numbers = sorted(rng.sample(range(1, len(tables.names("tags"))), 2))
            wanted = np.array(numbers, dtype=np.int64)
            holding = np.zeros(len(docs), dtype=bool)
            _, owners = tables.values_of("tags", docs)
            holding[owners[np.isin(values, wanted)]] = True
            assert tables.holds_any("tags", docs, wanted).tolist() == holding.tolist()
    finally:
        service.close()


def test_view_file_reads_like_bytesio() -> None:
    import io
    import pickle

    from indexer.whoosh.storage import ViewFile

    data = pickle.dumps({"a": [1, 2, 3]}) + b"line one\nline two\nlast"
    mine, theirs = ViewFile(memoryview(data)), io.BytesIO(data)
    assert pickle.load(mine) == pickle.load(theirs)
    assert mine.tell() == theirs.tell()
    assert mine.readline() == theirs.readline()
    assert list(mine) == list(theirs)
    for offset, whence in [(3, 0), (2, 1), (-4, 2), (100, 0)]:
        assert mine.seek(offset, whence) == theirs.seek(offset, whence)
        assert mine.read(5) == theirs.read(5)
    mine.seek(0)
    theirs.seek(0)
    target_a, target_b = bytearray(7), bytearray(7)
    assert mine.readinto(target_a) == theirs.readinto(target_b) and target_a == target_b
    assert mine.read() == theirs.read()


@pytest.mark.parametrize(
    "text",
    [
        'body:"oil prices"',
        'body:"the oil price"',
        'body:"u.s market"',
        'body:"markets"',
        'oil body:"prices"',
        'body:"prices" body:"oil priced"',
    ],
)
def test_phrase_and_exact_matches_equal_a_full_token_scan(text: str) -> None:
    """The candidate scan for phrases and exact words (gaps checked for indexed words)
    marks exactly what scanning every token marks."""
    from search.snippets import _all_tokens, _phrase_matches
    from search.whoosh.fields_query import ExactPlugin

    analyzer = english_analyzer()
    schema = Schema(body=TEXT(analyzer=analyzer), body_exact=TEXT(analyzer=exact_analyzer()))
    parser = QueryParser("body", schema)
    parser.add_plugin(ExactPlugin({"body": "body_exact"}))
    matcher = term_matcher(parser.parse(text))
    assert matcher.phrases or matcher.exact
    rng = random.Random(11)
    bodies = TEXTS + [_random_text(rng) for _ in range(300)]
    for body in bodies:
        tokens = _all_tokens(body, analyzer)
        expected = _phrase_matches(tokens, [True] * len(tokens), matcher)
        assert find_matches(body, matcher, analyzer) == expected, (text, body)


def test_indexes_that_name_fasttext_by_its_old_module_still_open(tmp_path: Path) -> None:
    """Indexes built before the Whoosh code moved to indexer/whoosh/ pickle their schema
    with ``indexer.analysis.FastText``; unpickling that name must give the class."""
    old_reference = b"cindexer.analysis\nFastText\n."  # pickle's GLOBAL opcode, protocol 0
    assert pickle.loads(old_reference) is FastText
    build_index(read_paths([ARTICLES], ReadReport()), tmp_path / "index")
    generation = current_generation(tmp_path / "index")
    toc = next(generation.glob("*.toc")).read_bytes()
    assert b"indexer.whoosh.fast_text" in toc  # new indexes name the new module


#: The sentence end of issue 3's snippets: a lookbehind tried at every position.
_LOOKBEHIND_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+|\n\s*\n")


def _lookbehind_sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _LOOKBEHIND_SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=list("ab .!?…\"'”’)\n\t"), max_size=40))
def test_sentences_split_where_the_lookbehind_splits(text: str) -> None:
    """The sentence scan that starts at the closing mark splits every text where the
    lookbehind pattern it replaced splits it."""
    from search.snippets import _sentences

    assert _sentences(text) == _lookbehind_sentences(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=list("aAbBoOpPsS.*- '9_"), max_size=60),
    st.sets(st.text(alphabet=list("abops9_"), min_size=1, max_size=4), min_size=1, max_size=4),
)
def test_lowered_candidate_scan_equals_the_general_one(text: str, stems: set[str]) -> None:
    """Over ASCII text, the scan that starts at the candidate letters (on the lowercased
    text) finds the same tokens as the case-insensitive lookahead scan."""
    from search.snippets import candidate_pattern

    parts = analysis_parts(english_analyzer())
    assert parts is not None
    candidates = candidate_pattern(TermMatcher(frozenset(stems), ()), parts.pattern)
    assert candidates is not None and candidates.lowered is not None
    general = [match.span() for match in candidates.general.finditer(text)]
    assert [match.span() for match in candidates.finditer(text)] == general
