"""Per-document facet values of one index reader, as NumPy vectors (built once).

Whoosh's ``groupedby`` rebuilds every matching document's values from postings
on each search (60-110 ms a query here). Instead each reader gets `FacetTables`:
for every document number its value numbers of each facet of
`search.facet_specs.FACETS` (read once from the postings of the facet's ID field,
or, for month and year, from the ``date`` column), its day and its raw date.
Counting over a search's matches is then a gather and a ``bincount``
(`search.whoosh.facets`); a few bytes per document keep a worker small at 200k articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from whoosh.reading import IndexReader
from whoosh.util.times import datetime_to_long

from indexer.whoosh.tables import GenerationTables, KeywordTable, compute_tables
from search.facet_specs import FACETS

__all__ = ["FacetTables", "member_mask"]

#: Raw ``date`` column values from here up mean "undated" (Whoosh stores 2**64 - 1).
NO_DATE = 2**63
_EPOCH_LONG = datetime_to_long(datetime(1970, 1, 1))
_DAY_LONG = 86_400_000_000  # Whoosh's date longs count microseconds
#: `FacetTables.count_values` marks documents once they are at least one in this many.
DENSE_COUNT = 4
#: `member_mask` compares one by one up to this many wanted numbers.
FEW_WANTED = 4


@dataclass(frozen=True, slots=True)
class FacetTables:
    """Facet values by document number, for every facet of `search.facet_specs.FACETS`.

    Every facet's distinct values are numbered; value 0 of a single-valued facet is
    "" (no value). A multi-valued facet (tags) keeps offsets and value numbers:
    document ``d``'s are ``ids[offsets[d]:offsets[d + 1]]``, in index (lexicon) order.
    """

    #: Per facet, its value names by number.
    values: dict[str, tuple[str, ...]]
    #: Per single-valued facet, each document's value number.
    single: dict[str, np.ndarray]
    #: Per multi-valued facet, ``(offsets, ids)``.
    multi: dict[str, tuple[np.ndarray, np.ndarray]]
    #: Days since 1970-01-01 of each document's date (0 before 1970), -1 when undated.
    days: np.ndarray
    #: The day of the newest dated document, -1 when none is dated.
    newest_day: int
    #: Each document's raw ``date`` column value (2**64 - 1 when undated), for date filters.
    stamps: np.ndarray
    #: Whether any document has a view count (else sorting by views means nothing).
    views_known: bool = False
    #: The day of the oldest dated document, -1 when none is dated.
    oldest_day: int = -1
    #: Per facet, each value's number (made on first use, once per reader).
    _numbers: dict[str, dict[str, int]] = field(default_factory=dict, compare=False)
    #: Per multi-valued facet, each document's number of values (made on first use).
    _lengths: dict[str, np.ndarray] = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls, reader: IndexReader) -> FacetTables:
        """Compute the tables of every facet from ``reader``."""
        return cls.from_tables(compute_tables(reader))

    @classmethod
    def from_tables(cls, tables: GenerationTables) -> FacetTables:
        """The facet tables over a generation's per-document tables
        (`indexer.whoosh.tables`: written by the indexer, or computed)."""
        stamps = tables.stamps
        dated = stamps < np.uint64(NO_DATE)
        micros = np.where(dated, stamps, np.uint64(_EPOCH_LONG)).astype(np.int64) - _EPOCH_LONG
        day_numbers = micros // _DAY_LONG
        days = np.where(dated, np.maximum(day_numbers, 0), -1).astype(np.int32)
        by_date = _date_facets(day_numbers, dated)
        values: dict[str, tuple[str, ...]] = {}
        single: dict[str, np.ndarray] = {}
        multi: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for facet in FACETS:
            if facet.index_field == "date":
                values[facet.name], single[facet.name] = by_date[facet.values]
                continue
            table = tables.keywords[facet.index_field]
            if facet.multi_valued:
                values[facet.name] = table.names
                multi[facet.name] = (table.offsets, table.ids)
            else:
                values[facet.name], single[facet.name] = _single(table)
        dated_days = days[days >= 0]
        oldest = int(dated_days.min()) if len(dated_days) else -1
        return cls(
            values,
            single,
            multi,
            days,
            int(days.max(initial=-1)),
            stamps,
            tables.views_known,
            oldest,
        )

    @property
    def newest_date(self) -> date | None:
        """The day of the newest dated document (the archive's end), None when none is dated."""
        return None if self.newest_day < 0 else date(1970, 1, 1) + timedelta(days=self.newest_day)

    @property
    def oldest_date(self) -> date | None:
        """The day of the oldest dated document, None when none is dated."""
        return None if self.oldest_day < 0 else date(1970, 1, 1) + timedelta(days=self.oldest_day)

    def names(self, facet: str) -> tuple[str, ...]:
        """Value names of ``facet`` by number."""
        return self.values[facet]

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
        return self.single[facet][docs]

    def values_of(self, facet: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every value number of ``docs`` for a multi-valued ``facet`` and, for each,
        the position in ``docs`` it belongs to."""
        offsets, ids = self.multi[facet]
        starts = offsets[docs]
        counts = offsets[docs + 1] - starts
        owners = np.repeat(np.arange(len(docs)), counts)
        if not len(owners):
            return np.zeros(0, dtype=ids.dtype), owners
        firsts = np.cumsum(counts) - counts
        places = np.arange(len(owners)) - firsts[owners] + starts[owners]
        return ids[places], owners

    def holds_any(self, facet: str, docs: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        """For each of ``docs`` (distinct document numbers): does it hold one of the
        ``wanted`` value numbers of the multi-valued ``facet``? Few documents: their
        values are gathered (`values_of`); many (one in `DENSE_COUNT` or more): the
        table's entries of the wanted values are found, and their documents marked."""
        offsets, ids = self.multi[facet]
        if len(docs) * DENSE_COUNT < len(offsets) - 1:
            values, owners = self.values_of(facet, docs)
            found = np.zeros(len(docs), dtype=bool)
            found[owners[member_mask(values, wanted)]] = True
            return found
        hits = member_mask(ids, wanted)
        entries = np.flatnonzero(hits)
        if len(entries) * 32 < len(ids):  # few: each entry's document by binary search
            holders = np.zeros(len(offsets) - 1, dtype=bool)
            holders[np.searchsorted(offsets, entries, side="right") - 1] = True
            return holders[docs]
        counted = np.int32 if len(ids) < 2**31 else np.int64
        running = np.zeros(len(ids) + 1, dtype=counted)
        np.cumsum(hits, out=running[1:], dtype=counted)  # wanted entries before each place
        return (running[offsets[1:]] != running[offsets[:-1]])[docs]

    def count_values(self, facet: str, docs: np.ndarray) -> np.ndarray:
        """How many of ``docs`` (distinct document numbers) hold each value number of
        the multi-valued ``facet``. Few documents: their values are gathered
        (`values_of`); many (one in `DENSE_COUNT` or more): every value entry is kept
        or not by its document's mark, which reads the tables once in order."""
        offsets, ids = self.multi[facet]
        size = len(self.values[facet])
        documents = len(offsets) - 1
        if len(docs) * DENSE_COUNT < documents:
            values, _ = self.values_of(facet, docs)
            return np.bincount(values, minlength=size)
        lengths = self._lengths.get(facet)
        if lengths is None:
            lengths = self._lengths[facet] = np.diff(offsets)
        chosen = np.zeros(documents, dtype=bool)
        chosen[docs] = True
        return np.bincount(ids[np.repeat(chosen, lengths)], minlength=size)


def member_mask(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``np.isin(values, wanted)``; for up to `FEW_WANTED` numbers, one comparison with
    each (over millions of values, about three times faster than ``isin``)."""
    if len(wanted) > FEW_WANTED:
        return np.isin(values, wanted)
    found = np.zeros(len(values), dtype=bool)
    for number in wanted.tolist():  # Python ints compare in the values' own type
        found |= values == number
    return found


def _date_facets(
    day_numbers: np.ndarray, dated: np.ndarray
) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    """Month and year names ("" first: undated) and each document's numbers."""
    # Months since 1970-01 (negative before), then numbered 1.. in order; 0 = undated.
    months = day_numbers.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    distinct = np.unique(months[dated])
    month_ids = np.zeros(len(months), dtype=np.int32)
    month_ids[dated] = np.searchsorted(distinct, months[dated]) + 1
    month_values = ("", *(_month_name(int(m)) for m in distinct))
    year_values = [""]
    month_year = [0]
    for month in month_values[1:]:
        if month[:4] != year_values[-1]:
            year_values.append(month[:4])
        month_year.append(len(year_values) - 1)
    year_ids = np.array(month_year, dtype=np.int16 if len(year_values) < 2**15 else np.int32)
    return {
        "month": (month_values, month_ids),
        "year": (tuple(year_values), year_ids[month_ids]),
    }


def _single(table: KeywordTable) -> tuple[tuple[str, ...], np.ndarray]:
    """Values of a single-valued field ("" first, then in lexicon order) and each
    document's number (0: none; the last of several, as a lexicon walk would set)."""
    counts = np.diff(table.offsets)
    ids = np.zeros(len(counts), dtype=np.int32)
    holding = np.flatnonzero(counts)
    ids[holding] = np.asarray(table.ids)[np.asarray(table.offsets)[holding + 1] - 1] + 1
    return ("", *table.names), ids


def _month_name(months_since_1970: int) -> str:
    """``YYYY-MM`` of a month counted from 1970-01."""
    year, month = divmod(months_since_1970, 12)
    return f"{1970 + year:04d}-{month + 1:02d}"
