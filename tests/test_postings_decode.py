"""Posting blocks read from their bytes (issue 19: broad queries decode millions of postings):
the same ids and weights as Whoosh's own matchers, whatever the block holds."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus import Article
from indexer import build_index, current_generation
from indexer.whoosh import posting_blocks, postings
from indexer.whoosh.storage import open_mapped_index

DELTA = st.one_of(st.integers(0, 255), st.integers(256, 70_000), st.integers(70_000, 2**31 - 1))
WEIGHTS = st.one_of(
    st.none(),
    st.floats(0.5, 1000, allow_nan=False),
    st.lists(st.floats(0, 1000, allow_nan=False, width=32), min_size=1),
)


def expected(deltas: list[int], weights: object) -> tuple[np.ndarray, np.ndarray]:
    ids = np.cumsum(np.array(deltas, dtype=np.int64))
    if weights is None:
        return ids, np.ones(len(deltas))
    if isinstance(weights, float):
        return ids, np.full(len(deltas), weights)
    return ids, np.array(weights, dtype=np.float64)


@settings(max_examples=300, deadline=None)
@given(deltas=st.lists(DELTA, min_size=1, max_size=300), weights=WEIGHTS, data=st.data())
def test_a_block_parses_to_what_unpickling_gives_or_is_handed_back(
    deltas: list[int], weights: object, data: st.DataObject
) -> None:
    if isinstance(weights, list):
        weights = tuple((weights * len(deltas))[: len(deltas)])
    values = tuple(data.draw(st.binary(max_size=12)) for _ in deltas)
    raw = pickle.dumps((tuple(deltas), weights, values), 2)  # what W3 blocks hold
    want_ids, want_weights = expected(deltas, weights)
    for cut in sorted({len(raw), *data.draw(st.lists(st.integers(0, len(raw)), max_size=8))}):
        parsed = posting_blocks.parse_block(raw[:cut], len(deltas))
        if parsed is None:
            continue  # the caller decompresses the rest, or unpickles the whole block
        ids, found = parsed
        assert np.array_equal(ids, want_ids)
        assert np.array_equal(found, want_weights)
    if len(deltas) >= 4:  # the whole block of a usual layout is always parsed
        parsed = posting_blocks.parse_block(raw, len(deltas))
        assert parsed is not None
        ids, found = parsed
        assert np.array_equal(ids, want_ids) and np.array_equal(found, want_weights)


def walked(reader, field: str, term: bytes) -> tuple[list[int], list[float]]:  # type: ignore[no-untyped-def]
    matcher = reader.postings(field, term)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


@pytest.mark.parametrize("blocks", [128, 1024])
def test_read_postings_equals_whooshs_walk_over_segments_and_deletions(
    tmp_path: Path, blocks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indexer.whoosh import schema

    monkeypatch.setattr(schema, "POSTING_BLOCK", blocks)
    rng = random.Random(7)
    words = [f"w{n}" for n in range(60)]
    articles = [
        Article(
            id=f"d{n}",
            title=" ".join(rng.choices(words[:10], k=3)),
            # Zipf-like: a few words in nearly every article, many repeated, gaps of all sizes
            body=" ".join(rng.choices(words, weights=[1 / (i + 1) for i in range(60)], k=40)),
        )
        for n in range(3000)
    ]
    index_dir = tmp_path / "ix"
    build_index(articles, index_dir)
    generation = current_generation(index_dir)
    assert generation is not None
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(generation))
    with ix.writer() as writer:  # a second segment and deletions in the first
        for n in range(0, 3000, 7):
            writer.delete_by_term("id", f"d{n}")
        writer.add_document(id="extra", title="w1 w2", body="w1 w1 w3 w59")
    ix.close()
    mapped = open_mapped_index(generation)
    # Block directories kept between reads (a small cache, so some are dropped and
    # made again): the reads through them equal Whoosh's walk too.
    directories = postings.DirectoryCache(blocks=40)
    with mapped.searcher() as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) == 2
        for field in ("title", "body", "body_exact"):
            for term in reader.lexicon(field):
                ids, weights = postings.read_postings(reader, field, term, None, directories)
                live = [
                    (d, w)
                    for d, w in zip(*walked(reader, field, term), strict=True)
                    if not reader.is_deleted(d)
                ]
                assert ids.tolist() == [d for d, _ in live], (field, term)
                assert np.allclose(weights, [w for _, w in live]), (field, term)
                for size in (1, 5, 60, 600):  # only where some documents may be
                    wanted = np.array(sorted(rng.sample(range(3001), size)), dtype=np.int64)
                    keep = np.isin(ids, wanted)
                    for kept in (None, directories):
                        some, some_weights = postings.read_postings(
                            reader, field, term, wanted, kept
                        )
                        assert some.tolist() == ids[keep].tolist(), (field, term, size)
                        assert np.array_equal(some_weights, weights[keep]), (field, term, size)
        assert 0 < directories._held <= 40
    mapped.close()
