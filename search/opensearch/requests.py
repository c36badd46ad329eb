"""The OpenSearch request of a `SearchRequest`: the scored query, and the whole search body.

`query_body` is the ``bool`` query (the text, its date expressions, the ``from``/``to``
bounds; recency as a ``function_score``) that the search, the timeline, the export and
the terms share; `search_body` adds the sort, the page, the facet selections and
counts, collapsing and highlighting. `wanted_years` says which yearly indices a search
needs (`search.opensearch.alias.AliasIndices.for_search`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from search.models import SearchRequest
from search.opensearch.mapping import (
    DUPLICATE_IDS,
    SORTS,
    facet_aggregations,
    facet_filters,
    highlight_settings,
    request_filters,
    story_total_aggregation,
)
from search.opensearch.query import OpenSearchQuery

__all__ = [
    "UNSHOWN_FIELDS",
    "copies_body",
    "copies_from",
    "query_body",
    "search_body",
    "wanted_years",
]

#: Stored fields a hit never shows (near-duplicate keys, autocomplete words): not fetched.
UNSHOWN_FIELDS = ("sketch", "story_bands", "title_words")


def query_body(
    request: SearchRequest, query: OpenSearchQuery, op: str, plain: bool = False
) -> dict[str, Any] | None:
    """The ``bool`` query of ``request`` without its facet selections (None: the
    plain words were asked for and there are none)."""
    clause = query.plain_clause(op) if plain else query.clause(op)
    if clause is None:
        return None
    required, excluded = query.date_filters()
    scored: dict[str, Any] = {
        "bool": {
            "must": [clause],
            "filter": required + request_filters(request),
            "must_not": excluded,
        }
    }
    if request.recency and request.sort == "relevance":
        scored = {
            "function_score": {
                "query": scored,
                "functions": [
                    {"weight": 1},
                    {"gauss": {"date": {"origin": "now", "scale": "365d", "decay": 0.5}}},
                ],
                "score_mode": "sum",
                "boost_mode": "multiply",
            }
        }
    return scored


def search_body(
    request: SearchRequest, query: OpenSearchQuery, op: str, plain: bool
) -> dict[str, Any] | None:
    """The whole search request: query, sort, page, facet selections (``post_filter``)
    and counts, collapsing and highlighting (None: no words to search)."""
    scored = query_body(request, query, op, plain)
    if scored is None:
        return None
    sort = request.sort if query.text or request.sort != "relevance" else "newest"
    body: dict[str, Any] = {
        "query": scored,
        "sort": SORTS[sort],
        "from": request.first,
        "size": request.per_page,
        "track_total_hits": True,
        "_source": {"excludes": list(UNSHOWN_FIELDS)},
    }
    selected = facet_filters(request)
    if selected:
        body["post_filter"] = {"bool": {"filter": selected}}
    if request.facets:
        body["aggs"] = facet_aggregations(request, stories=request.collapse)
    if request.collapse:
        # The copies of each story come from one follow-up request (`copies_body`):
        # ``inner_hits`` runs a search per hit and doubled the time of a page.
        body["collapse"] = {"field": "story"}
        body.setdefault("aggs", {})
        body["aggs"]["_stories"] = {
            "filter": {"bool": {"filter": selected}} if selected else {"match_all": {}},
            "aggs": story_total_aggregation(),
        }
    if request.snippets or query.text:
        body["highlight"] = highlight_settings()
    return body


def copies_body(
    request: SearchRequest, query: OpenSearchQuery, op: str, stories: list[str]
) -> dict[str, Any] | None:
    """The request counting the matching copies of ``stories`` (a page's collapsed hits):
    per story with two or more, how many and their ids in the page's order (None: no
    words to search)."""
    scored = query_body(request, query, op)
    if scored is None or not stories:
        return None
    sort = request.sort if query.text or request.sort != "relevance" else "newest"
    story_filter = [{"terms": {"story": stories}}]
    return {
        "size": 0,
        "query": {"bool": {"must": [scored], "filter": facet_filters(request) + story_filter}},
        "aggs": {
            "stories": {
                "terms": {"field": "story", "size": len(stories), "min_doc_count": 2},
                "aggs": {
                    "ids": {
                        "top_hits": {
                            "size": DUPLICATE_IDS + 1,
                            "_source": False,
                            "sort": SORTS[sort],
                        }
                    }
                },
            }
        },
    }


def copies_from(result: dict[str, Any]) -> dict[str, tuple[int, tuple[str, ...]]]:
    """``{story: (matching copies, their ids)}`` from the answer to `copies_body`."""
    found = {}
    for bucket in result.get("aggregations", {}).get("stories", {}).get("buckets", ()):
        ids = tuple(hit["_id"] for hit in bucket["ids"]["hits"]["hits"])
        found[str(bucket["key"])] = (int(bucket["doc_count"]), ids)
    return found


def wanted_years(
    request: SearchRequest, query: OpenSearchQuery, use_selection: bool
) -> Callable[[tuple[int, int] | None], bool] | None:
    """Which indices a search needs: a test of the years an index holds (first, last;
    None: the undated index), or None when it needs them all. A date bound (in the query
    or ``from``/``to``) leaves out the indices of years outside it and the undated
    articles; with ``use_selection`` the year selection does too."""
    starts = [bound.start for bound in query.dates if not bound.negated and bound.start]
    ends = [bound.end for bound in query.dates if not bound.negated and bound.end]
    starts += [request.date_from] if request.date_from else []
    ends += [request.date_to] if request.date_to else []
    selected = frozenset(request.years) if use_selection and request.years else None
    if not starts and not ends and selected is None:
        return None
    low = max((moment.astimezone(UTC).year for moment in starts), default=1)
    high = min((moment.astimezone(UTC).year for moment in ends), default=9999)

    def needed(years: tuple[int, int] | None) -> bool:
        if years is None:
            return False
        first, last = max(years[0], low), min(years[1], high)
        if first > last:
            return False
        return selected is None or any(first <= year <= last for year in selected)

    return needed
