"""Posting lists read a block at a time, across segments, in global document numbers.

Whoosh's matchers hand out one posting per method call (``is_active``, ``id``,
``weight``, ``next``): most of a search's time went into those calls. Here a
term's whole posting list is read block by block from Whoosh 2.7.5's
``W3LeafMatcher`` (its decoded id and weight arrays), with each segment's
deletions applied and its document numbers shifted by the segment's offset.
Positions (posting values) are read only for phrase checks. Numeric columns
(dates, field lengths) are read whole into NumPy vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader

__all__ = ["live_documents", "read_numeric_column", "read_postings", "read_values"]


def _leaf(reader: IndexReader, fieldname: str, btext: bytes) -> tuple[object, frozenset[int]]:
    """The raw matcher of one segment's posting list and that segment's deleted documents."""
    matcher = reader.postings(fieldname, btext)
    deleted: frozenset[int] = frozenset()
    if isinstance(matcher, FilterMatcher):  # deletions: applied by the caller
        deleted = frozenset(reader.deleted_docs_set)
        matcher = matcher.child
    return matcher, deleted


def _blocks(matcher: object) -> list[tuple[Sequence[int], Sequence[float]]]:
    """Every (ids, weights) block of a posting list (one block for non-W3 matchers)."""
    if type(matcher) is not W3LeafMatcher:
        ids, weights = [], []
        while matcher.is_active():  # type: ignore[attr-defined]
            ids.append(matcher.id())  # type: ignore[attr-defined]
            weights.append(matcher.weight())  # type: ignore[attr-defined]
            matcher.next()  # type: ignore[attr-defined]
        return [(ids, weights)]
    blocks = []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        blocks.append((matcher._ids, matcher._weights))
        matcher._next_block()
    return blocks


def read_postings(
    reader: IndexReader, fieldname: str, btext: bytes
) -> tuple[list[int], list[float]]:
    """Live document numbers (ascending, global) holding ``btext`` in ``fieldname``
    and the term's weight (frequency) in each."""
    docs: list[int] = []
    weights: list[float] = []
    for leaf, offset in reader.leaf_readers():
        if fieldname not in leaf.schema or (fieldname, btext) not in leaf:
            continue
        matcher, deleted = _leaf(leaf, fieldname, btext)
        for ids, block_weights in _blocks(matcher):
            if deleted:
                kept = [i for i, doc in enumerate(ids) if doc not in deleted]
                docs.extend(offset + ids[i] for i in kept)
                weights.extend(block_weights[i] for i in kept)
            elif offset:
                docs.extend(offset + doc for doc in ids)
                weights.extend(block_weights)
            else:
                docs.extend(ids)
                weights.extend(block_weights)
    return docs, weights


def read_values(
    reader: IndexReader, fieldname: str, btext: bytes, wanted: np.ndarray
) -> dict[int, bytes]:
    """The encoded posting value (positions) of ``btext`` in ``fieldname`` for each
    document of ``wanted`` (ascending global numbers, all holding the term); decode
    with the field format's ``decode_positions``."""
    found: dict[int, bytes] = {}
    for leaf, offset in reader.leaf_readers():
        end = offset + leaf.doc_count_all()
        local = wanted[(wanted >= offset) & (wanted < end)] - offset
        if not len(local) or fieldname not in leaf.schema or (fieldname, btext) not in leaf:
            continue
        matcher, _ = _leaf(leaf, fieldname, btext)
        if type(matcher) is not W3LeafMatcher:
            keep = set(local.tolist())
            while matcher.is_active():  # type: ignore[attr-defined]
                doc = matcher.id()  # type: ignore[attr-defined]
                if doc in keep:
                    found[offset + doc] = matcher.value()  # type: ignore[attr-defined]
                matcher.next()  # type: ignore[attr-defined]
            continue
        while matcher.is_active():
            matcher._read_ids()
            ids = np.asarray(matcher._ids)
            hits = np.flatnonzero(np.isin(ids, local, assume_unique=True))
            if len(hits):
                matcher._read_values()
                for i in hits.tolist():
                    found[offset + int(ids[i])] = matcher._values[i]
            matcher._next_block()
    return found


def _leaf_column(column: object, count: int, default: int) -> np.ndarray:
    """One segment's numeric column as a vector (Whoosh stores it big-endian, fixed
    width; documents past the stored ones have the default)."""
    if isinstance(column, NumericColumn.Reader):
        stored = min(column._count, count)
        raw = column._dbfile.get(column._basepos, stored * column._fixedlen)
        values = np.frombuffer(raw, dtype=np.dtype(">" + column._typecode))
        found = np.full(count, default, dtype=values.dtype.newbyteorder("="))
        found[:stored] = values
        return found
    return np.array([column[d] for d in range(count)])  # type: ignore[index]


def read_numeric_column(
    readers: list[tuple[IndexReader, int]],
    get_column: Callable[[IndexReader], object | None],
    default: int,
) -> np.ndarray:
    """A numeric column over every segment of ``readers`` (``leaf_readers()``), in
    global document order; ``get_column(leaf)`` opens a segment's raw column reader
    (None: the segment has none, every document gets ``default``)."""
    parts = []
    for leaf, _ in readers:
        count = leaf.doc_count_all()
        column = get_column(leaf)
        if column is None:
            parts.append(np.full(count, default))
        else:
            parts.append(_leaf_column(column, count, default))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def live_documents(reader: IndexReader) -> np.ndarray:
    """The numbers of every document not deleted, ascending (segment by segment:
    ``MultiReader.all_doc_ids`` asks about deletion once per document)."""
    parts = []
    for leaf, offset in reader.leaf_readers():
        docs = np.arange(offset, offset + leaf.doc_count_all(), dtype=np.int64)
        if leaf.has_deletions():
            deleted = np.fromiter(leaf.deleted_docs_set, dtype=np.int64) + offset
            docs = docs[~np.isin(docs, deleted)]
        parts.append(docs)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
