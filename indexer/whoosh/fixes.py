"""Broadsheet's Whoosh writer: `FastSegmentWriter`, Whoosh 2.7.5's own writer extended.

Nothing here modifies Whoosh: importing this module (or `indexer`, `search`,
`webui`) leaves every Whoosh class and module as it was. The fixes live in
subclasses, used explicitly where Broadsheet writes (`indexer.whoosh.pipeline`); any
other ``SegmentWriter`` in the process is Whoosh's own. Whoosh's version is
checked when `indexer` is imported (`indexer.whoosh.version`): the subclasses
override methods and read attributes of that release.

1. Speed: the writer's hot paths, writing the same index.

   a. When a segment is flushed, Whoosh asks the per-document reader for every
      posting's field length. For fields without a length column (IDs,
      keywords, numbers, dates) ``W3PerDocReader._cached_reader`` caches
      nothing and calls ``os.stat`` again, once per posting: about a million
      ``stat`` calls for the demo corpus. Segment files never change once
      written, so `FastPerDocReader` caches "this column does not exist" like a
      found column. The writer hands it out (``per_document_reader``) and puts it
      under the segments it merges (``add_reader``).
   b. The lengths themselves are then read once per field into a list
      (`FastPerDocReader.doc_field_length`) instead of through a column reader
      per posting.
   c. `indexer.whoosh.posting_pool.CompactPostingPool` replaces Whoosh's posting pool
      (one tuple per posting, all sorted, pickled to temp runs past the memory
      limit): postings grouped by term as they come, whole terms spilled with
      ``marshal``; ``add_document`` hands it a field at a time, with the short
      fields' postings from `indexer.whoosh.field_terms` (memoised, no Token objects).
   d. `indexer.whoosh.codec_fast` writes the flushed segment's posting lists a term at
      a time instead of one Python call per posting (Whoosh's W3 format).

   What differs from Whoosh's own bytes, all read back the same by unmodified
   Whoosh: posting blocks shorter than `indexer.whoosh.term_writer.MIN_COMPRESS` are
   stored uncompressed (zlib made them longer); a repeated position value is
   one shared object, which ``pickle`` writes as a back-reference; spelling
   postings (document 0 of the ``spell_*`` fields, kept once per word) hold
   frequency 1 instead of Whoosh's leftover value. `exact_whoosh_bytes` turns
   these off (Broadsheet's own module settings, not Whoosh's), so tests can
   compare segment files byte for byte.

2. Memory, for searching processes: `indexer.whoosh.storage` (a ``FileStorage``
   subclass whose segment sub-files are read in place, not copied per worker).

3. Correctness. A segment where no document has a value for a sortable field
   gets no column file for it, and ``MultiColumnReader`` then maps that
   segment's documents onto the previous segment's column (``IndexError`` or
   wrong values when sorting or faceting a multi-segment index). A small update
   of undated or sourceless articles produces exactly such a segment.
   `FastSegmentWriter.ensure_columns` gives every segment every column (filled
   with the column's default, which is what a reader reports for a missing value
   anyway).
"""

from __future__ import annotations

from typing import Any

from whoosh import writing
from whoosh.codec import whoosh3

from indexer.whoosh import fast_text, field_terms, posting_pool, schema, term_writer
from indexer.whoosh.codec_fast import can_write_fast, flush_segment
from indexer.whoosh.posting_pool import CompactPostingPool, add_document
from indexer.whoosh.term_writer import field_lengths

_MISSING = object()


class FastPerDocReader(whoosh3.W3PerDocReader):
    """``W3PerDocReader`` that remembers missing columns and reads lengths once per
    field (note 1a, 1b); the same answers."""

    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._length_lists: dict[str, list[int | None] | None] = {}

    def _cached_reader(self, fieldname: str, column: Any) -> Any:
        reader = self._readers.get(fieldname, _MISSING)
        if reader is _MISSING:
            reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = reader
        return reader

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> Any:
        """``W3PerDocReader.doc_field_length`` from a per-field list read once (Whoosh
        returns None, not ``default``, for a stored length byte of 0; kept)."""
        found: Any = self._length_lists.get(fieldname, _MISSING)
        if found is _MISSING:
            found = self._length_lists[fieldname] = field_lengths(self, fieldname)
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        if found is None:
            return default
        return found[docnum] if docnum < len(found) else default


class FastSegmentWriter(writing.SegmentWriter):
    """Whoosh's ``SegmentWriter`` with Broadsheet's fast paths (note 1) and its
    commit steps as methods (the ones ``whoosh.multiproc.MpWriter`` uses).

    ``compact_pool=False`` keeps Whoosh's posting pool; ``fast_paths=False`` keeps
    Whoosh's ``add_document``, flush and per-document reader (tests compare what
    each combination writes). Keyword arguments go to ``SegmentWriter``.
    """

    def __init__(
        self, ix: Any, *, compact_pool: bool = True, fast_paths: bool = True, **kwargs: Any
    ) -> None:
        kwargs.setdefault("codec", schema.posting_codec())
        super().__init__(ix, **kwargs)
        self.fast_paths = fast_paths
        if compact_pool:  # SegmentWriter ignores its poolclass argument: set it here
            limit_mb = kwargs.get("limitmb", 128)
            self.pool = CompactPostingPool(self._tempstorage, self.newsegment, limitmb=limit_mb)

    def add_document(self, **fields: Any) -> None:
        """Add one document (`indexer.whoosh.posting_pool.add_document` on the fast path)."""
        if self.fast_paths:
            add_document(self, **fields)
        else:
            super().add_document(**fields)

    def per_document_reader(self) -> Any:
        """The new segment's per-document reader (a `FastPerDocReader` for W3)."""
        if self.fast_paths and type(self.codec) is whoosh3.W3Codec:
            return FastPerDocReader(self.storage, self.get_segment())
        return super().per_document_reader()

    def add_reader(self, reader: Any) -> None:
        """Merge ``reader``'s documents in, reading their lengths through a
        `FastPerDocReader` (merges ask for every document's length of every field)."""
        perdoc = getattr(reader, "_perdoc", None)  # a SegmentReader's (merges use those)
        if self.fast_paths and perdoc is not None and type(perdoc) is whoosh3.W3PerDocReader:
            perdoc.close()
            reader._perdoc = FastPerDocReader(reader.storage(), reader.segment())
        super().add_reader(reader)

    def _flush_segment(self) -> None:
        if self.fast_paths and can_write_fast(self):
            flush_segment(self)
        else:
            super()._flush_segment()

    def ensure_columns(self) -> None:
        """Create every sortable field's column in the open segment (note 3; call
        before the segment is finalized: Whoosh pads it to the document count)."""
        perdoc = self.perdocwriter
        if perdoc.is_closed:
            return
        for name, field in self.schema.items():
            column = field.column_type
            if column is not None and not perdoc._has_column(name):
                perdoc._create_column(name, column)

    def finish_segment(self) -> Any:
        """Write the documents added here as one segment, not yet listed in any TOC
        (``MpWriter``'s sub-writer step): the segment, or None when none was added."""
        if self._added:
            self.ensure_columns()
            return self._finalize_segment()
        self._close_segment()
        return None

    def commit_with(
        self,
        segments: list[Any],
        *,
        optimize: bool = False,
        merge: bool = False,
    ) -> None:
        """Commit this writer's deletions, merges and documents together with
        ``segments`` finished by other writers (``MpWriter``'s ``multisegment``
        commit): one TOC lists them all."""
        mergetype = writing.OPTIMIZE if optimize else (None if merge else writing.NO_MERGE)
        final = self._merge_segments(mergetype, optimize, merge)
        own = self.finish_segment()
        if own is not None:
            final.append(own)
        final.extend(segments)
        self._commit_toc(final)
        self._finish()


def exact_whoosh_bytes(exact: bool) -> None:
    """Write the bytes Whoosh writes (True), or the smaller equivalent (False, the
    default); see note 1. Broadsheet's own settings; for tests."""
    term_writer.MIN_COMPRESS = 0 if exact else term_writer.DEFAULT_MIN_COMPRESS
    fast_text.SINGLE_VALUES_SIZE = 0 if exact else fast_text.DEFAULT_SINGLE_VALUES_SIZE
    fast_text._SINGLE_VALUES.clear()
    field_terms.EXACT = exact
    posting_pool.WHOOSH_SPELLING_VALUES = exact


__all__ = ["FastPerDocReader", "FastSegmentWriter", "exact_whoosh_bytes"]
