"""Broadsheet through its public entry points: `build_index` and `SearchService`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from corpus import Article
from indexer import build_index
from indexer.whoosh.pipeline import default_workers
from search import SearchRequest, SearchService

_FIELDS = {field.name for field in dataclasses.fields(SearchRequest)}


def build(articles: list[Article], index_dir: Path) -> None:
    """Index ``articles`` into ``index_dir`` (a fresh generation, as the CLI does:
    one worker process per available CPU)."""
    build_index(articles, index_dir, workers=default_workers())


def request_for(query: str, variant: str) -> SearchRequest:
    """The `SearchRequest` of one benchmark query; variant toggles only if supported."""
    options = {"facets": variant in ("facets", "full"), "snippets": variant in ("snippets", "full")}
    return SearchRequest(q=query, per_page=10, **{k: v for k, v in options.items() if k in _FIELDS})


class BroadsheetSearcher:
    """One long-lived `SearchService`, as a web worker holds it."""

    def __init__(self, index_dir: Path) -> None:
        """Open a long-lived service on ``index_dir``."""
        self.service = SearchService(index_dir)

    def search(self, query: str, variant: str) -> int:
        """Run the query; touch every hit's snippet and every facet like a renderer does."""
        response = self.service.search(request_for(query, variant))
        for hit in response.hits:
            _ = (hit.title, hit.snippet)
        for values in response.facets.values():
            _ = [value.count for value in values]
        return response.total


def open_index(index_dir: Path) -> BroadsheetSearcher:
    """Open the served generation of ``index_dir``."""
    return BroadsheetSearcher(index_dir)
