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

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

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
    """Per-document facet values of one reader: index = Whoosh document number."""

    tags: tuple[tuple[str, ...], ...]
    source: tuple[str, ...]
    year: tuple[str, ...]
    month: tuple[str, ...]
    #: Days since 1970-01-01 of each document's date, -1 when undated (for recency).
    days: tuple[int, ...] = ()
    #: The day of the newest dated document, -1 when none is dated.
    newest_day: int = -1

    @classmethod
    def load(cls, reader: IndexReader) -> FacetTables:
        """Read the tables from ``reader`` (postings of tag_exact, source and date columns)."""
        size = reader.doc_count_all()
        tags: list[tuple[str, ...]] = [()] * size
        if "tag_exact" in reader.indexed_field_names():
            for term in reader.lexicon("tag_exact"):
                value = term.decode("utf-8")
                for docnum in reader.postings("tag_exact", term).all_ids():
                    tags[docnum] = (*tags[docnum], value)
        source = _column(reader, "source_exact", size)
        months, days = _months(reader, size)
        years = tuple(month[:4] for month in months)
        return cls(tuple(tags), source, years, months, days, max(days, default=-1))

    def values(self, facet: str, docnum: int) -> tuple[str, ...]:
        """The values document ``docnum`` has for ``facet``."""
        if facet == "tags":
            return self.tags[docnum]
        value = getattr(self, facet)[docnum]
        return (value,) if value else ()


def _column(reader: IndexReader, field: str, size: int) -> tuple[str, ...]:
    if not reader.has_column(field):
        return ("",) * size
    column = reader.column_reader(field)
    return tuple(column[docnum] or "" for docnum in range(size))


def _months(reader: IndexReader, size: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """``YYYY-MM`` and day number of each document's date, from the raw column values
    (undated documents hold a sentinel there)."""
    if not reader.has_column("date"):
        return ("",) * size, (-1,) * size
    column = reader.column_reader("date", translate=False)
    months: list[str] = []
    days: list[int] = []
    for docnum in range(size):
        raw = column[docnum]
        if raw >= _MISSING_DATE:
            months.append("")
            days.append(-1)
        else:
            when = long_to_datetime(raw)
            months.append(f"{when.year:04d}-{when.month:02d}")
            days.append(max(0, (when - _EPOCH).days))
    return tuple(months), tuple(days)


@dataclass(slots=True)
class FacetCounts:
    """What one counting pass found: facets, the total, and the duplicates that matched."""

    facets: dict[str, tuple[FacetValue, ...]]
    total: int
    #: For each duplicate group with a member passing every selection: those members.
    members: dict[int, list[int]] = field(default_factory=dict)


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
    counters: dict[str, Counter[str]] = {name: Counter() for name in names}
    seen: dict[str, set[tuple[str, int]]] = {name: set() for name in names}
    active = {name: values for name, values in selected.items() if values}
    group_of = groups.group if groups is not None else None
    passing = 0
    members: dict[int, list[int]] = {}

    def add(name: str, docnum: int, group: int) -> None:
        values = tables.values(name, docnum)
        if group < 0:
            counters[name].update(values)
            return
        for value in values:
            if (value, group) not in seen[name]:
                seen[name].add((value, group))
                counters[name][value] += 1

    for docnum in docnums:
        failed: list[str] = []
        for name, wanted in active.items():
            if wanted.isdisjoint(tables.values(name, docnum)):
                failed.append(name)
                if len(failed) > 1:
                    break
        if len(failed) > 1:
            continue
        group = group_of[docnum] if group_of is not None else -1
        if not failed:
            if passing_docs is not None:
                passing_docs.append(docnum)
            if group < 0:
                passing += 1
            else:
                if group not in members:
                    passing += 1
                    members[group] = []
                members[group].append(docnum)
            for name in names:
                add(name, docnum, group)
        elif failed[0] in counters:
            add(failed[0], docnum, group)
    facets = {
        name: _facet_values(counters[name], selected.get(name, frozenset()), name) for name in names
    }
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
