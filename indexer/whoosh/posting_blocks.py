"""One block of a Whoosh 2.7.5 W3 posting list, read from its bytes, and where the blocks are.

Each block is a length, a pickled info tuple and the pickled (usually compressed) tuple
``(ids, weights, values)``; the values (positions, one pickled string per posting) make
up most of it and cost most to unpickle, and a search needs only ids and weights. So a
block is inflated only as far as its ids and weights reach, and those are read from the
pickle's bytes as vectors (`parse_block`); any other layout is unpickled whole. A list's
`BlockDirectory` (each block's place and last id, kept in a `DirectoryCache`) lets a read
of a few documents decode only their blocks. `indexer.whoosh.postings` reads whole lists
with these.
"""

from __future__ import annotations

import io
import pickle
import re
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher

__all__ = [
    "BlockDirectory",
    "DirectoryCache",
    "as_arrays",
    "decode_block",
    "parse_block",
    "w3_directory",
]


def as_arrays(
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


def parse_block(data: bytes, count: int) -> tuple[np.ndarray, np.ndarray] | None:
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
    """`parse_block` past its checks; every read either is within ``data`` or raises
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


def decode_block(data: bytes | memoryview, count: int, compressed: bool) -> tuple[Any, Any]:
    """(ids, weights) vectors of one block's data (compressed or not): only the front,
    where ids and weights are, is inflated unless their layout needs the rest."""
    inflater = None
    if compressed:  # only the front, where ids and weights are: rarely more is needed
        inflater = zlib.decompressobj()
        data = inflater.decompress(data, _LEADING_BYTES + _POSTING_BYTES * count)
    else:
        data = bytes(data)
    arrays = parse_block(data, count)
    if arrays is None and inflater is not None:  # the rest of the block, then again
        data += inflater.decompress(inflater.unconsumed_tail) + inflater.flush()
        arrays = parse_block(data, count)
    if arrays is None:
        ids, weights, _ = pickle.loads(data)
        arrays = as_arrays(ids, weights, count)
    return arrays


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
