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
(`_parse_block`); any other layout is unpickled whole. Positions (posting values)
are read only for phrase checks. Numeric columns (dates, field lengths) are read
whole into NumPy vectors.
"""

from __future__ import annotations

import io
import pickle
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader

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


class DirectoryCache:
    """Block directories (`BlockDirectory`) of one reader's posting lists, least
    recently used first out, holding at most ``blocks`` blocks in all (about 33
    bytes each); safe to share between threads."""

    def __init__(self, blocks: int) -> None:
        self.limit = blocks
        self._held = 0
        self._entries: OrderedDict[tuple[Any, ...], BlockDirectory] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> BlockDirectory | None:
        """The directory kept under ``key``, if any."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], directory: BlockDirectory) -> None:
        """Keep ``directory`` under ``key``, dropping the least recently used past the limit."""
        with self._lock:
            if key in self._entries or len(directory) > self.limit:
                return
            self._entries[key] = directory
            self._held += len(directory)
            while self._held > self.limit:
                _, dropped = self._entries.popitem(last=False)
                self._held -= len(dropped)


def _leaf(reader: IndexReader, fieldname: str, btext: bytes) -> tuple[Any, frozenset[int]]:
    """The raw matcher of one segment's posting list and that segment's deleted documents."""
    matcher = reader.postings(fieldname, btext)
    deleted: frozenset[int] = frozenset()
    if isinstance(matcher, FilterMatcher):  # deletions: applied by the caller
        deleted = frozenset(reader.deleted_docs_set)
        matcher = matcher.child
    return matcher, deleted


def _block_arrays(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """The current block's document ids and weights as vectors, decoded from the
    block's data without Whoosh's per-posting delta generator."""
    if matcher._data is None:
        matcher._read_data()
    return _as_arrays(matcher._data[0], matcher._data[1], matcher._blocklength, matcher._byteids)


def _as_arrays(
    ids: Any, weights: Any, count: int, byteids: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of a block's unpickled ids (delta-coded unless ``byteids``) and weights
    (None: all 1.0; one float: all equal; else one per posting)."""
    if byteids:
        doc_ids = np.asarray(ids, dtype=np.int64)
    else:  # delta-coded: Whoosh's delta_decode is a running sum
        doc_ids = np.cumsum(np.asarray(ids, dtype=np.int64))
    if weights is None:
        weight_values = np.ones(count)
    elif isinstance(weights, float):
        weight_values = np.full(count, weights)
    else:
        weight_values = np.asarray(weights, dtype=np.float64)
    return doc_ids, weight_values


#: Pickle opcodes of the block data Whoosh 2.7.5 writes (protocol 2): ``(ids, weights,
#: values)``, ids and weights first. Integers are ``K`` (1 byte), ``M`` (2 bytes) or
#: ``J`` (4 bytes, little-endian); floats ``G`` (8 bytes, big-endian).
_INT_SIZES = {ord("K"): 1, ord("M"): 2, ord("J"): 4}
#: Bytes of block data decompressed first: a posting's id and weight take at most
#: 2 + 9 bytes when its delta is under 256 (nearly always), plus the opcodes around.
_POSTING_BYTES = 11
_LEADING_BYTES = 32
#: Longest pickled block info tuple: six numbers (a float and five integers).
_INFO_BYTES = 80
_MARK, _TUPLE, _BINPUT, _NONE, _FLOAT = (ord(c) for c in "(tqNG")


def _parse_int(data: bytes, at: int) -> tuple[int, int]:
    size = _INT_SIZES.get(data[at]) if at + 5 <= len(data) else None
    if size is None:
        raise ValueError("not an integer opcode")
    return int.from_bytes(data[at + 1 : at + 1 + size], "little", signed=size == 4), at + 1 + size


#: A run of pickled integers (``K``, ``M``, ``J``, each with its bytes).
_INT_RUN = re.compile(rb"(?:K.|M..|J....)*", re.DOTALL)


def _parse_ints(data: bytes, at: int, count: int) -> tuple[np.ndarray, int]:
    """``count`` pickled integers of mixed sizes from ``at``, as a vector, and where
    they end: a regex finds the run, and the unpickler reads it as one tuple (both
    in C). ValueError when the run does not hold exactly ``count`` (another layout,
    or the data stops inside it)."""
    end = _INT_RUN.match(data, at).end()  # type: ignore[union-attr]  # matches empty at worst
    values = pickle.loads(b"\x80\x02(" + data[at:end] + b"t.")
    if len(values) != count:
        raise ValueError("not a run of the integers expected")
    return np.array(values, dtype=np.int64), end


def _parse_block(data: bytes, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Ids and weights of one block's (decompressed) pickled data, read from the
    pickle's bytes in place: the values (positions, one pickled string each, the
    costly part to unpickle) that follow them are never read. None for any other
    layout, or when ``data`` may stop before the weights do (then unpickle it)."""
    if count < 4 or data[0:3] != b"\x80\x02(":
        return None  # short tuples use other opcodes
    try:
        return _parse_ids_and_weights(data, count)
    except (IndexError, ValueError):  # another layout, or ``data`` ends too soon
        return None


def _parse_ids_and_weights(data: bytes, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`_parse_block` past its checks; every read either is within ``data`` or raises
    (``ValueError`` for a layout it does not read)."""
    first, at = _parse_int(data, 3)
    rest = count - 1
    if data[at : at + 2 * rest : 2] == b"K" * rest:  # every delta under 256: one slice
        deltas = np.frombuffer(data, dtype=np.uint8, count=2 * rest, offset=at)[1::2]
        at += 2 * rest
    else:
        deltas, at = _parse_ints(data, at, rest)
    if data[at] != _TUPLE or data[at + 1] != _BINPUT:
        raise ValueError("ids not followed by a memoised tuple")
    at += 3
    ids = np.empty(count, dtype=np.int64)
    ids[0] = first
    ids[1:] = deltas
    np.cumsum(ids, out=ids)
    kind = data[at]
    if kind == _NONE:
        return ids, np.ones(count)
    if kind == _FLOAT:
        return ids, np.full(count, np.frombuffer(data, ">f8", 1, at + 1)[0], dtype=np.float64)
    if kind != _MARK or data[at + 1 : at + 1 + 9 * count : 9] != b"G" * count:
        raise ValueError("weights are not one float each")
    rows = np.frombuffer(data, dtype=np.uint8, count=9 * count, offset=at + 1).reshape(count, 9)
    weights = rows[:, 1:].copy().view(">f8").ravel().astype(np.float64)
    if data[at + 1 + 9 * count] != _TUPLE:
        raise ValueError("weights not followed by the end of their tuple")
    return ids, weights


def _block_info(block: memoryview) -> tuple[tuple[Any, ...], int]:
    """A block's info tuple and the size of its pickle, which the data follows."""
    try:
        info = pickle.loads(block[:_INFO_BYTES])  # bytes past the pickle's end are ignored
        size = len(pickle.dumps(info, 2))  # as written: the same dumps of the same tuple
    except (pickle.UnpicklingError, EOFError, ValueError):
        size = 0  # longer than expected: read by the unpickler below
    if size == 0 or bytes(block[size - 1 : size]) != b".":
        stream = io.BytesIO(block)
        info = pickle.Unpickler(stream).load()
        size = stream.tell()
    return info, size


@dataclass(frozen=True, slots=True)
class BlockDirectory:
    """Where each block of one segment's W3 posting list is (Lucene's skip data, in
    effect): the file offset and size of each block's data, its postings, whether
    it is compressed, and its last document id (ascending). Made by walking the
    block headers once (`w3_directory`); with it, a read of a few documents decodes
    only their blocks without parsing any other block's header."""

    starts: np.ndarray
    sizes: np.ndarray
    counts: np.ndarray
    compressed: np.ndarray
    lasts: np.ndarray

    def __len__(self) -> int:
        return len(self.lasts)


def w3_directory(matcher: W3LeafMatcher) -> BlockDirectory:
    """The block directory of a W3 posting list, from its block headers: each block is
    its length (negative for the last), its pickled info tuple and its (compressed)
    pickled data (``W3PostingsWriter._write_block``)."""
    start = matcher._baseoffset
    length = matcher._length  # the term's extent (Whoosh reads it back as a 1-tuple)
    length = length[0] if isinstance(length, tuple) else length
    raw = memoryview(matcher._postfile.get(start, matcher._startoffset + length - start))
    starts, sizes, counts, compressed, lasts = [], [], [], [], []
    position = 0
    while position < len(raw):
        length = int.from_bytes(raw[position : position + 4], "big", signed=True)
        size = abs(length)
        info, info_size = _block_info(raw[position + 4 : position + 4 + size])
        starts.append(start + position + 4 + info_size)
        sizes.append(size - info_size)
        counts.append(info[0])
        compressed.append(bool(info[3]))
        lasts.append(info[1])
        position += 4 + size
        if length < 0:
            break
    return BlockDirectory(
        np.array(starts, dtype=np.int64),
        np.array(sizes, dtype=np.int64),
        np.array(counts, dtype=np.int64),
        np.array(compressed, dtype=bool),
        np.array(lasts, dtype=np.int64),
    )


def _decode_block(data: bytes | memoryview, count: int, compressed: bool) -> tuple[Any, Any]:
    """(ids, weights) vectors of one block's data (compressed or not): only the front,
    where ids and weights are, is inflated unless their layout needs the rest."""
    inflater = None
    if compressed:  # only the front, where ids and weights are: rarely more is needed
        inflater = zlib.decompressobj()
        data = inflater.decompress(data, _LEADING_BYTES + _POSTING_BYTES * count)
    else:
        data = bytes(data)
    arrays = _parse_block(data, count)
    if arrays is None and inflater is not None:  # the rest of the block, then again
        data += inflater.decompress(inflater.unconsumed_tail) + inflater.flush()
        arrays = _parse_block(data, count)
    if arrays is None:
        ids, weights, _ = pickle.loads(data)
        arrays = _as_arrays(ids, weights, count)
    return arrays


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
    if wanted is None:
        selected: Any = range(len(directory))
    else:  # the first block whose last id is at or past each wanted document
        at = np.searchsorted(directory.lasts, wanted)
        selected = np.unique(at[at < len(directory)]).tolist()
    postfile = matcher._postfile
    starts, sizes = directory.starts, directory.sizes
    counts, compressed = directory.counts, directory.compressed
    for block in selected:
        data = postfile.get(int(starts[block]), int(sizes[block]))
        yield _decode_block(data, int(counts[block]), bool(compressed[block]))


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
        directory = directories.get(key) if directories is not None else None
        if directory is None:
            directory = w3_directory(matcher)
            if directories is not None:
                directories.put(key, directory)
        yield from _w3_blocks(matcher, wanted, directory)
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
        dropped = np.fromiter(deleted, dtype=np.int64) if deleted else None
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
        if dropped is not None:
            kept = ~np.isin(ids, dropped)
            ids, block_weights = ids[kept], block_weights[kept]
        docs.append(ids + offset if offset else ids)
        weights.append(block_weights)
    if not docs:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if len(docs) == 1:
        return docs[0], weights[0]
    return np.concatenate(docs), np.concatenate(weights)


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
            while matcher.is_active():
                doc = matcher.id()
                if doc in keep:
                    found[offset + doc] = matcher.value()
                matcher.next()
            continue
        while matcher.is_active():
            ids, _ = _block_arrays(matcher)
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
