"""Whoosh's W3 posting lists written a whole term at a time: the same posting lists.

Whoosh flushes a segment one ``add_posting`` call per posting, a block object per
128 postings, a ``W3TermInfo`` and an ``OrderedHashWriter.add`` per term (about 40 %
of a build's CPU). `write_terms` writes the same files from
`CompactPostingPool.iter_terms`, which holds each term's postings as one flat list:
blocks are encoded from list slices, and a term's blocks, term-info row and
hash-table entry are written with one call each (`indexer.whoosh.term_writer`).

With ``min_compress=0`` the bytes are the ones Whoosh 2.7.5 writes
(``whoosh.codec.whoosh3``, pinned): the same pickled block tuples, the same zlib
level, the same block-info tuple, the same term-info struct and the same ordered
hash table; ``tests/test_fast_codec.py`` checks that segment files written with and
without this path are identical. By default, small blocks are stored as they are
(`term_writer.MIN_COMPRESS`) and the others deflated by ISA-L
(`term_writer.ISAL_LEVEL`): other bytes, the
same postings, and unmodified Whoosh reads them. Only the plain W3 codec (no
inlined postings) takes this path; any other codec or pool goes through Whoosh's code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from isal import isal_zlib
from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.filedb import filetables

from indexer.whoosh import term_writer
from indexer.whoosh.term_writer import TermWriter

#: (field name, term bytes, flat postings ``[docnum, weight, value, ...]``).
TermRecord = tuple[str, bytes, list[Any]]
#: The column of each document's stored fields (Whoosh's name).
STORED_NAME = "_stored"


def can_write_fast(writer: Any) -> bool:
    """True when ``writer``'s codec and field writer are the stock W3 ones that
    `write_terms` reproduces (blocks only, never inlined postings)."""
    codec = writer.codec
    fieldwriter = writer.fieldwriter
    return (
        type(codec) is whoosh3.W3Codec
        and type(fieldwriter) is whoosh3.W3FieldWriter
        and codec._inlinelimit <= 1
        and codec.length_stats
        and type(fieldwriter._tindex) is filetables.OrderedHashWriter
        and hasattr(writer.pool, "iter_terms")
    )


def start_stored_column(perdoc: Any) -> None:
    """Create the stored-fields column of ``perdoc`` (a ``W3PerDocWriter``), its values
    deflated by ISA-L as the posting blocks are (zlib, as Whoosh does, when Whoosh's
    exact bytes are asked for: `MIN_COMPRESS` 0). Any W3 reader inflates them."""
    perdoc._create_column(STORED_NAME, whoosh3.STORED_COLUMN)
    child: Any = getattr(perdoc._colwriters[STORED_NAME], "_child", None)
    if term_writer.MIN_COMPRESS and type(child) is columns.CompressedBytesColumn.Writer:
        child._compress = isal_zlib.compress
        child._level = term_writer.ISAL_LEVEL


def write_terms(
    fieldwriter: Any,
    schema: Any,
    perdoc: Any,
    records: Iterable[TermRecord],
    min_compress: int | None = None,
) -> int:
    """Write ``records`` (sorted by field and term, documents ascending within a term)
    through ``fieldwriter`` as ``add_postings`` would; the number of terms written.
    With ``min_compress=0`` the bytes are exactly Whoosh's."""
    writer = TermWriter(fieldwriter, schema, perdoc, min_compress)
    count = 0
    for fieldname, text, postings in records:
        if fieldname != writer.fieldname:
            writer.start_field(fieldname)
        writer.write(text, postings)
        count += 1
    writer.finish()
    return count


def flush_segment(writer: Any, min_compress: int | None = None) -> None:
    """``SegmentWriter._flush_segment`` through `write_terms` (call `can_write_fast` first)."""
    writer.perdocwriter.close()
    perdoc = writer.per_document_reader()
    try:
        records = writer.pool.iter_terms()
        write_terms(writer.fieldwriter, writer.schema, perdoc, records, min_compress)
        writer.fieldwriter.close()
    finally:
        perdoc.close()


__all__ = [
    "STORED_NAME",
    "TermRecord",
    "can_write_fast",
    "flush_segment",
    "start_stored_column",
    "write_terms",
]
