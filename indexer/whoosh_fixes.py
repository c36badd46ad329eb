"""Narrow fixes for Whoosh 2.7.5 (pinned), applied only by writing processes.

1. Speed (`apply_speedups`): the writer's hot paths, writing the same index.

   a. When a segment is flushed, Whoosh asks the per-document reader for every
      posting's field length. For fields without a length column (IDs,
      keywords, numbers, dates) ``W3PerDocReader._cached_reader`` caches
      nothing and calls ``os.stat`` again, once per posting: about a million
      ``stat`` calls for the demo corpus. Segment files never change once
      written, so "this column does not exist" is cached like a found column.
   b. The lengths themselves are then read once per field into a list
      (`_doc_field_length`) instead of through a column reader per posting.
   c. `indexer.posting_pool.CompactPostingPool` replaces Whoosh's posting pool
      (one tuple per posting, all sorted, pickled to temp runs past the memory
      limit): postings grouped by term as they come, whole terms spilled with
      ``marshal``; ``add_document`` hands it a field at a time, with the short
      fields' postings from `indexer.field_terms` (memoised, no Token objects).
   d. `indexer.codec_fast` writes the flushed segment's posting lists a term at
      a time instead of one Python call per posting (Whoosh's W3 format).

   What differs from Whoosh's own bytes, all read back the same by unmodified
   Whoosh: posting blocks shorter than `indexer.codec_fast.MIN_COMPRESS` are
   stored uncompressed (zlib made them longer); a repeated position value is
   one shared object, which ``pickle`` writes as a back-reference; spelling
   postings (document 0 of the ``spell_*`` fields, kept once per word) hold
   frequency 1 instead of Whoosh's leftover value. `exact_whoosh_bytes` turns
   these off, so tests can compare segment files byte for byte.

2. Memory (`apply_reader_fixes`, for searching processes). A compound segment
   is memory-mapped, but each of its sub-files is opened as
   ``BufferFile(memoryview)``, whose ``BytesIO(buf)`` *copies* the whole
   sub-file into the heap: every web worker held its own copy of the postings
   and stored fields (300 MB of its 580 MB at 50k synthetic articles).
   `ViewFile` reads the mapped memory in place instead.

3. Correctness. A segment where no document has a value for a sortable field
   gets no column file for it, and ``MultiColumnReader`` then maps that
   segment's documents onto the previous segment's column (``IndexError`` or
   wrong values when sorting or faceting a multi-segment index). A small update
   of undated or sourceless articles produces exactly such a segment.
   `ensure_columns` gives every segment every column (filled with the column's
   default, which is what a reader reports for a missing value anyway).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import writing
from whoosh.codec import whoosh3
from whoosh.filedb import structfile

from indexer import analysis, codec_fast, field_terms, posting_pool
from indexer.codec_fast import can_write_fast, field_lengths, flush_segment
from indexer.posting_pool import (
    CompactPostingPool,
    add_document,
    whoosh_add_document,
)

_MISSING = object()
_applied = False
_reader_applied = False
_whoosh_cached_reader = whoosh3.W3PerDocReader._cached_reader
_whoosh_doc_field_length = whoosh3.W3PerDocReader.doc_field_length
_WhooshPostingPool = writing.PostingPool
_whoosh_flush_segment = writing.SegmentWriter._flush_segment


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    reader = self._readers.get(fieldname, _MISSING)
    if reader is _MISSING:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
    return reader


def _doc_field_length(self: Any, docnum: int, fieldname: str, default: int = 0) -> Any:
    """``W3PerDocReader.doc_field_length`` from a per-field list read once (Whoosh
    returns None, not ``default``, for a stored length byte of 0; kept)."""
    lengths = self.__dict__.setdefault("_length_lists", {})
    found = lengths.get(fieldname, _MISSING)
    if found is _MISSING:
        found = lengths[fieldname] = field_lengths(self, fieldname)
    if docnum > self._doccount:
        raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
    if found is None:
        return default
    return found[docnum] if docnum < len(found) else default


def _flush_segment(self: Any) -> None:
    """``SegmentWriter._flush_segment``, through `indexer.codec_fast` when it applies."""
    if can_write_fast(self):
        flush_segment(self)
    else:
        _whoosh_flush_segment(self)


def exact_whoosh_bytes(exact: bool) -> None:
    """Write the bytes Whoosh writes (True), or the smaller equivalent (False, the
    default); see note 1. For tests."""
    codec_fast.MIN_COMPRESS = 0 if exact else codec_fast.DEFAULT_MIN_COMPRESS
    analysis.SINGLE_VALUES_SIZE = 0 if exact else analysis.DEFAULT_SINGLE_VALUES_SIZE
    analysis._SINGLE_VALUES.clear()
    field_terms.EXACT = exact
    posting_pool.WHOOSH_SPELLING_VALUES = exact


def _speedups() -> list[tuple[object, str, object, object]]:
    """(owner, attribute, Whoosh's value, ours) of every patch of note 1."""
    return [
        (whoosh3.W3PerDocReader, "_cached_reader", _whoosh_cached_reader, _cached_reader),
        (whoosh3.W3PerDocReader, "doc_field_length", _whoosh_doc_field_length, _doc_field_length),
        (writing, "PostingPool", _WhooshPostingPool, CompactPostingPool),
        (writing.SegmentWriter, "add_document", whoosh_add_document, add_document),
        (writing.SegmentWriter, "_flush_segment", _whoosh_flush_segment, _flush_segment),
    ]


def apply_speedups() -> None:
    """Install the patches of note 1 (idempotent; writing processes only)."""
    global _applied
    if not _applied:
        for owner, name, _, ours in _speedups():
            setattr(owner, name, ours)
        _applied = True


def remove_speedups() -> None:
    """Undo `apply_speedups` (tests compare what both paths write)."""
    global _applied
    if _applied:
        for owner, name, whoosh_value, _ in _speedups():
            setattr(owner, name, whoosh_value)
        _applied = False


class ViewFile:
    """A read-only file over a memoryview, without copying it (what ``BufferFile``
    needs of ``BytesIO``: read, readinto, readline, seek, tell, iteration, close)."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative or None)."""
        end = (
            len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        )
        data = bytes(self._view[self._pos : end])
        self._pos = max(self._pos, end)
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the current position; the byte count."""
        count = max(0, min(len(buffer), len(self._view) - self._pos))
        buffer[:count] = self._view[self._pos : self._pos + count]
        self._pos += count
        return count

    def readline(self, size: int | None = -1) -> bytes:
        """Bytes up to and including the next newline."""
        limit = len(self._view) if size is None or size < 0 else self._pos + size
        end = min(limit, len(self._view))
        start = self._pos
        while start < end:
            chunk = bytes(self._view[start : min(end, start + 4096)])
            found = chunk.find(b"\n")
            if found >= 0:
                end = start + found + 1
                break
            start += len(chunk)
        return self.read(end - self._pos)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move like ``BytesIO.seek``."""
        base = (0, self._pos, len(self._view))[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        """The current position."""
        return self._pos

    def flush(self) -> None:
        """Nothing to flush."""

    def close(self) -> None:
        """Drop the view (the mapping itself belongs to the compound storage)."""
        self._view = memoryview(b"")


def _buffer_file_init(self: Any, buf: Any, name: Any = None, onclose: Any = None) -> None:
    self._buf = buf
    self._name = name
    self.file = ViewFile(memoryview(buf))
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def apply_reader_fixes() -> None:
    """Install `ViewFile` in Whoosh's ``BufferFile`` (note 2; idempotent)."""
    global _reader_applied
    if not _reader_applied:
        structfile.BufferFile.__init__ = _buffer_file_init
        _reader_applied = True


def ensure_columns(writer: Any) -> None:
    """Create every sortable field's column in ``writer``'s open segment (call before
    the segment is finalized; Whoosh pads it to the document count on close)."""
    perdoc = writer.perdocwriter
    if perdoc.is_closed:
        return
    for name, field in writer.schema.items():
        column = field.column_type
        if column is not None and not perdoc._has_column(name):
            perdoc._create_column(name, column)
