"""The date and views orders computed with arrays (`search.whoosh.sorting`) list exactly
what Whoosh's sorting collector lists (`search.whoosh.ranking.ranked` with the sort keys
of `sort_facet`), for every window, with and without near-duplicate collapsing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer import build_index
from search import SearchRequest, SearchService
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


def test_column_only_numbers_have_no_postings(service: SearchService) -> None:
    def fields(snapshot: Snapshot) -> tuple[set[str], bool]:
        reader = snapshot.searcher.reader()
        columns = all(reader.has_column(name) for name in ("views", "dated", "date"))
        return set(reader.indexed_field_names()), columns

    indexed, columns = service.served.read(fields)
    assert columns
    assert not {"views", "dated", "date"} & indexed


def test_an_index_with_postings_for_sort_only_numbers_lists_the_same(
    service: SearchService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Indexes written before views, dated and date lost their postings answer alike.
    monkeypatch.setattr("indexer.whoosh.schema.COLUMN_ONLY_FIELDS", ())
    build_index(export_archive(), tmp_path / "older")
    older = SearchService(tmp_path / "older")
    try:
        assert {"views", "dated", "date"} <= older.served.read(
            lambda snapshot: set(snapshot.searcher.reader().indexed_field_names())
        )
        for sort in ("views", "newest", "oldest"):
            for q in ("", "harbour"):
                request = SearchRequest(q=q, sort=sort, per_page=50)
                now = [(h.id, h.views) for h in service.search(request).hits]
                assert [(h.id, h.views) for h in older.search(request).hits] == now, (q, sort)
    finally:
        older.close()
