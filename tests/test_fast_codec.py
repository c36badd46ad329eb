"""The indexing fast paths (issue 7) write what Whoosh writes, or read back the same.

Covered: `indexer.whoosh.codec_fast` (posting lists a term at a time), the
`indexer.whoosh.posting_pool` ``add_document`` (a field at a time) and
`indexer.whoosh.field_terms` (short fields without Token objects):

- with `exact_whoosh_bytes` on, every segment file equals the one Whoosh's own
  ``add_document`` and flush write through the same pool, byte for byte, also
  when the pool spills runs to disk;
- by default (smaller blocks: short ones uncompressed, shared position values,
  frequency-1 spelling postings), an unmodified Whoosh reader gets the same
  posting lists, term statistics, stored fields and scores as from an index
  written by plain Whoosh, and Broadsheet's search gives the same answers;
- `field_items` equals ``field.index`` for every field of the schema;
- the MinHash sketch equals its straightforward definition.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.qparser import MultifieldParser
from whoosh.system import pack_uint

from corpus import Article, ReadReport, read_paths
from indexer import build_index
from indexer.whoosh import field_terms, pipeline
from indexer.whoosh import fixes as whoosh_fixes
from indexer.whoosh.fixes import FastSegmentWriter
from indexer.whoosh.schema import article_to_document, build_schema, minhash_sketch
from search import SearchRequest, SearchService
from support import REPO

DEMO = REPO / "corpus" / "demo" / "wikinews_en_tosca.jsonl.gz"
QUERIES = ["oil prices", "election", '"prime minister"', "police OR fire", "storm -rain", "b*"]


def _articles() -> list[Article]:
    demo = list(itertools.islice(read_paths([str(DEMO)], ReadReport(), None), 600))
    long_body = " ".join(f"word{i % 300} market" for i in range(4000))
    odd = [
        Article(id="odd-1", title="Straße İstanbul Ünïcode", body="Ökonom dying 3.5 x.y " * 20),
        Article(id="odd-2", title="T", body="", tags=("A", "b c"), author="Jo Q. Public"),
        Article(id="odd-3", title="Long", body=long_body, views=12345, source="Wire"),
        Article(
            id="odd-4",
            title="Dated",
            body="the of and to a",
            date=datetime(1987, 3, 4, 5, 6, 7, tzinfo=UTC),
            tags=("Oil", "oil", "Markets"),
        ),
    ]
    return demo + odd


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return [article_to_document(article) for article in _articles()]


@contextmanager
def _writing(mode: str) -> Iterator[Callable[..., writing.SegmentWriter]]:
    """Writer code paths: "fast" (default bytes), "exact" (fast, Whoosh's bytes),
    "pool" (Broadsheet's pool with Whoosh's add_document and flush), "whoosh" (none).
    Yields the writer class to use; `build_index` (through `indexer.whoosh.pipeline`) uses it
    too while the block runs."""
    if mode == "whoosh":
        make: Callable[..., writing.SegmentWriter] = writing.SegmentWriter
    elif mode == "pool":
        make = functools.partial(FastSegmentWriter, fast_paths=False)
    else:
        make = FastSegmentWriter
    # FastText's shared position values are a fast-path choice too: off but in "fast".
    whoosh_fixes.exact_whoosh_bytes(mode != "fast")
    try:
        with mock.patch.object(pipeline, "FastSegmentWriter", make):
            yield make
    finally:
        whoosh_fixes.exact_whoosh_bytes(False)


def _segment(folder: Path, documents: list[dict[str, Any]], mode: str, pool_limit: int = 0) -> Path:
    """One segment of ``documents`` written by ``mode`` (see `_writing`) into ``folder``."""
    folder.mkdir()
    with _writing(mode) as make_writer:
        ix = whoosh_index.create_in(str(folder), build_schema())
        writer = make_writer(ix, limitmb=256)
        if pool_limit:
            writer.pool.limit = pool_limit
        for document in documents:
            writer.add_document(**document)
        writer.commit()
        ix.close()
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    """The segment's sub-files by name without the random segment id."""
    ix = whoosh_index.open_dir(str(folder))
    try:
        (segment,) = ix._segments()
        storage = segment.open_compound_file(ix.storage)
        return {
            name.replace(segment.segment_id(), ""): storage.open_file(name).read()
            for name in storage.list()
        }
    finally:
        ix.close()


def _postings(folder: Path) -> dict[tuple[str, bytes], tuple[Any, ...]]:
    """Every term's postings and statistics, as an unmodified Whoosh reader gives them."""
    ix = whoosh_index.open_dir(str(folder))
    out = {}
    try:
        with ix.reader() as reader:
            for fieldname, text in reader.all_terms():
                matcher = reader.postings(fieldname, text)
                postings = []
                while matcher.is_active():
                    postings.append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
                info = reader.term_info(fieldname, text)
                stats = (info.weight(), info.doc_frequency(), info.min_length())
                stats += (info.max_length(), info.max_weight(), info.min_id(), info.max_id())
                out[(fieldname, text)] = (postings, stats)
    finally:
        ix.close()
    return out


@pytest.mark.parametrize("pool_limit", [0, 300_000])
def test_exact_mode_writes_whooshs_bytes(
    tmp_path: Path, documents: list[dict[str, Any]], pool_limit: int
) -> None:
    fast = _files(_segment(tmp_path / "fast", documents, "exact", pool_limit))
    slow = _files(_segment(tmp_path / "slow", documents, "pool", pool_limit))
    assert sorted(fast) == sorted(slow)
    for name in slow:
        assert fast[name] == slow[name], name


def _merged(folder: Path, documents: list[dict[str, Any]], mode: str) -> Path:
    """Two segments of ``documents`` written and then merged into one by ``mode``'s writer."""
    folder.mkdir()
    half = len(documents) // 2
    with _writing(mode) as make_writer:
        ix = whoosh_index.create_in(str(folder), build_schema())
        for part in (documents[:half], documents[half:]):
            writer = make_writer(ix, limitmb=256)
            for document in part:
                writer.add_document(**document)
            writer.commit(merge=False)
        assert len(ix._segments()) == 2
        make_writer(ix).commit(optimize=True)  # reads both segments back (add_reader)
        ix.close()
    return folder


def test_exact_mode_merges_to_whooshs_bytes(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    fast = _files(_merged(tmp_path / "fast", documents, "exact"))
    slow = _files(_merged(tmp_path / "slow", documents, "pool"))
    assert sorted(fast) == sorted(slow)
    for name in slow:
        assert fast[name] == slow[name], name


def test_spilled_runs_read_back_the_same(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    # Not the same bytes: values shared in memory are copies after a spilled run.
    whole = _postings(_segment(tmp_path / "whole", documents, "fast"))
    spilled = _postings(_segment(tmp_path / "spilled", documents, "fast", pool_limit=200_000))
    assert whole == spilled


def test_default_mode_reads_back_like_plain_whoosh(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    fast_dir = _segment(tmp_path / "fast", documents, "fast")
    slow_dir = _segment(tmp_path / "slow", documents, "whoosh")
    fast, slow = _postings(fast_dir), _postings(slow_dir)
    assert set(fast) == set(slow)
    blocks = sum(1 for postings, _ in fast.values() if len(postings) > 128)
    assert blocks > 10  # long posting lists (several blocks) are covered
    for key, (postings, stats) in slow.items():
        if key[0].startswith("spell_"):
            # Whoosh keeps one document-0 posting per document holding the word.
            assert fast[key][0] == [(0, 1.0, pack_uint(1))], key
        else:
            assert fast[key] == (postings, stats), key
    assert _files(fast_dir)[".pst"] != _files(slow_dir)[".pst"]  # short blocks uncompressed
    fast_ix, slow_ix = whoosh_index.open_dir(str(fast_dir)), whoosh_index.open_dir(str(slow_dir))
    try:
        with fast_ix.searcher() as mine, slow_ix.searcher() as theirs:
            assert list(mine.all_stored_fields()) == list(theirs.all_stored_fields())
            parser = MultifieldParser(["title", "body"], fast_ix.schema)
            for text in QUERIES:
                query = parser.parse(text)
                found = [(hit.docnum, hit.score) for hit in mine.search(query, limit=50)]
                expected = [(hit.docnum, hit.score) for hit in theirs.search(query, limit=50)]
                assert found == expected, text
    finally:
        fast_ix.close()
        slow_ix.close()


def test_search_answers_are_unchanged(tmp_path: Path) -> None:
    articles = _articles()
    with _writing("fast"):
        build_index(articles, tmp_path / "fast", workers=1)
    with _writing("pool"):
        build_index(articles, tmp_path / "slow", workers=1)
    fast, slow = SearchService(tmp_path / "fast"), SearchService(tmp_path / "slow")
    try:
        for text in QUERIES + ["", "market word7", "istanbul"]:
            for sort in ("relevance", "newest", "views"):
                request = SearchRequest(q=text, sort=sort, per_page=20)
                mine, theirs = fast.search(request), slow.search(request)
                assert mine.total == theirs.total, text
                assert [h.id for h in mine.hits] == [h.id for h in theirs.hits], (text, sort)
                assert [h.snippet for h in mine.hits] == [h.snippet for h in theirs.hits]
                assert mine.facets == theirs.facets, text
                assert mine.suggestion == theirs.suggestion, text
    finally:
        fast.close()
        slow.close()


@pytest.mark.parametrize("exact", [False, True])
def test_field_items_equal_whoosh_index(documents: list[dict[str, Any]], exact: bool) -> None:
    schema = build_schema()
    extra = [
        {"views": -1, "dated": 0, "title_words": "a\tB  c\nA b", "id": "É/x y"},
        {"views": 2**40, "date": datetime(1970, 1, 1), "tag_exact": "X,y ,  z", "tag": "Q.R s"},
        {"title_words": "", "author": "", "source": "Wire Service"},
    ]
    memo: dict[Any, Any] = {}
    with mock.patch.object(field_terms, "EXACT", exact):
        for document in documents[:200] + extra:
            for name, value in document.items():
                field = schema[name]
                if field.indexed:
                    expected = list(field.index(value))
                    assert list(field_terms.field_items(memo, name, field, value)) == expected
                    again = list(field_terms.field_items(memo, name, field, value))
                    assert again == expected  # from the memo


def _reference_sketch(text: str) -> bytes:
    """The sketch's definition: MD5 of each distinct word 3-shingle, 32 bins of minima."""
    words = [w for w in __import__("re").findall(r"\w{2,}", text[:75000].lower())][:5000]
    shingles = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    if len(shingles) < 8:  # too short to sign by shingles: the exact text, hashed
        exact = " ".join(text.casefold().split())
        if not exact:
            return b""
        values = struct.unpack("<8I", hashlib.sha256(exact.encode()).digest())
        return struct.pack("<32I", *([v if v != 0xFFFFFFFF else 0xFFFFFFFE for v in values] * 4))
    bins = [0xFFFFFFFF] * 32
    for shingle in shingles:
        h = int.from_bytes(hashlib.md5(shingle.encode()).digest()[:8], "little")
        bins[h % 32] = min(bins[h % 32], h >> 32)
    return struct.pack("<32I", *bins)


def test_minhash_sketch_matches_its_definition() -> None:
    texts = [f"{a.title}\n{a.body}" for a in _articles()[:300]]
    texts += ["", "one two three", "Ünïcode straße İstanbul " * 40, "a b c d e f g h i j k l"]
    for text in texts:
        assert minhash_sketch(text) == _reference_sketch(text)
