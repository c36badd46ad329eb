"""The date and views orders computed with arrays (`search.whoosh.sorting`) list exactly
what Whoosh's sorting collector lists (`search.whoosh.ranking.ranked` with the sort keys
of `sort_facet`), for every window, with and without near-duplicate collapsing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer import build_index
from search import SearchService
from search.deadline import Deadline
from search.whoosh.execution import Snapshot
from search.whoosh.query import parse_query
from search.whoosh.ranking import ranked
from search.whoosh.sorting import ordered_positions
from support import EXPORT_NOW, export_archive


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    index_dir: Path = tmp_path_factory.mktemp("sorting") / "index"
    build_index(export_archive(), index_dir)
    found = SearchService(index_dir)
    yield found
    found.close()


def _both(snapshot: Snapshot, q: str, sort: str, window: int, collapse: bool):
    searcher = snapshot.searcher
    parsed = parse_query(
        q, searcher.schema, "and", EXPORT_NOW, searcher.reader(), Deadline.unlimited()
    )
    docs = np.array(sorted(searcher.docs_for_query(parsed.query)), dtype=np.int64)
    groups = snapshot.groups
    by_whoosh = [
        hit.docnum
        for hit in ranked(
            searcher,
            parsed.query,
            window,
            sort,
            collapse_key=groups.key if collapse else None,
        )
    ]
    group = groups.group if collapse else None
    by_arrays = docs[ordered_positions(snapshot, docs, sort, window, group)].tolist()
    return by_whoosh, by_arrays


@pytest.mark.parametrize("sort", ["newest", "oldest", "views"])
@pytest.mark.parametrize("q", ["", "harbour", "budget OR crane"])
@pytest.mark.parametrize("collapse", [False, True])
def test_array_orders_equal_whooshs(service: SearchService, q: str, sort: str, collapse: bool):
    for window in (1, 3, 10, 100):
        by_whoosh, by_arrays = service.served.read(
            lambda snapshot, window=window: _both(snapshot, q, sort, window, collapse)
        )
        assert by_arrays == by_whoosh, (q, sort, window, collapse)
