"""Narrow fixes for Whoosh 2.7.5 (pinned), applied only by writing processes.

1. Speed (`apply_speedups`), three patches of the segment flush, each keeping
   the bytes written the same except where noted:

   a. When a segment is flushed, Whoosh asks the per-document reader for every
      posting's field length. For fields without a length column (IDs,
      keywords, numbers, dates) ``W3PerDocReader._cached_reader`` caches
      nothing and calls ``os.stat`` again, once per posting: about a million
      ``stat`` calls for the demo corpus. Segment files never change once
      written, so "this column does not exist" is cached like a found column.
   b. The lengths themselves are then read once per field into a list
      (`_doc_field_length`) instead of through a column reader per posting.
   c. Whoosh's posting pool keeps one tuple per posting and sorts them all;
      past its memory limit it pickles every posting to a temp file and back
      (13 % of a build). `CompactPostingPool` groups postings by term as they
      come (documents arrive in order, so each term's list is already sorted),
      sorts only the distinct terms, and spills whole terms with ``marshal``.
      Spelling words (document 0 of the ``spell_*`` fields) are kept once per
      word instead of once per document that holds them: only the words are
      ever read back.

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

import heapq
import marshal
import random
import string
from collections.abc import Iterator
from typing import Any

from whoosh import writing
from whoosh.codec import whoosh3
from whoosh.filedb import structfile
from whoosh.util.numeric import byte_to_length

_MISSING = object()
_applied = False
_reader_applied = False
#: Rough bytes of memory per new term and per posting in `CompactPostingPool`.
TERM_BYTES = 260
POSTING_BYTES = 110


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
        reader = self._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        found = None
        if reader is not None:
            found = [byte_to_length(b) if b else None for b in reader]
        lengths[fieldname] = found
    if docnum > self._doccount:
        raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
    if found is None:
        return default
    return found[docnum] if docnum < len(found) else default


class CompactPostingPool:
    """Drop-in for ``whoosh.writing.PostingPool``: postings grouped by term.

    ``add`` takes Whoosh's ``(fieldname, term bytes, docnum, weight, value)``
    items; ``iter_postings`` gives them back sorted by field, term and document,
    as the codec needs. Each term holds a flat list ``[docnum, weight, value,
    ...]`` in arrival order, which is document order: a writer numbers its
    documents upwards, and documents of merged segments come after its own.
    """

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = 128, **_: Any) -> None:
        self.tempstore = tempstore
        self.segment = segment
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.terms: dict[tuple[str, bytes], list[Any]] = {}
        self.runs: list[str] = []
        self.fieldnames: set[str] = set()

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Add one posting; a repeat of the same term and document is dropped."""
        fieldname, text, docnum, weight, value = item
        key = (fieldname, text)
        postings = self.terms.get(key)
        if postings is None:
            self.terms[key] = [docnum, weight, value]
            self.fieldnames.add(fieldname)
            self.size += TERM_BYTES + len(text) + len(value or b"")
        elif postings[-3] != docnum:
            postings += (docnum, weight, value)
            self.size += POSTING_BYTES + len(value or b"")
        else:
            return
        if self.size > self.limit:
            self.save()

    def save(self) -> None:
        """Write the pooled terms, sorted, to a temporary run file and empty the pool."""
        if not self.terms:
            return
        name = "".join(random.choices(string.ascii_lowercase + string.digits, k=16)) + ".run"
        with self.tempstore.create_file(name).raw_file() as handle:
            for key in sorted(self.terms):
                marshal.dump((key[0], key[1], self.terms[key]), handle)
        self.runs.append(name)
        self.terms = {}
        self.size = 0

    def _read_run(self, name: str) -> Iterator[tuple[str, bytes, list[Any]]]:
        with self.tempstore.open_file(name).raw_file() as handle:
            while True:
                try:
                    yield marshal.load(handle)
                except EOFError:
                    break
        self.tempstore.delete_file(name)

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """Every posting, sorted by (field, term, document)."""
        if self.runs:
            self.save()
            runs, self.runs = self.runs, []
            records = heapq.merge(*(self._read_run(name) for name in runs), key=_record_key)
        else:
            terms, self.terms = self.terms, {}
            records = ((key[0], key[1], terms[key]) for key in sorted(terms))
        for fieldname, text, postings in records:
            for i in range(0, len(postings), 3):
                yield fieldname, text, postings[i], postings[i + 1], postings[i + 2]

    def cleanup(self) -> None:
        """Remove run files left behind (a cancelled or failed writer)."""
        for name in self.runs:
            try:
                self.tempstore.delete_file(name)
            except OSError:
                pass
        self.runs = []


def _record_key(record: tuple[str, bytes, list[Any]]) -> tuple[str, bytes]:
    return record[0], record[1]


def apply_speedups() -> None:
    """Install the patches of note 1 (idempotent; writing processes only)."""
    global _applied
    if not _applied:
        whoosh3.W3PerDocReader._cached_reader = _cached_reader
        whoosh3.W3PerDocReader.doc_field_length = _doc_field_length
        writing.PostingPool = CompactPostingPool
        _applied = True


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
