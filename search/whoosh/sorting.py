"""The date and views orders as array operations (what Whoosh's sorting collector did).

``newest``/``oldest`` order by the raw date column (undated articles last either way),
``views`` by the raw views column (most first, unknown after zero), ties by article id,
exactly as `search.whoosh.ranking.sort_facet` tells Whoosh to sort: one sortable key
per document (`sort_keys`, ascending in listing order), a partition to find the first
``window``, and a sort of only those; ids are read only for documents whose key ties
with a neighbour's. Whoosh's collector walked every match in Python (a third of a
second for ``said`` newest first on Reuters); this costs a few vector operations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from whoosh.reading import IndexReader

from indexer.whoosh.postings import read_numeric_column
from search.whoosh.facet_tables import NO_DATE

if TYPE_CHECKING:  # execution imports this module
    from search.whoosh.execution import Snapshot

__all__ = ["COLUMN_SORTS", "first_of_each_group", "ordered_positions", "sort_keys"]

#: The orders this module computes (relevance is the scorer's).
COLUMN_SORTS = ("newest", "oldest", "views")
_LAST = np.iinfo(np.int64).max


def _views(snapshot: Snapshot) -> np.ndarray:
    """Each document's views as a signed number (-1: unknown; no column: the least)."""

    def column(leaf: IndexReader) -> object | None:
        return leaf.column_reader("views", translate=False) if leaf.has_column("views") else None

    raw = read_numeric_column(snapshot.searcher.reader().leaf_readers(), column, 0)
    # The sortable column holds the value plus 2**63, as an unsigned number.
    return (raw.astype(np.uint64) - np.uint64(2**63)).astype(np.int64)


def sort_keys(snapshot: Snapshot, docs: np.ndarray, sort: str) -> np.ndarray:
    """One int64 per document of ``docs``, ascending in ``sort``'s listing order (ties
    still to be broken by id)."""
    if sort == "views":
        return ~_views(snapshot)[docs]  # ~x = -x - 1: descending without overflow
    stamps = snapshot.tables.stamps[docs]
    undated = stamps >= np.uint64(NO_DATE)
    key = np.where(undated, np.uint64(0), stamps).astype(np.int64)  # dates fit 63 bits
    if sort == "newest":
        key = ~key
    return np.where(undated, _LAST, key)


def _ids(snapshot: Snapshot, docs: np.ndarray) -> list[str]:
    """The article ids of ``docs`` (from the sortable ``id`` column when there is one)."""
    reader = snapshot.searcher.reader()
    if reader.has_column("id"):
        column = reader.column_reader("id")
        return [str(column[int(doc)]) for doc in docs.tolist()]
    return [snapshot.stored(int(doc))["id"] for doc in docs.tolist()]


def _by_key_then_id(snapshot: Snapshot, docs: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Positions of ``docs`` ordered by ``keys``, ties by article id."""
    order = np.lexsort((docs, keys))
    ordered = keys[order]
    tied = np.zeros(len(order), dtype=bool)
    same = ordered[1:] == ordered[:-1]
    tied[1:] |= same
    tied[:-1] |= same
    if not tied.any():
        return order
    positions = order[tied]
    id_rank = np.zeros(len(docs), dtype=np.int64)
    by_id = np.argsort(np.array(_ids(snapshot, docs[positions])), kind="stable")
    id_rank[positions[by_id]] = np.arange(len(positions))
    return np.lexsort((docs, id_rank, keys))


def ordered_positions(
    snapshot: Snapshot,
    docs: np.ndarray,
    sort: str,
    window: int,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Positions in ``docs`` of the first ``window`` in ``sort`` order, keeping only the
    first of each near-duplicate group (``groups``: each document's group, -1 for none)."""
    keys = sort_keys(snapshot, docs, sort)
    wanted = window * 2 + 10 if groups is not None else window
    while True:
        if wanted < len(docs):  # only keys up to the wanted-th smallest can place
            threshold = np.partition(keys, wanted - 1)[wanted - 1]
            keep = np.flatnonzero(keys <= threshold)
        else:
            keep = np.arange(len(docs))
        order = keep[_by_key_then_id(snapshot, docs[keep], keys[keep])]
        if groups is None:
            return order[:window]
        picked = first_of_each_group(order, groups[docs[order]])[:window]
        if len(picked) >= window or len(keep) == len(docs):
            return picked
        wanted *= 4


def first_of_each_group(order: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``order`` with only the first member of each group (``groups``: the group of each
    of ``order``, -1 for none)."""
    grouped = np.flatnonzero(groups >= 0)
    if not len(grouped):
        return order
    _, first = np.unique(groups[grouped], return_index=True)
    return order[np.sort(np.concatenate([np.flatnonzero(groups < 0), grouped[first]]))]
