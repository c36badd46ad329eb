"""Each document's stored fields read straight from its segment's stored column.

Whoosh reads one document's stored fields through six calls (the multi-reader finds
the segment, the segment reader filters the dictionary by the schema, the per-document
reader finds its column, the pickle column, the compressed column and the byte column
read it) and inflates it with zlib. A search reads the stored fields of every hit on
the page and of the best documents it learns feedback words from, so `StoredFields`
finds the segment by its document offset, reads the value bytes from the byte column
and inflates them with Intel's ISA-L (`isal`: the same zlib stream, about a quarter
faster). A segment whose stored column is not Whoosh 2.7.5's pickled, compressed
bytes column is read through Whoosh. The answers are Whoosh's, but for fields the
schema no longer has, which Whoosh leaves out (a Broadsheet index stores none).
"""

from __future__ import annotations

import bisect
import zlib
from pickle import loads
from typing import Any

from isal.isal_zlib import decompress
from whoosh.codec import whoosh3
from whoosh.columns import CompressedBytesColumn, PickleColumn, VarBytesColumn
from whoosh.reading import IndexReader

__all__ = ["StoredFields"]

_read_bytes = VarBytesColumn.Reader.__getitem__


class StoredFields:
    """The stored fields of ``reader``'s documents by global document number; safe to
    share between threads (column readers only read their file)."""

    def __init__(self, reader: IndexReader) -> None:
        self._offsets: list[int] = []
        self._columns: list[Any] = []  # the byte column reader, or None: ask the leaf
        self._leaves: list[Any] = []
        for leaf, offset in reader.leaf_readers():
            self._offsets.append(offset)
            self._leaves.append(leaf)
            self._columns.append(_byte_column(leaf))

    def __call__(self, docnum: int) -> dict[str, Any]:
        """The stored fields of document ``docnum`` ({} when it stored none)."""
        index = bisect.bisect_right(self._offsets, docnum) - 1
        local = docnum - self._offsets[index]
        column = self._columns[index]
        if column is None:
            fields: dict[str, Any] = self._leaves[index].stored_fields(local)
            return fields
        data = _read_bytes(column, local)
        return loads(decompress(data)) if data else {}


def _byte_column(leaf: Any) -> Any:
    """The compressed byte column under a W3 segment's pickled stored column, or None."""
    perdoc: Any = getattr(leaf, "_perdoc", None)
    if type(perdoc) is not whoosh3.W3PerDocReader or not perdoc.has_column("_stored"):
        return None
    column = perdoc._cached_reader("_stored", whoosh3.STORED_COLUMN)
    child: Any = getattr(column, "_child", None)
    if type(column) is not PickleColumn.Reader or type(child) is not CompressedBytesColumn.Reader:
        return None
    if child._decompress is not zlib.decompress:
        return None  # another compression module than the zlib Whoosh writes with
    return child
