"""Facet counts from per-document value tables, built once per index reader.

Whoosh's ``groupedby`` rebuilds every matching document's values from postings
on each search (60-110 ms a query here) and counts a multi-tag article under one
tag only unless told otherwise. Instead each reader gets `FacetTables`: for
every document number its tags, source and year, read once from postings and
columns. A search then counts with one pass over its matching documents.

Counting is disjunctive (multi-select): values selected within one facet
combine with OR, facets combine with AND, and each facet's counts apply every
selection except its own, so the other values of a facet stay visible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from whoosh.reading import IndexReader
from whoosh.util.times import long_to_datetime

from search.models import FacetValue

_MISSING_DATE = 2**63  # DATETIME columns store 2**64 - 1 for "no date"
#: Values returned per facet (the largest counts first); years and months return all.
FACET_LIMIT = 20


@dataclass(frozen=True, slots=True)
class FacetTables:
    """Per-document facet values of one reader: index = Whoosh document number."""

    tags: tuple[tuple[str, ...], ...]
    source: tuple[str, ...]
    year: tuple[str, ...]

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
        return cls(tuple(tags), source, _years(reader, size))

    def values(self, facet: str, docnum: int) -> tuple[str, ...]:
        """The values document ``docnum`` has for ``facet``."""
        if facet == "tags":
            return self.tags[docnum]
        value = (self.source if facet == "source" else self.year)[docnum]
        return (value,) if value else ()


def _column(reader: IndexReader, field: str, size: int) -> tuple[str, ...]:
    if not reader.has_column(field):
        return ("",) * size
    column = reader.column_reader(field)
    return tuple(column[docnum] or "" for docnum in range(size))


def _years(reader: IndexReader, size: int) -> tuple[str, ...]:
    """Year of each document's date; raw column values, since undated ones hold a sentinel."""
    if not reader.has_column("date"):
        return ("",) * size
    column = reader.column_reader("date", translate=False)
    years = []
    for docnum in range(size):
        raw = column[docnum]
        years.append("" if raw >= _MISSING_DATE else str(long_to_datetime(raw).year))
    return tuple(years)


def count_facets(
    tables: FacetTables,
    docnums: Iterable[int],
    selected: Mapping[str, frozenset[str]],
    names: Iterable[str],
) -> tuple[dict[str, tuple[FacetValue, ...]], int]:
    """Count each facet over ``docnums`` with disjunctive selections.

    Returns the facets and the number of documents passing every selection.
    """
    names = tuple(names)
    counters: dict[str, Counter[str]] = {name: Counter() for name in names}
    active = {name: values for name, values in selected.items() if values}
    passing = 0
    for docnum in docnums:
        failed: list[str] = []
        for name, wanted in active.items():
            if wanted.isdisjoint(tables.values(name, docnum)):
                failed.append(name)
                if len(failed) > 1:
                    break
        if len(failed) > 1:
            continue
        if not failed:
            passing += 1
            for name in names:
                counters[name].update(tables.values(name, docnum))
        elif failed[0] in counters:
            counters[failed[0]].update(tables.values(failed[0], docnum))
    facets = {
        name: _facet_values(counters[name], selected.get(name, frozenset()), name) for name in names
    }
    return facets, passing


def _facet_values(
    counter: Counter[str], selected: frozenset[str], name: str
) -> tuple[FacetValue, ...]:
    if name == "year":
        ordered = sorted(counter.items(), reverse=True)
    else:
        ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0].casefold()))[
            :FACET_LIMIT
        ]
    values = [FacetValue(value, count, value in selected) for value, count in ordered]
    shown = {value.value for value in values}
    # A selected value is always listed, even with no hits left, so it can be unselected.
    values.extend(FacetValue(value, 0, True) for value in sorted(selected - shown))
    return tuple(values)
