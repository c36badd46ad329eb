"""Facet counts from per-document value tables, built once per index reader.

Whoosh's ``groupedby`` rebuilds every matching document's values from postings
on each search (60-110 ms a query here) and counts a multi-tag article under one
tag only unless told otherwise. Instead each reader gets `FacetTables`: for
every document number its tags, source, year and month, read once from postings
and columns. A search then counts with one pass over its matching documents
(the cost follows the number of matches, never the size of the corpus).

Counting is disjunctive (multi-select): values selected within one facet
combine with OR, facets combine with AND, and each facet's counts apply every
selection except its own, so the other values of a facet stay visible.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, filterfalse

from whoosh.reading import IndexReader
from whoosh.util.times import long_to_datetime

from search.dedup import DuplicateGroups
from search.models import FacetValue

_EPOCH = datetime(1970, 1, 1)
_MISSING_DATE = 2**63  # DATETIME columns store 2**64 - 1 for "no date"
#: Values returned per facet (the largest counts first); years and months return all.
FACET_LIMIT = 20
#: The month histogram lists empty months inside its range when it spans at most this many.
MAX_FILLED_MONTHS = 600


@dataclass(frozen=True, slots=True)
class FacetTables:
    """Per-document facet values of one reader, as compact arrays indexed by document
    number (a few bytes per document, so a worker's memory stays small at 200k).

    Every facet's distinct values are numbered; value 0 of the single-valued facets
    is "" (no value). Tags are multi-valued: document ``d``'s tag numbers are
    ``tag_ids[tag_offsets[d]:tag_offsets[d + 1]]``, in index (lexicon) order.
    """

    tag_values: tuple[str, ...]
    tag_offsets: array
    tag_ids: array
    source_values: tuple[str, ...]
    source_ids: array
    month_values: tuple[str, ...]
    month_ids: array
    year_values: tuple[str, ...]
    #: Year number of each month number.
    month_year: tuple[int, ...]
    #: Days since 1970-01-01 of each document's date, -1 when undated (for recency).
    days: array = field(default_factory=lambda: array("i"))
    #: The day of the newest dated document, -1 when none is dated.
    newest_day: int = -1
    #: Each document's raw ``date`` column value (2**64 - 1 when undated), for date filters.
    stamps: array = field(default_factory=lambda: array("Q"))
    #: Each document's tag numbers as a tuple (equal tuples shared), for counting at C speed.
    tag_sets: list[tuple[int, ...]] = field(default_factory=list)

    @classmethod
    def load(cls, reader: IndexReader) -> FacetTables:
        """Read the tables from ``reader`` (postings of tag_exact, source and date columns)."""
        size = reader.doc_count_all()
        per_doc: list[list[int] | None] = [None] * size
        tag_values: list[str] = []
        if "tag_exact" in reader.indexed_field_names():
            for term in reader.lexicon("tag_exact"):
                number = len(tag_values)
                tag_values.append(term.decode("utf-8"))
                for docnum in reader.postings("tag_exact", term).all_ids():
                    found = per_doc[docnum]
                    if found is None:
                        per_doc[docnum] = [number]
                    else:
                        found.append(number)
        offsets, ids = array("I", [0]), array("I")
        shared: dict[tuple[int, ...], tuple[int, ...]] = {(): ()}
        tag_sets: list[tuple[int, ...]] = []
        for found in per_doc:
            key = tuple(found) if found else ()
            tag_sets.append(shared.setdefault(key, key))
            if found:
                ids.extend(found)
            offsets.append(len(ids))
        del per_doc, shared
        source_values, source_ids = _column(reader, "source_exact", size)
        month_values, month_ids, days, stamps = _months(reader, size)
        year_values = [""]
        month_year = [0]
        for month in month_values[1:]:
            if month[:4] != year_values[-1]:
                year_values.append(month[:4])
            month_year.append(len(year_values) - 1)
        return cls(
            tuple(tag_values),
            offsets,
            ids,
            source_values,
            source_ids,
            month_values,
            month_ids,
            tuple(year_values),
            tuple(month_year),
            days,
            max(days, default=-1),
            stamps,
            tag_sets,
        )

    def values(self, facet: str, docnum: int) -> tuple[str, ...]:
        """The values document ``docnum`` has for ``facet``."""
        if facet == "tags":
            start, end = self.tag_offsets[docnum], self.tag_offsets[docnum + 1]
            return tuple(self.tag_values[number] for number in self.tag_ids[start:end])
        names, number = self._numbers(facet)
        value = names[number[docnum]] if facet != "year" else names[self.month_year[number[docnum]]]
        return (value,) if value else ()

    def _numbers(self, facet: str) -> tuple[tuple[str, ...], array]:
        if facet == "source":
            return self.source_values, self.source_ids
        if facet == "month":
            return self.month_values, self.month_ids
        if facet == "year":
            return self.year_values, self.month_ids
        raise KeyError(facet)

    def value_numbers(self, facet: str, docs: Sequence[int]) -> list[int]:
        """Every value number of ``docs`` for a single-valued ``facet`` (0 = none)."""
        _, numbers = self._numbers(facet)
        found = [numbers[docnum] for docnum in docs]
        if facet == "year":
            month_year = self.month_year
            return [month_year[number] for number in found]
        return found

    def doc_tags(self, docnum: int) -> array:
        """Tag numbers of ``docnum``."""
        return self.tag_ids[self.tag_offsets[docnum] : self.tag_offsets[docnum + 1]]

    def names(self, facet: str) -> tuple[str, ...]:
        """Value names of ``facet`` by number."""
        return self.tag_values if facet == "tags" else self._numbers(facet)[0]


def _column(reader: IndexReader, field_name: str, size: int) -> tuple[tuple[str, ...], array]:
    """The distinct values of a string column (sorted, "" first) and each document's."""
    if not reader.has_column(field_name):
        return ("",), array("I", bytes(4 * size))
    column = reader.column_reader(field_name)
    numbers: dict[str, int] = {"": 0}
    ids = array("I", bytes(4 * size))
    for docnum in range(size):
        value = column[docnum] or ""
        number = numbers.get(value)
        if number is None:
            number = numbers[value] = len(numbers)
        ids[docnum] = number
    ordered = sorted(numbers, key=lambda value: (value != "", value))
    renumber = array("I", bytes(4 * len(ordered)))
    for new, value in enumerate(ordered):
        renumber[numbers[value]] = new
    return tuple(ordered), array("I", (renumber[number] for number in ids))


def _month_name(key: int) -> str:
    """``YYYY-MM`` of a month key ``year * 12 + month``."""
    year, month = divmod(key - 1, 12)
    return f"{year:04d}-{month + 1:02d}"


def _months(reader: IndexReader, size: int) -> tuple[tuple[str, ...], array, array, array]:
    """``YYYY-MM`` values (sorted, "" first), each document's month number, day
    number (-1 when undated) and raw date value, from the raw date column
    (undated documents hold a sentinel there)."""
    if not reader.has_column("date"):
        missing = array("Q", [2**64 - 1]) * size
        return ("",), array("I", bytes(4 * size)), array("i", [-1]) * size, missing
    column = reader.column_reader("date", translate=False)
    stamps = array("Q", (column[docnum] for docnum in range(size)))
    raw_months = array("I", bytes(4 * size))
    days = array("i", [-1]) * size
    for docnum, raw in enumerate(stamps):
        if raw < _MISSING_DATE:
            when = long_to_datetime(raw)
            raw_months[docnum] = when.year * 12 + when.month  # month key, never 0
            days[docnum] = max(0, (when - _EPOCH).days)
    distinct = sorted(set(raw_months) - {0})
    names = ("", *(_month_name(key) for key in distinct))
    number = {m: i for i, m in enumerate(distinct, 1)}
    number[0] = 0
    return names, array("I", (number[m] for m in raw_months)), days, stamps


@dataclass(slots=True)
class FacetCounts:
    """What one counting pass found: facets, the total, and the duplicates that matched."""

    facets: dict[str, tuple[FacetValue, ...]]
    total: int
    #: For each duplicate group with a member passing every selection: those members.
    members: dict[int, list[int]] = field(default_factory=dict)


def _wanted(tables: FacetTables, name: str, values: frozenset[str]) -> frozenset[int]:
    """The value numbers of the selected ``values`` (unknown values match nothing)."""
    return frozenset(i for i, value in enumerate(tables.names(name)) if value and value in values)


def _count_one(
    tables: FacetTables,
    name: str,
    docs: list[int],
    grouped: frozenset[int],
    group_of: Sequence[int],
) -> Counter[str]:
    """Counts of ``name``'s values over ``docs``; a near-duplicate group (documents in
    ``grouped``) counts once per value. Counters keep the order in which values are
    first met, as the tie-break of equal counts."""
    names = tables.names(name)
    singles, in_groups = docs, []
    if grouped and not grouped.isdisjoint(docs):
        singles = list(filterfalse(grouped.__contains__, docs))
        in_groups = list(filter(grouped.__contains__, docs))
    counted = _value_counts(tables, name, singles)  # C-speed gathers and counting
    if in_groups:
        if name == "tags":
            offsets, ids = tables.tag_offsets, tables.tag_ids
            pairs = [(n, group_of[d]) for d in in_groups for n in ids[offsets[d] : offsets[d + 1]]]
        else:
            found = tables.value_numbers(name, in_groups)
            pairs = list(zip(found, (group_of[d] for d in in_groups), strict=True))
        counted.update(n for n, _ in dict.fromkeys(pairs))
    return Counter({names[n]: c for n, c in counted.items() if names[n]})


def _value_counts(tables: FacetTables, name: str, docs: list[int]) -> Counter[int]:
    """Value number -> documents of ``docs`` holding it (each document counts once)."""
    if name == "tags":
        return Counter(chain.from_iterable(map(tables.tag_sets.__getitem__, docs)))
    numbers = tables.source_ids if name == "source" else tables.month_ids
    counted = Counter(map(numbers.__getitem__, docs))
    if name != "year":
        return counted
    years: Counter[int] = Counter()
    month_year = tables.month_year
    for month, n in counted.items():
        years[month_year[month]] += n
    return years


def count_facets(
    tables: FacetTables,
    docnums: Iterable[int],
    selected: Mapping[str, frozenset[str]],
    names: Iterable[str],
    groups: DuplicateGroups | None = None,
    passing_docs: list[int] | None = None,
) -> FacetCounts:
    """Count each facet over ``docnums`` with disjunctive selections.

    With ``groups``, near-duplicates count once (as one story); the total is
    then the number of stories passing every selection. When ``passing_docs``
    is a list, the documents passing every selection are appended to it.
    """
    names = tuple(names)
    docs = docnums if isinstance(docnums, list) else list(docnums)
    active = {name: _wanted(tables, name, values) for name, values in selected.items() if values}
    # No group has two members: nothing collapses, count every document once.
    group_of = groups.group if groups is not None and groups.members else None
    if active:
        # For each document: None when it passes every selection, the one facet it
        # fails, or "" when it fails more than one.
        status: list[str | None] = []
        for docnum in docs:
            failed = None
            for name, wanted in active.items():
                if name == "tags":
                    miss = wanted.isdisjoint(tables.doc_tags(docnum))
                else:
                    miss = tables.value_numbers(name, (docnum,))[0] not in wanted
                if miss:
                    if failed is not None:
                        failed = ""
                        break
                    failed = name
            status.append(failed)
        full = [d for d, failed in zip(docs, status, strict=True) if failed is None]
    else:
        status, full = [], docs
    if passing_docs is not None:
        passing_docs.extend(full)
    members: dict[int, list[int]] = {}
    grouped = groups.grouped if groups is not None and group_of is not None else frozenset()
    passing = len(full)
    if grouped and not grouped.isdisjoint(full):
        for docnum in filter(grouped.__contains__, full):
            group = group_of[docnum]  # type: ignore[index]
            if group in members:
                members[group].append(docnum)
                passing -= 1  # a story counts once
            else:
                members[group] = [docnum]
    facets = {}
    for name in names:
        if name in active:
            counted = [d for d, s in zip(docs, status, strict=True) if s is None or s == name]
        else:
            counted = full
        counter = _count_one(tables, name, counted, grouped, group_of or ())
        facets[name] = _facet_values(counter, selected.get(name, frozenset()), name)
    return FacetCounts(facets, passing, members)


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last and len(months) <= MAX_FILLED_MONTHS:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _facet_values(
    counter: Counter[str], selected: frozenset[str], name: str
) -> tuple[FacetValue, ...]:
    if name == "year":
        ordered = sorted(counter.items(), reverse=True)
    elif name == "month":
        ordered = sorted(counter.items())
        if ordered:
            span = _month_range(ordered[0][0], ordered[-1][0])
            if len(span) <= MAX_FILLED_MONTHS:
                ordered = [(month, counter.get(month, 0)) for month in span]
    else:
        ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0].casefold()))[
            :FACET_LIMIT
        ]
    values = [FacetValue(value, count, value in selected) for value, count in ordered]
    shown = {value.value for value in values}
    # A selected value is always listed, even with no hits left, so it can be unselected.
    values.extend(FacetValue(value, 0, True) for value in sorted(selected - shown))
    if name == "month":
        values.sort(key=lambda value: value.value)
    return tuple(values)
