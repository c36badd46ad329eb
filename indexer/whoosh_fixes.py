"""Two narrow fixes for Whoosh 2.7.5 (pinned), applied only by writing processes.

1. Speed. When a segment is flushed, Whoosh asks the per-document reader for
   every posting's field length. For fields without a length column (IDs,
   keywords, numbers, dates) ``W3PerDocReader._cached_reader`` caches nothing
   and calls ``os.stat`` again, once per posting: about a million ``stat`` calls
   for the demo corpus. Segment files never change once written, so "this
   column does not exist" is cached like a found column (`apply_speedups`).

2. Correctness. A segment where no document has a value for a sortable field
   gets no column file for it, and ``MultiColumnReader`` then maps that
   segment's documents onto the previous segment's column (``IndexError`` or
   wrong values when sorting or faceting a multi-segment index). A small update
   of undated or sourceless articles produces exactly such a segment.
   `ensure_columns` gives every segment every column (filled with the column's
   default, which is what a reader reports for a missing value anyway).
"""

from __future__ import annotations

from typing import Any

from whoosh.codec import whoosh3

_MISSING = object()
_applied = False


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    reader = self._readers.get(fieldname, _MISSING)
    if reader is _MISSING:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
    return reader


def apply_speedups() -> None:
    """Install the cached lookup on Whoosh's W3 per-document reader (idempotent)."""
    global _applied
    if not _applied:
        whoosh3.W3PerDocReader._cached_reader = _cached_reader
        _applied = True


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
