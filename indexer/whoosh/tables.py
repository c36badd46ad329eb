"""Per-document tables written once per generation, so that web workers read them.

A web worker needs, for every document number, its facet values (tags, source), its
raw date and its near-duplicate group. Computed from the index, they cost a worker's
first search most of its time on a large archive (at 1,000,000 articles: grouping
the MinHash sketches about 13 s, reading the tag postings and columns about 6 s, as
profiled), and every worker of every generation did that work again. Here the indexer
computes them once, when it publishes a generation, and writes them beside the
segments:

* ``tables.bin``: a header saying which index state they describe (`fingerprint`),
  the value names of each keyword field and whether any views are known, then the
  arrays, which a worker reads in one piece (`indexer.array_file`;
  read whole rather than mapped, so that no file descriptor stays open for them).

A worker whose index does not match the fingerprint (an older generation, a commit
made since, a damaged file) computes the tables itself, as before: the file only
saves time, it never changes an answer. It is written under a temporary
name and renamed into place: a generation cloned from another holds hard links to
its files, and writing through a link would change the other generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.reading import IndexReader

from indexer.array_file import read_arrays, write_arrays
from indexer.whoosh.dedup import duplicate_groups
from indexer.whoosh.postings import read_numeric_column, read_postings
from indexer.whoosh.schema import TABLE_FIELDS

__all__ = [
    "TABLES_MAGIC",
    "TABLES_NAME",
    "GenerationTables",
    "date_stamps",
    "fingerprint",
    "keyword_table",
    "read_tables",
    "views_known",
    "write_tables",
]

#: A generation's tables: a header and the arrays (`indexer.array_file`).
TABLES_NAME = "tables.bin"
#: What a tables file starts with.
TABLES_MAGIC = b"BSTABLE1"
#: Bumped when what the tables hold, or how, changes (older tables are then ignored).
TABLES_VERSION = 1
#: No date: Whoosh stores 2**64 - 1 in the ``date`` column.
UNDATED = 2**64 - 1


@dataclass(frozen=True, slots=True)
class KeywordTable:
    """One keyword field's values by document. ``names`` in lexicon order; document
    ``d`` holds ``ids[offsets[d]:offsets[d + 1]]`` (numbers into ``names``)."""

    names: tuple[str, ...]
    offsets: np.ndarray
    ids: np.ndarray


@dataclass(frozen=True, slots=True)
class GenerationTables:
    """Everything a worker would otherwise compute per document at open."""

    keywords: dict[str, KeywordTable]
    #: The raw ``date`` column (`UNDATED` when a document has no date).
    stamps: np.ndarray
    views_known: bool
    #: Near-duplicate group of each document (-1: none), see `indexer.whoosh.dedup`.
    groups: np.ndarray


def fingerprint(reader: IndexReader) -> list[list[Any]]:
    """What identifies the state of ``reader``'s index: each segment's id, its number
    of documents and of live documents (a deletion changes the latter)."""
    found = []
    for leaf, _ in reader.leaf_readers():
        segment = getattr(leaf, "segment", None)
        name = segment().segment_id() if callable(segment) else type(leaf).__name__
        found.append([name, leaf.doc_count_all(), leaf.doc_count()])
    return found


def keyword_table(reader: IndexReader, fieldname: str) -> KeywordTable:
    """``fieldname``'s values of every document, from its postings (values of a
    document in lexicon order)."""
    size = reader.doc_count_all()
    names: list[str] = []
    docs: list[np.ndarray] = []
    numbers: list[np.ndarray] = []
    if fieldname in reader.indexed_field_names():
        for number, term in enumerate(reader.lexicon(fieldname)):
            names.append(term.decode("utf-8"))
            found, _ = read_postings(reader, fieldname, term)
            docs.append(found)
            numbers.append(np.full(len(found), number, dtype=np.int32))
    all_docs = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
    all_numbers = np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int32)
    order = np.argsort(all_docs, kind="stable")  # by document, values in lexicon order
    offsets = np.zeros(size + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(all_docs, minlength=size))
    return KeywordTable(tuple(names), offsets, all_numbers[order])


def date_stamps(reader: IndexReader) -> np.ndarray:
    """The raw ``date`` column of every document (`UNDATED` for undated ones)."""
    size = reader.doc_count_all()

    def column(leaf: IndexReader) -> object | None:
        return leaf.column_reader("date", translate=False) if leaf.has_column("date") else None

    found = read_numeric_column(reader.leaf_readers(), column, UNDATED).astype(np.uint64)
    return found if len(found) == size else np.full(size, UNDATED, dtype=np.uint64)


def views_known(reader: IndexReader) -> bool:
    """Whether any document's ``views`` is known: the raw (sortable) column holds a
    signed 64-bit value shifted by 2**63, and unknown views are stored as -1."""

    def column(leaf: IndexReader) -> object | None:
        return leaf.column_reader("views", translate=False) if leaf.has_column("views") else None

    raw = read_numeric_column(reader.leaf_readers(), column, 0)
    return bool(len(raw)) and int(raw.max()) >= 2**63


def compute_tables(reader: IndexReader) -> GenerationTables:
    """Every table of ``reader``, computed from its postings and columns."""
    keywords = {field: keyword_table(reader, field) for field in TABLE_FIELDS}
    return GenerationTables(
        keywords, date_stamps(reader), views_known(reader), duplicate_groups(reader)
    )


def _arrays(tables: GenerationTables) -> dict[str, np.ndarray]:
    arrays = {"stamps": tables.stamps, "groups": tables.groups}
    for field, table in tables.keywords.items():
        arrays[f"{field}.offsets"] = table.offsets
        arrays[f"{field}.ids"] = table.ids
    return arrays


def write_tables(generation: Path, reader: IndexReader) -> GenerationTables:
    """Compute ``reader``'s tables and write them into ``generation``."""
    tables = compute_tables(reader)
    meta = {
        "version": TABLES_VERSION,
        "fingerprint": fingerprint(reader),
        "names": {field: list(table.names) for field, table in tables.keywords.items()},
        "views_known": tables.views_known,
    }
    write_arrays(generation / TABLES_NAME, _arrays(tables), meta, TABLES_MAGIC)
    return tables


def read_tables(generation: Path, reader: IndexReader) -> GenerationTables | None:
    """The tables written into ``generation`` for exactly ``reader``'s index state,
    read-only; None when there are none, they describe another state, or they
    cannot be read (the caller then computes them)."""
    try:
        # Read whole, not mapped: a map holds a file descriptor for as long as the
        # generation is served (the tables are 44 MB at a million articles).
        arrays, meta = read_arrays(generation / TABLES_NAME, TABLES_MAGIC, mapped=False)
        if meta.get("version") != TABLES_VERSION:
            return None
        if meta.get("fingerprint") != fingerprint(reader):
            return None
        size = reader.doc_count_all()

        def load(name: str, length: int) -> np.ndarray:
            array = arrays[name]
            if len(array) != length:
                raise ValueError(f"tables {name} holds {len(array)} values, not {length}")
            return array

        keywords = {}
        for field in TABLE_FIELDS:
            offsets = load(f"{field}.offsets", size + 1)
            ids = load(f"{field}.ids", int(offsets[-1]))
            names = tuple(str(name) for name in meta["names"][field])
            if len(ids) and int(ids.max()) >= len(names):
                raise ValueError(f"{field} names a value it does not list")
            keywords[field] = KeywordTable(names, offsets, ids)
        return GenerationTables(
            keywords, load("stamps", size), bool(meta["views_known"]), load("groups", size)
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
