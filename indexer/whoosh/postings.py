"""Posting lists read a block at a time, across segments, in global document numbers.

Whoosh's matchers hand out one posting per method call (``is_active``, ``id``,
``weight``, ``next``): most of a search's time went into those calls. Here a
term's whole posting list is read in one piece from Whoosh 2.7.5's W3 postings file,
with each segment's deletions applied and its document numbers shifted by the
segment's offset. Each block is a length, a pickled info tuple and the pickled
(usually compressed) tuple ``(ids, weights, values)``; the values (positions, one
pickled string per posting) make up most of it and cost most to unpickle, and a
search needs only ids and weights. So a block is inflated only as far as its ids
and weights reach, and those are read from the pickle's bytes as vectors
(`indexer.whoosh.posting_blocks`); any other layout is unpickled whole. Positions (posting values)
are read only for phrase checks. Numeric columns (dates, field lengths) are read
whole into NumPy vectors.
"""

from __future__ import annotations

import functools
import pickle
import zlib
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, ReaderClosed, SegmentReader

from indexer.whoosh.posting_blocks import (
    BlockDirectory,
    DirectoryCache,
    as_arrays,
    decode_block,
    w3_directory,
)

__all__ = [
    "BlockDirectory",
    "DirectoryCache",
    "decode_positions",
    "live_documents",
    "read_numeric_column",
    "read_postings",
    "read_values",
    "w3_directory",
]


def _leaf(reader: IndexReader, fieldname: str, btext: bytes) -> tuple[Any, np.ndarray | None]:
    """The raw matcher of one segment's posting list and a mask of that segment's
    deleted documents (None when it has none): the caller drops them. Whoosh's own
    ``postings`` wraps the matcher in a ``FilterMatcher``, which steps one posting at
    a time past the deleted documents at the list's start (an update deletes whole
    runs of them); a segment reader's matcher is asked for directly instead."""
    deleted = reader.deleted_docs_set if reader.has_deletions() else None
    terms = getattr(reader, "_terms", None)
    if type(reader) is SegmentReader and terms is not None:
        if reader.is_closed:
            raise ReaderClosed
        matcher = terms.matcher(fieldname, btext, reader.schema[fieldname].format, scorer=None)
    else:
        matcher = reader.postings(fieldname, btext)
        if isinstance(matcher, FilterMatcher):
            matcher = matcher.child
    if not deleted:
        return matcher, None
    return matcher, _deleted_mask(deleted, reader.doc_count_all())


@functools.lru_cache(maxsize=16)
def _deleted_mask(deleted: frozenset[int], size: int) -> np.ndarray:
    """True at each deleted document of a segment of ``size`` documents (kept for
    the segment readers last asked about: their deleted sets are cached objects)."""
    mask = np.zeros(size, dtype=bool)
    mask[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = True
    mask.flags.writeable = False
    return mask


def _block_arrays(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """The current block's document ids and weights as vectors, decoded from the
    block's data without Whoosh's per-posting delta generator."""
    if matcher._data is None:
        matcher._read_data()
    return as_arrays(matcher._data[0], matcher._data[1], matcher._blocklength, matcher._byteids)


def _w3_blocks(
    matcher: W3LeafMatcher,
    wanted: np.ndarray | None = None,
    directory: BlockDirectory | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every (ids, weights) block of a W3 posting list, by its `BlockDirectory` (made
    here when not given). With ``wanted`` (ascending segment document numbers), only
    the blocks whose id range holds one of them are read and decoded."""
    if directory is None:
        directory = w3_directory(matcher)
    selected: Any = range(len(directory)) if wanted is None else _selected_blocks(directory, wanted)
    postfile = matcher._postfile
    starts, sizes = directory.starts, directory.sizes
    counts, compressed = directory.counts, directory.compressed
    for block in selected:
        data = postfile.get(int(starts[block]), int(sizes[block]))
        yield decode_block(data, int(counts[block]), bool(compressed[block]))


def _directory(
    matcher: W3LeafMatcher, directories: DirectoryCache | None, key: tuple[Any, ...]
) -> BlockDirectory:
    """The block directory of ``matcher``'s list: kept in ``directories`` under ``key``,
    else made from its block headers (and kept)."""
    directory = directories.get(key) if directories is not None else None
    if directory is None:
        directory = w3_directory(matcher)
        if directories is not None:
            directories.put(key, directory)
    return directory


def _selected_blocks(directory: BlockDirectory, wanted: np.ndarray) -> list[int]:
    """The blocks whose id range may hold one of ``wanted`` (ascending segment numbers):
    for each, the first block whose last id is at or past it."""
    at = np.searchsorted(directory.lasts, wanted)
    selected: list[int] = np.unique(at[at < len(directory)]).tolist()
    return selected


def _blocks(
    matcher: Any,
    wanted: np.ndarray | None = None,
    directories: DirectoryCache | None = None,
    key: tuple[Any, ...] = (),
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every (ids, weights) block of a posting list (one block for non-W3 matchers);
    with ``wanted`` (ascending segment numbers), W3 blocks holding none of them may be
    left out. A W3 list's directory is kept in ``directories`` under ``key``."""
    if type(matcher) is W3LeafMatcher and not matcher._byteids:
        yield from _w3_blocks(matcher, wanted, _directory(matcher, directories, key))
        return
    if type(matcher) is not W3LeafMatcher:
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
        return
    while matcher.is_active():
        yield _block_arrays(matcher)
        matcher._next_block()


def read_postings(
    reader: IndexReader,
    fieldname: str,
    btext: bytes,
    wanted: np.ndarray | None = None,
    directories: DirectoryCache | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Live document numbers (ascending, global) holding ``btext`` in ``fieldname``
    and the term's weight (frequency) in each; with ``wanted`` (ascending global
    numbers), only those of them, reading only the blocks that may hold them.
    ``directories`` keeps each list's block directory for later reads (one cache
    per reader: keys are segment offsets)."""
    docs: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for leaf, offset in reader.leaf_readers():
        local = None
        if wanted is not None:
            end = offset + leaf.doc_count_all()
            local = wanted[(wanted >= offset) & (wanted < end)] - offset
            if not len(local):
                continue
        if fieldname not in leaf.schema or (fieldname, btext) not in leaf:
            continue
        matcher, deleted = _leaf(leaf, fieldname, btext)
        key = (offset, fieldname, btext)
        blocks = list(_blocks(matcher, local, directories, key))
        if not blocks:
            continue
        if len(blocks) == 1:
            ids, block_weights = blocks[0]
        else:  # the segment's blocks joined, then filtered once
            ids = np.concatenate([block[0] for block in blocks])
            block_weights = np.concatenate([block[1] for block in blocks])
        if local is not None:  # membership by binary search: ``local`` is sorted
            at = np.minimum(np.searchsorted(local, ids), len(local) - 1)
            kept = local[at] == ids
            ids, block_weights = ids[kept], block_weights[kept]
        if deleted is not None:
            kept = ~deleted[ids]
            ids, block_weights = ids[kept], block_weights[kept]
        docs.append(ids + offset if offset else ids)
        weights.append(block_weights)
    if not docs:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if len(docs) == 1:
        return docs[0], weights[0]
    return np.concatenate(docs), np.concatenate(weights)


def read_values(
    reader: IndexReader,
    fieldname: str,
    btext: bytes,
    wanted: np.ndarray,
    directories: DirectoryCache | None = None,
) -> dict[int, bytes]:
    """The encoded posting value (positions) of ``btext`` in ``fieldname`` for each
    document of ``wanted`` (ascending global numbers, all holding the term); decode
    with the field format's ``decode_positions``. Of a W3 list, only the blocks that
    may hold one of them are read (by its block directory, kept in ``directories``)."""
    found: dict[int, bytes] = {}
    for leaf, offset in reader.leaf_readers():
        end = offset + leaf.doc_count_all()
        local = wanted[(wanted >= offset) & (wanted < end)] - offset
        if not len(local) or fieldname not in leaf.schema or (fieldname, btext) not in leaf:
            continue
        matcher, _ = _leaf(leaf, fieldname, btext)
        if type(matcher) is not W3LeafMatcher:
            keep = set(local.tolist())
            while matcher.is_active():
                doc = matcher.id()
                if doc in keep:
                    found[offset + doc] = matcher.value()
                matcher.next()
            continue
        if matcher._byteids or not (matcher._fixedsize is None or matcher._fixedsize < 0):
            blocks = _matcher_value_blocks(matcher)
        else:
            directory = _directory(matcher, directories, (offset, fieldname, btext))
            blocks = _w3_value_blocks(matcher, _selected_blocks(directory, local), directory)
        for ids, values in blocks:
            hits = np.flatnonzero(np.isin(ids, local, assume_unique=True))
            for i in hits.tolist():
                found[offset + int(ids[i])] = values[i]
    return found


def _w3_value_blocks(
    matcher: W3LeafMatcher, selected: list[int], directory: BlockDirectory
) -> Iterator[tuple[np.ndarray, Any]]:
    """(ids, values) of the ``selected`` blocks of a W3 list whose values have no fixed
    size (positions: one encoded string per posting), each block unpickled whole."""
    postfile = matcher._postfile
    for block in selected:
        data = postfile.get(int(directory.starts[block]), int(directory.sizes[block]))
        if directory.compressed[block]:
            data = zlib.decompress(data)
        deltas, _, values = pickle.loads(data)
        yield np.cumsum(np.asarray(deltas, dtype=np.int64)), values


def _matcher_value_blocks(matcher: W3LeafMatcher) -> Iterator[tuple[np.ndarray, Any]]:
    """(ids, values) of every block of a W3 list, through Whoosh's own matcher."""
    while matcher.is_active():
        ids, _ = _block_arrays(matcher)
        matcher._read_values()
        yield ids, matcher._values
        matcher._next_block()


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


def decode_positions(value: bytes, fallback: Callable[[bytes], list[int]]) -> list[int]:
    """The positions in one encoded ``Positions`` posting value.

    Whoosh stores a big-endian count, then the pickle (protocol 2) of the list of
    position deltas. When every delta is under 256 (nearly always), the pickle is a
    fixed pattern of one-byte integers, read here by slicing; anything else goes to
    ``fallback`` (the format's own ``decode_positions``).
    """
    count = int.from_bytes(value[:4], "big")
    if count == 1 and value[9:10] == b"K" and value[11:12] == b"a":
        return [value[10]]
    end = 11 + 2 * count
    if value[9:11] == b"(K" and value[end : end + 1] == b"e" and value[10:end:2] == b"K" * count:
        return list(accumulate(value[11:end:2]))
    return fallback(value)
