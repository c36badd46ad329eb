"""Facet counts, the total and near-duplicate collapsing over a search's matches.

Counting works on NumPy vectors from `search.whoosh.facet_tables`: the matches' value
numbers are gathered and counted with ``bincount``, so the cost per match is a
few machine operations and never depends on the size of the corpus.

Counting is disjunctive (multi-select): values selected within one facet
combine with OR, facets combine with AND, and each facet's counts apply every
selection except its own, so the other values of a facet stay visible. With
near-duplicate collapsing, a story (a group of near-duplicates) counts once,
both in the total and under each value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from indexer.whoosh.dedup import DuplicateGroups
from search.deadline import Deadline
from search.facet_specs import FACET_LIMIT, FACETS_BY_NAME, ordered_values
from search.models import FacetValue
from search.whoosh.facet_tables import FacetTables, member_mask

__all__ = ["FACET_LIMIT", "FacetCounts", "FacetTables", "count_facets"]


@dataclass(slots=True)
class FacetCounts:
    """What one counting pass found: facets, the total, the passing documents, and
    the duplicates that matched."""

    facets: dict[str, tuple[FacetValue, ...]]
    total: int
    #: The documents passing every selection, ascending.
    passing: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: The passing documents that belong to a duplicate group, ordered by group (then
    #: document), and the group of each: see `members`.
    grouped_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    grouped_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def members(self, group: int) -> list[int]:
        """The passing members of duplicate group ``group``, ascending."""
        low, high = np.searchsorted(self.grouped_keys, [group, group + 1])
        return self.grouped_docs[low:high].tolist()


def _wanted(tables: FacetTables, name: str, values: frozenset[str]) -> np.ndarray:
    """The value numbers of the selected ``values`` (unknown values match nothing)."""
    numbers = (tables.number_of(name, value) for value in values)
    return np.array(sorted(number for number in numbers if number is not None), dtype=int)


def _passes(tables: FacetTables, name: str, docs: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each of ``docs``: does it hold one of the ``wanted`` values of ``name``?"""
    if not FACETS_BY_NAME[name].multi_valued:
        return member_mask(tables.numbers(name, docs), wanted)
    return tables.holds_any(name, docs, wanted)


def _counts(
    tables: FacetTables, name: str, docs: np.ndarray, groups: DuplicateGroups | None
) -> np.ndarray:
    """Documents (stories, with ``groups``) of ``docs`` holding each value number."""
    size = len(tables.names(name))
    if FACETS_BY_NAME[name].multi_valued:
        if groups is None:
            return tables.count_values(name, docs)
        values, owners = tables.values_of(name, docs)
    else:
        values, owners = tables.numbers(name, docs), np.arange(len(docs))
    if groups is not None and len(values):
        story = groups.story(docs)[owners]
        grouped = story >= 0
        if grouped.any():  # one count per (value, group): pairs packed into one integer
            pairs = np.unique(values[grouped].astype(np.int64) * (1 << 32) + story[grouped])
            values = np.concatenate([values[~grouped], pairs >> 32])
    return np.bincount(values, minlength=size)


def count_facets(
    tables: FacetTables,
    docs: np.ndarray,
    selected: Mapping[str, frozenset[str]],
    names: Iterable[str],
    groups: DuplicateGroups | None = None,
    deadline: Deadline | None = None,
) -> FacetCounts:
    """Count each facet ``names`` over ``docs`` (ascending document numbers) with
    disjunctive selections. With ``groups``, near-duplicates count once (as one
    story); the total is then the number of stories passing every selection. Past
    ``deadline`` the facets not yet counted are left empty (a cut of ``facets``)."""
    docs = np.asarray(docs, dtype=np.int64)
    active = {name: _wanted(tables, name, values) for name, values in selected.items() if values}
    passes = {name: _passes(tables, name, docs, wanted) for name, wanted in active.items()}
    failures = np.zeros(len(docs), dtype=np.int8)
    for passed in passes.values():
        failures += ~passed
    full = docs[failures == 0] if active else docs
    if groups is not None and not groups.any_groups:
        groups = None  # no group has two members: nothing collapses
    total = len(full)
    grouped_docs = grouped_keys = np.zeros(0, dtype=np.int64)
    if groups is not None:
        story = groups.story(full)
        in_group = story >= 0
        order = np.argsort(story[in_group], kind="stable")  # by group, documents ascending
        grouped_docs, grouped_keys = full[in_group][order], story[in_group][order]
        total -= len(grouped_keys) - len(np.unique(grouped_keys))  # a story counts once
    facets: dict[str, tuple[FacetValue, ...]] = {}
    for name in names:
        if deadline is not None and deadline.stop_here("facets"):
            facets[name] = ()
            continue
        if name in active:  # every selection but this facet's own
            counted = docs[(failures == 0) | ((failures == 1) & ~passes[name])]
        else:
            counted = full
        counts = _counts(tables, name, counted, groups)
        values = tables.names(name)
        found = {values[n]: int(counts[n]) for n in _shown(counts, name).tolist() if values[n]}
        facets[name] = ordered_values(found, selected.get(name, frozenset()), name)
    return FacetCounts(facets, total, full, grouped_docs, grouped_keys.astype(np.int64))


def _shown(counts: np.ndarray, name: str) -> np.ndarray:
    """The value numbers that may be listed: every counted one for a facet that lists
    every value (dates), else only those counted at least as often as the
    `FACET_LIMIT`-th (ties at the limit are then broken by name), not every tag of the
    index."""
    numbers = np.flatnonzero(counts)
    facet = FACETS_BY_NAME[name]
    if facet.lists_every_value or len(numbers) <= FACET_LIMIT:
        return numbers
    if not facet.multi_valued:
        numbers = numbers[numbers != 0]  # number 0 is "no value"
    if len(numbers) <= FACET_LIMIT:
        return numbers
    kept = counts[numbers]
    threshold = np.partition(kept, len(kept) - FACET_LIMIT)[len(kept) - FACET_LIMIT]
    return numbers[kept >= threshold]
