"""Positions read for phrase checks (`indexer.whoosh.postings.read_values`) equal the
values Whoosh's own matcher gives, whichever blocks the wanted documents fall in."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from whoosh import index
from whoosh.fields import ID, TEXT, Schema

from indexer.whoosh.posting_blocks import DirectoryCache
from indexer.whoosh.postings import read_values


def _index(path: Path, segments: int) -> index.Index:
    """About 900 documents holding ``common`` at varying places (several 128-posting
    blocks per segment), written as ``segments`` segments."""
    ix = index.create_in(str(path), Schema(id=ID(stored=True), body=TEXT(phrase=True)))
    rng = random.Random(5)
    number = 0
    for _ in range(segments):
        writer = ix.writer()
        for _ in range(900 // segments):
            words = rng.randint(0, 300)
            filler = " ".join(rng.choice(["alpha", "beta", "gamma"]) for _ in range(words))
            writer.add_document(id=str(number), body=f"{filler} common {filler} common")
            number += 1
        writer.commit(merge=segments == 1)
    return ix


def _whoosh_values(reader: object, wanted: list[int]) -> dict[int, bytes]:
    """Every (global document, value) of ``common`` by Whoosh's matcher, for ``wanted``."""
    matcher = reader.postings("body", "common")  # type: ignore[attr-defined]
    found = {}
    while matcher.is_active():
        if matcher.id() in wanted:
            found[matcher.id()] = matcher.value()
        matcher.next()
    return found


@pytest.mark.parametrize("segments", [1, 3])
def test_values_of_wanted_documents_equal_whooshs(tmp_path: Path, segments: int) -> None:
    ix = _index(tmp_path, segments)
    rng = random.Random(9)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        total = reader.doc_count_all()
        cache = DirectoryCache(10_000)
        for size in (1, 3, 40, total):
            wanted = sorted(rng.sample(range(total), size))
            expected = _whoosh_values(reader, wanted)
            assert len(expected) == size
            vector = np.asarray(wanted, dtype=np.int64)
            assert read_values(reader, "body", b"common", vector) == expected
            assert read_values(reader, "body", b"common", vector, cache) == expected
        assert len(cache._entries) == segments  # each segment's directory kept for later


def test_unused_segments_are_not_read(tmp_path: Path) -> None:
    ix = _index(tmp_path, 3)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        cache = DirectoryCache(10_000)
        found = read_values(reader, "body", b"common", np.asarray([5, 7]), cache)
        assert sorted(found) == [5, 7]
        assert len(cache._entries) == 1  # only the first segment holds them
