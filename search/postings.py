"""Posting lists read a block at a time, across segments, in global document numbers.

Whoosh's matchers hand out one posting per method call (``is_active``, ``id``,
``weight``, ``next``): most of a search's time went into those calls. Here a
term's whole posting list is read block by block from Whoosh 2.7.5's
``W3LeafMatcher`` (its decoded id and weight arrays), with each segment's
deletions applied and its document numbers shifted by the segment's offset.
Positions are decoded only for the documents asked for (phrase checks).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader

__all__ = ["read_positions", "read_postings"]


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


def read_positions(
    reader: IndexReader, fieldname: str, btext: bytes, wanted: Sequence[int]
) -> dict[int, Sequence[int]]:
    """Positions of ``btext`` in ``fieldname`` for the documents ``wanted`` (global
    numbers, ascending): only the blocks holding one of them are decoded."""
    found: dict[int, Sequence[int]] = {}
    if not wanted:
        return found
    decode = reader.schema[fieldname].format.decode_positions
    for leaf, offset in reader.leaf_readers():
        end = offset + leaf.doc_count_all()
        first = bisect_left(wanted, offset)
        if first == len(wanted) or wanted[first] >= end:
            continue
        if fieldname not in leaf.schema or (fieldname, btext) not in leaf:
            continue
        local = {doc - offset for doc in wanted[first : bisect_left(wanted, end)]}
        matcher, _ = _leaf(leaf, fieldname, btext)
        if type(matcher) is not W3LeafMatcher:
            while matcher.is_active():  # type: ignore[attr-defined]
                if matcher.id() in local:  # type: ignore[attr-defined]
                    found[offset + matcher.id()] = matcher.value_as("positions")  # type: ignore[attr-defined]
                matcher.next()  # type: ignore[attr-defined]
            continue
        while matcher.is_active():
            matcher._read_ids()
            hits = [i for i, doc in enumerate(matcher._ids) if doc in local]
            if hits:
                matcher._read_values()
                for i in hits:
                    found[offset + matcher._ids[i]] = decode(matcher._values[i])
            matcher._next_block()
    return found
