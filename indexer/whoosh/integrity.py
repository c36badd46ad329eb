"""Deep read of a generation: every posting block and every column, checked.

``indexer check`` reads the stored fields of every document; a search also reads
posting lists, which live in other parts of a segment (Whoosh's W3 codec: one
pickled, usually zlib-compressed tuple of ids, weights and values per block of up
to 128 postings, found through the term table). A damaged byte there is met only
by the search that reads that term. `read_postings` reads them all: for every
term of every field of every segment it walks the term's blocks, decompresses and
unpickles each, and checks the block against what the term table and the block
header say (ids ascending and below the segment's document count, the block's
last id equal to its recorded maximum, as many postings as the term's document
frequency, a value per posting); then it reads every column (dates, views,
lengths, sketches). zlib's checksum catches nearly any damage to a compressed
block; the structural checks catch most damage to the small uncompressed ones.

Reading the index files means unpickling them, as every search does: the index
folder must be trusted (SECURITY.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher

from indexer.errors import IndexerError
from indexer.whoosh.storage import open_mapped_index

#: Problems after which a deep read stops collecting (the verdict is clear by then).
MAX_PROBLEMS = 20


@dataclass(slots=True)
class DeepReadResult:
    """What `read_postings` read, and what was wrong."""

    terms: int = 0
    blocks: int = 0
    postings: int = 0
    columns: int = 0
    problems: list[str] = field(default_factory=list)


class _BadBlock(IndexerError, ValueError):
    """A posting block that decoded but does not hold what its headers say."""


def _check_ids(ids: Any, low: int, high: int, count: int, maxid: int | None) -> None:
    if len(ids) != count:
        raise _BadBlock(f"{len(ids)} ids in a block of {count}")
    previous = low
    for docnum in ids:
        if docnum <= previous or docnum >= high:
            raise _BadBlock(f"document number {docnum} out of order or range")
        previous = docnum
    if maxid is not None and ids and ids[-1] != maxid:
        raise _BadBlock(f"last id {ids[-1]} but the block header says {maxid}")


def _read_term(matcher: Any, doc_count: int) -> tuple[int, int]:
    """Read every block of one term's postings; return (blocks, postings)."""
    if not isinstance(matcher, W3LeafMatcher):  # postings inlined in the term table
        ids = list(matcher.all_ids())
        _check_ids(ids, -1, doc_count, len(ids), None)
        return 1, len(ids)
    blocks = postings = 0
    last = -1
    while not matcher._atend:
        matcher._read_ids()  # decompresses and unpickles the block
        ids = matcher._ids
        _check_ids(ids, last, doc_count, matcher._blocklength, matcher._maxid)
        weights = matcher._data[1]
        if weights is not None and not isinstance(weights, float) and len(weights) != len(ids):
            raise _BadBlock(f"{len(weights)} weights for {len(ids)} postings")
        matcher._read_values()
        if len(matcher._values) != len(ids):
            raise _BadBlock(f"{len(matcher._values)} values for {len(ids)} postings")
        blocks += 1
        postings += len(ids)
        last = ids[-1] if len(ids) else last
        matcher._next_block()
    return blocks, postings


def _read_segment(reader: Any, name: str, result: DeepReadResult) -> None:
    terms = reader._terms
    schema = reader.schema
    doc_count = reader.doc_count_all()
    postings_reader = terms._codec.postings_reader
    for (fieldname, text), info in terms.items():
        if len(result.problems) >= MAX_PROBLEMS:
            return
        result.terms += 1
        try:
            matcher = postings_reader(
                terms._postfile, info, schema[fieldname].format, term=(fieldname, text)
            )
            blocks, postings = _read_term(matcher, doc_count)
            if postings != info.doc_frequency():
                raise _BadBlock(f"{postings} postings, the term table says {info.doc_frequency()}")
        except Exception as error:  # every failure is a finding
            result.problems.append(
                f"segment {name}: postings of {fieldname}:{text[:40]!r} unreadable "
                f"({type(error).__name__}: {str(error)[:120]})"
            )
            continue
        result.blocks += blocks
        result.postings += postings
    for fieldname in schema.names():
        if not reader.has_column(fieldname):
            continue
        try:
            for _value in reader.column_reader(fieldname, translate=False):
                pass
            result.columns += 1
        except Exception as error:
            result.problems.append(
                f"segment {name}: column {fieldname} unreadable "
                f"({type(error).__name__}: {str(error)[:120]})"
            )


def read_postings(generation: Path) -> DeepReadResult:
    """Read every posting block and column of ``generation``; never raises for bad data."""
    result = DeepReadResult()
    try:
        ix = open_mapped_index(generation)
    except Exception as error:
        result.problems.append(f"cannot open {generation.name}: {error}")
        return result
    try:
        with ix.reader() as reader:
            for leaf, _offset in reader.leaf_readers():
                _read_segment(leaf, leaf._segment.segment_id(), result)
    except Exception as error:
        result.problems.append(f"reading postings failed: {type(error).__name__}: {error}")
    finally:
        ix.close()
    return result
