"""Per-document facet values of one index reader, as NumPy vectors (built once).

Whoosh's ``groupedby`` rebuilds every matching document's values from postings
on each search (60-110 ms a query here). Instead each reader gets `FacetTables`:
for every document number its tags, source, month (and so year), day and raw
date, read once from the ``tag_exact`` and ``source_exact`` postings and the
``date`` column. Counting over a search's matches is then a gather and a
``bincount`` (`search.facets`); a few bytes per document keep a worker small at
200k articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from whoosh.reading import IndexReader
from whoosh.util.times import datetime_to_long

from search.postings import read_numeric_column, read_postings

__all__ = ["FacetTables"]

#: Raw ``date`` column values from here up mean "undated" (Whoosh stores 2**64 - 1).
NO_DATE = 2**63
_EPOCH_LONG = datetime_to_long(datetime(1970, 1, 1))
_DAY_LONG = 86_400_000_000  # Whoosh's date longs count microseconds


@dataclass(frozen=True, slots=True)
class FacetTables:
    """Facet values by document number.

    Every facet's distinct values are numbered; value 0 of the single-valued
    facets is "" (no value). Tags are multi-valued: document ``d``'s tag numbers
    are ``tag_ids[tag_offsets[d]:tag_offsets[d + 1]]``, in index (lexicon) order.
    """

    tag_values: tuple[str, ...]
    tag_offsets: np.ndarray
    tag_ids: np.ndarray
    source_values: tuple[str, ...]
    source_ids: np.ndarray
    month_values: tuple[str, ...]
    month_ids: np.ndarray
    year_values: tuple[str, ...]
    #: Year number of each month number.
    month_year: np.ndarray
    #: Days since 1970-01-01 of each document's date (0 before 1970), -1 when undated.
    days: np.ndarray
    #: The day of the newest dated document, -1 when none is dated.
    newest_day: int
    #: Each document's raw ``date`` column value (2**64 - 1 when undated), for date filters.
    stamps: np.ndarray
    #: Whether any document has a view count (else sorting by views means nothing).
    views_known: bool = False
    #: Per facet, each value's number (made on first use, once per reader).
    _numbers: dict[str, dict[str, int]] = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls, reader: IndexReader) -> FacetTables:
        """Read the tables from ``reader``."""
        size = reader.doc_count_all()
        tag_values, tag_offsets, tag_ids = _tags(reader, size)
        source_values, source_ids = _single(reader, "source_exact", size)
        stamps = _stamps(reader, size)
        dated = stamps < np.uint64(NO_DATE)
        micros = np.where(dated, stamps, np.uint64(_EPOCH_LONG)).astype(np.int64) - _EPOCH_LONG
        day_numbers = micros // _DAY_LONG
        days = np.where(dated, np.maximum(day_numbers, 0), -1).astype(np.int32)
        # Months since 1970-01 (negative before), then numbered 1.. in order; 0 = undated.
        months = day_numbers.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        distinct = np.unique(months[dated])
        month_ids = np.zeros(size, dtype=np.int32)
        month_ids[dated] = np.searchsorted(distinct, months[dated]) + 1
        month_values = ("", *(_month_name(int(m)) for m in distinct))
        year_values = [""]
        month_year = [0]
        for month in month_values[1:]:
            if month[:4] != year_values[-1]:
                year_values.append(month[:4])
            month_year.append(len(year_values) - 1)
        return cls(
            tag_values,
            tag_offsets,
            tag_ids,
            source_values,
            source_ids,
            month_values,
            month_ids,
            tuple(year_values),
            np.array(month_year, dtype=np.int32),
            days,
            int(days.max(initial=-1)),
            stamps,
            _views_known(reader),
        )

    @property
    def newest_date(self) -> date | None:
        """The day of the newest dated document (the archive's end), None when none is dated."""
        return None if self.newest_day < 0 else date(1970, 1, 1) + timedelta(days=self.newest_day)

    @property
    def oldest_date(self) -> date | None:
        """The day of the oldest dated document, None when none is dated."""
        dated = self.days[self.days >= 0]
        return date(1970, 1, 1) + timedelta(days=int(dated.min())) if len(dated) else None

    def names(self, facet: str) -> tuple[str, ...]:
        """Value names of ``facet`` by number."""
        return {
            "tags": self.tag_values,
            "source": self.source_values,
            "month": self.month_values,
            "year": self.year_values,
        }[facet]

    def number_of(self, facet: str, value: str) -> int | None:
        """The number of ``value`` in ``facet``, or None when no document has it."""
        numbers = self._numbers.get(facet)
        if numbers is None:
            numbers = self._numbers[facet] = {
                name: number for number, name in enumerate(self.names(facet)) if name
            }
        return numbers.get(value)

    def numbers(self, facet: str, docs: np.ndarray) -> np.ndarray:
        """The value number of each of ``docs`` for a single-valued ``facet`` (0 = none)."""
        if facet == "source":
            return self.source_ids[docs]
        months = self.month_ids[docs]
        return self.month_year[months] if facet == "year" else months

    def tags_of(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every tag number of ``docs`` and, for each, the position in ``docs`` it
        belongs to."""
        starts = self.tag_offsets[docs]
        counts = self.tag_offsets[docs + 1] - starts
        owners = np.repeat(np.arange(len(docs)), counts)
        if not len(owners):
            return np.zeros(0, dtype=self.tag_ids.dtype), owners
        firsts = np.cumsum(counts) - counts
        places = np.arange(len(owners)) - firsts[owners] + starts[owners]
        return self.tag_ids[places], owners


def _terms(reader: IndexReader, fieldname: str) -> list[bytes]:
    if fieldname not in reader.indexed_field_names():
        return []
    return list(reader.lexicon(fieldname))


def _tags(reader: IndexReader, size: int) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Tag names (lexicon order) and each document's tag numbers (offsets + ids)."""
    names, docs, numbers = [], [], []
    for number, term in enumerate(_terms(reader, "tag_exact")):
        names.append(term.decode("utf-8"))
        found, _ = read_postings(reader, "tag_exact", term)
        docs.append(found)
        numbers.append(np.full(len(found), number, dtype=np.int32))
    all_docs = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
    all_numbers = np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int32)
    order = np.argsort(all_docs, kind="stable")  # by document, tags in lexicon order
    offsets = np.zeros(size + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(all_docs, minlength=size))
    return tuple(names), offsets, all_numbers[order]


def _single(reader: IndexReader, fieldname: str, size: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Values of a single-valued ID field ("" first, then sorted) and each document's."""
    ids = np.zeros(size, dtype=np.int32)
    names = [""]
    for term in _terms(reader, fieldname):
        found, _ = read_postings(reader, fieldname, term)
        names.append(term.decode("utf-8"))
        ids[found] = len(names) - 1
    return tuple(names), ids


def _stamps(reader: IndexReader, size: int) -> np.ndarray:
    """The raw ``date`` column (2**64 - 1 for undated documents)."""
    undated = 2**64 - 1

    def column(leaf: IndexReader) -> object | None:
        return leaf.column_reader("date", translate=False) if leaf.has_column("date") else None

    found = read_numeric_column(reader.leaf_readers(), column, undated).astype(np.uint64)
    return found if len(found) == size else np.full(size, undated, dtype=np.uint64)


def _views_known(reader: IndexReader) -> bool:
    """Whether any document's ``views`` is known: the raw (sortable) column holds a
    signed 64-bit value shifted by 2**63, and unknown views are stored as -1."""

    def column(leaf: IndexReader) -> object | None:
        return leaf.column_reader("views", translate=False) if leaf.has_column("views") else None

    raw = read_numeric_column(reader.leaf_readers(), column, 0)
    return bool(len(raw)) and int(raw.max()) >= 2**63


def _month_name(months_since_1970: int) -> str:
    """``YYYY-MM`` of a month counted from 1970-01."""
    year, month = divmod(months_since_1970, 12)
    return f"{1970 + year:04d}-{month + 1:02d}"
