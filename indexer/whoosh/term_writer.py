"""One field writer's terms encoded a whole term at a time: W3 posting blocks and rows.

`TermWriter` takes each term's postings as one flat list (``[docnum, weight, value,
...]``, from `indexer.whoosh.posting_pool.CompactPostingPool.iter_terms`) and writes
what Whoosh's ``W3PostingsWriter``, ``W3TermInfo`` and ``OrderedHashWriter`` write for
it: the pickled block tuples, the block info, the term-info struct and the hash-table
entry, with one call each per term and buffered writes. `write_hashes` packs the
term index's hash tables at the end. `indexer.whoosh.codec_fast` drives it over a
segment; its notes say which bytes equal Whoosh's and which are smaller.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from itertools import starmap
from operator import sub
from pickle import dumps
from types import MethodType
from typing import Any

from isal import isal_zlib
from whoosh.codec import whoosh3
from whoosh.filedb import filetables
from whoosh.system import emptybytes, pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

_TERMINFO = whoosh3.W3TermInfo._struct
_ROW_LENGTHS = filetables._lengths
_MAGIC = whoosh3.WHOOSH3_HEADER_MAGIC
#: Posting blocks whose pickle is shorter than this are stored uncompressed (block
#: info compression 0, which every W3 reader honours): zlib makes them longer.
DEFAULT_MIN_COMPRESS = 96
MIN_COMPRESS = DEFAULT_MIN_COMPRESS
#: Deflate level of posting blocks, by Intel's ISA-L (`isal`): zlib streams written 2.2x
#: faster than zlib's level 3, 6 % larger (bench/PROFILE.md); exact bytes still use zlib.
ISAL_LEVEL = 1
#: Terms whose blocks and rows are buffered before one write each.
BUFFERED = 2048
try:  # CPython's own MD5: the same digests as OpenSSL's, cheaper to set up per call
    from _md5 import md5 as _md5
except ImportError:  # pragma: no cover - a Python built without it
    _md5 = hashlib.md5


def field_lengths(perdoc: Any, fieldname: str) -> list[int | None] | None:
    """Every document's length of ``fieldname`` as Whoosh's flush reads it (None
    for a stored length byte of 0), or None when the field keeps no lengths."""
    reader = perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    if reader is None:
        return None
    return [byte_to_length(b) if b else None for b in reader]


def _block_lengths(lengths: list[int | None] | None, ids: list[int]) -> tuple[Any, int]:
    """(shortest, longest) non-zero field length of the documents ``ids`` (None, 0
    when none), as ``W3PostingsWriter.add_posting`` tracks them."""
    if lengths is None:
        return None, 0
    if ids[-1] < len(lengths):
        found: list[int] = list(filter(None, map(lengths.__getitem__, ids)))
    else:
        found = [length for d in ids if d < len(lengths) and (length := lengths[d])]
    if not found:
        return None, 0
    return min(found), max(found)


def _mini_weights(weights: array[float]) -> Any:
    """``W3PostingsWriter._mini_weights``: None when all 1.0, one value when all equal."""
    first = weights[0]
    if first == 1.0 and weights.count(first) == len(weights):
        return None
    if weights.count(first) == len(weights):
        return first
    return tuple(weights)


class TermWriter:
    """Encodes one field writer's terms; `write` takes one term's flat postings.

    Posting blocks and term-index rows are buffered and written `BUFFERED` at a time.
    """

    def __init__(
        self, fieldwriter: Any, schema: Any, perdoc: Any, min_compress: int | None = None
    ) -> None:
        codec = fieldwriter._codec
        #: Blocks whose pickle is shorter are stored uncompressed (0: compress all,
        #: as Whoosh does; None: `MIN_COMPRESS`, read when the writer is made).
        self.min_compress = MIN_COMPRESS if min_compress is None else min_compress
        self._float = array("f", [0.0])
        self.fieldwriter = fieldwriter
        self.schema = schema
        self.perdoc = perdoc
        self.blocklimit: int = codec._blocklimit
        self.compression: int = codec._compression
        exact = self.min_compress == 0
        self._deflate = zlib.compress if exact else isal_zlib.compress
        self._deflate_level = self.compression if exact else ISAL_LEVEL
        self.postfile = fieldwriter._postfile
        self.offset: int = self.postfile.tell()
        self.tindex = fieldwriter._tindex
        self.tindex._write_hashes = MethodType(write_hashes, self.tindex)
        self.row_offset: int = self.tindex.dbfile.tell()
        self.fieldname: str | None = None
        self.prefix = b""
        self.lengths: list[int | None] | None = None
        self.fixedsize: int | None = None
        self._posts: list[bytes] = []
        self._rows: list[bytes] = []
        self._first_doc: dict[Any, tuple[bytes, bytes]] = {}

    def start_field(self, fieldname: str) -> None:
        """Switch to ``fieldname`` (``W3FieldWriter.start_field``)."""
        fieldmap = self.fieldwriter._fieldmap
        if fieldname not in fieldmap:
            fieldmap[fieldname] = len(fieldmap)
        self.fieldname = fieldname
        self.prefix = pack_ushort(fieldmap[fieldname])
        self.fixedsize = self.schema[fieldname].format.fixed_value_size()
        self.lengths = field_lengths(self.perdoc, fieldname)
        self._first_doc = {}

    def _values(self, values: list[Any]) -> Any:
        """``W3PostingsWriter._mini_values`` of one block (empty values dropped)."""
        fixedsize = self.fixedsize
        if fixedsize is None or fixedsize < 0:
            return tuple(filter(None, values))
        if fixedsize == 0:
            return None
        return emptybytes.join(filter(None, values))

    def write(self, text: bytes, postings: list[Any]) -> None:
        """Write one term: its blocks to the postings file, its row to the term index."""
        if len(postings) != 3 or postings[0] == -1:
            self._write_blocks(text, postings)
            return
        # One posting (most terms): `_blocks` and W3TermInfo.to_bytes inlined.
        doc, weight, value = postings
        if doc == 0:  # the spelling fields: thousands of identical postings
            key = (type(weight), weight, value)
            cached = self._first_doc.get(key)
            if cached is None:
                cached = self._first_doc[key] = self._single(postings)
        else:
            cached = self._single(postings)
        blob, terminfo = cached
        self._posts.append(blob)
        extent = pack_long(self.offset) + pack_int(len(blob))
        self.offset += len(blob)
        self._add_row(self.prefix + text, terminfo + extent)

    def _single(self, posting: list[Any]) -> tuple[bytes, bytes]:
        """The block of a term in one document, and its term info without the extent."""
        doc, weight, value = posting
        self._float[0] = weight
        f32 = self._float[0]
        maxweight = weight if weight > 0 else 0
        lengths = self.lengths
        length = lengths[doc] if lengths is not None and doc < len(lengths) else None
        lbyte = length_to_byte(length) if length else 0
        fixedsize = self.fixedsize
        if fixedsize is None or fixedsize < 0:
            mini_values: Any = (value,) if value else ()
        elif fixedsize == 0:
            mini_values = None
        else:
            mini_values = value or emptybytes
        data = dumps(((doc,), None if f32 == 1.0 else f32, mini_values), 2)
        comp = self.compression  # in the block info: deflated (any level) or not
        if comp and len(data) >= self.min_compress:
            data = self._deflate(data, self._deflate_level)
        else:
            comp = 0
        info = dumps((1, doc, maxweight, comp, lbyte, lbyte), 2)
        blob = emptybytes.join((_MAGIC, pack_int(-(len(info) + len(data))), info, data))
        # 0 + sum(float32 weights) is the float32 weight; TermInfo's max(0, ...) kept.
        return blob, _TERMINFO.pack(False, f32, 1, lbyte, lbyte, maxweight, doc, doc)

    def _write_blocks(self, text: bytes, postings: list[Any]) -> None:
        """`write` for any term: split into blocks, statistics over all of them."""
        docs, weights, values = postings[0::3], postings[1::3], postings[2::3]
        if -1 in docs:  # Whoosh's flush skips docnum -1 (old-style spelling postings)
            keep = [i for i, d in enumerate(docs) if d != -1]
            if not keep:
                return
            docs = [docs[i] for i in keep]
            weights = [weights[i] for i in keep]
            values = [values[i] for i in keep]
        blob, stats = self._blocks(docs, weights, values)
        t_weight, total, t_minlength, t_maxlength, t_maxweight, first, last = stats
        self._posts.append(blob)
        terminfo = _TERMINFO.pack(
            False,
            t_weight,
            total,
            0 if t_minlength is None else length_to_byte(t_minlength),
            length_to_byte(t_maxlength),
            t_maxweight,
            first,
            last,
        )
        self._add_row(self.prefix + text, terminfo + pack_long(self.offset) + pack_int(len(blob)))
        self.offset += len(blob)

    def _blocks(
        self, docs: list[int], weights: list[Any], values: list[Any]
    ) -> tuple[bytes, tuple[Any, ...]]:
        """A term's posting blocks (``W3PostingsWriter``) and its term statistics
        (``W3TermInfo``): (weight, doc count, min length, max length, max weight,
        first doc, last doc)."""
        limit = self.blocklimit
        total = len(docs)
        parts: list[bytes] = [_MAGIC]
        # W3TermInfo's running statistics, as TermInfo.__init__ and add_block keep them.
        t_weight: Any = 0
        t_minlength: Any = None
        t_maxlength: Any = 0
        t_maxweight: Any = 0
        for start in range(0, total, limit):
            if total <= limit:
                ids, block_weights, block_values = docs, weights, values
            else:
                ids = docs[start : start + limit]
                block_weights = weights[start : start + limit]
                block_values = values[start : start + limit]
            floats = array("f", block_weights)
            top = max(block_weights)
            maxweight = top if top > 0 else 0
            minlength, maxlength = _block_lengths(self.lengths, ids)
            t_weight += sum(floats)
            if t_minlength is None:
                t_minlength = minlength
            else:
                t_minlength = min(t_minlength, minlength)
            t_maxlength = max(t_maxlength, maxlength)
            t_maxweight = max(t_maxweight, maxweight)
            deltas = [ids[0]]
            deltas += map(sub, ids[1:], ids)
            mini_values = self._values(block_values)
            data = dumps((tuple(deltas), _mini_weights(floats), mini_values), 2)
            comp = self.compression
            if comp and len(data) >= self.min_compress:
                data = self._deflate(data, self._deflate_level)
            else:
                comp = 0
            info = (
                len(ids),
                ids[-1],
                maxweight,
                comp,
                length_to_byte(minlength),
                length_to_byte(maxlength),
            )
            infobytes = dumps(info, 2)
            size = len(infobytes) + len(data)
            parts.append(pack_int(-size if start + limit >= total else size))
            parts.append(infobytes)
            parts.append(data)
        stats = (t_weight, total, t_minlength, t_maxlength, t_maxweight, docs[0], docs[-1])
        return emptybytes.join(parts), stats

    def _add_row(self, key: bytes, value: bytes) -> None:
        """``OrderedHashWriter.add`` with the row position tracked here."""
        tindex = self.tindex
        if key <= tindex.lastkey:
            raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
        pos = self.row_offset
        tindex.index.append(pos)
        row = _ROW_LENGTHS.pack(len(key), len(value)) + key + value
        self._rows.append(row)
        if tindex.hashtype == 0:  # filetables.md5_hash: the low 32 bits of the digest
            h = int.from_bytes(_md5(key).digest()[12:], "big")
        else:
            h = tindex.hashfn(key)
        tindex.buckets[h & 255].append((h, pos))
        tindex.lastkey = key
        self.row_offset = pos + len(row)
        if len(self._rows) >= BUFFERED:
            self.flush()

    def flush(self) -> None:
        """Write the buffered blocks and rows."""
        if self._posts:
            self.postfile.write(emptybytes.join(self._posts))
            self._posts = []
        if self._rows:
            self.tindex.dbfile.write(emptybytes.join(self._rows))
            self._rows = []

    def finish(self) -> None:
        """Write what is buffered; leave the field writer between fields (``finish_field``)."""
        self.flush()
        self.fieldwriter._infield = False
        self.fieldwriter._postwriter = None


def write_hashes(tindex: Any) -> None:
    """``HashWriter._write_hashes`` (256 open-addressing tables of (hash, position)
    pointers) with each table packed and all of them written at once."""
    dbfile = tindex.dbfile
    pack = filetables._pointer.pack
    null = (0, 0)
    position = dbfile.tell()
    tables = []
    for entries in tindex.buckets:
        numslots = 2 * len(entries)
        tindex.directory.append((position, numslots))
        table = [null] * numslots
        for entry in entries:
            slot = (entry[0] >> 8) % numslots
            while table[slot] is not null:  # no entry equals (0, 0): rows start past the header
                slot = (slot + 1) % numslots
            table[slot] = entry
        packed = emptybytes.join(starmap(pack, table))
        tables.append(packed)
        position += len(packed)
    dbfile.write(emptybytes.join(tables))


__all__ = [
    "BUFFERED",
    "DEFAULT_MIN_COMPRESS",
    "ISAL_LEVEL",
    "MIN_COMPRESS",
    "TermWriter",
    "field_lengths",
    "write_hashes",
]
