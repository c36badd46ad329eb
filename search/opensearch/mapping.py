"""Between Broadsheet's records and OpenSearch's: filters, facet aggregations, sorts, hits.

Pure functions used by `search.opensearch.backend`. Facets are multi-select as on
Whoosh: the hits are filtered by every facet's selection (``post_filter``), and each
facet is counted under the selections of the other facets only (one ``filter``
aggregation per facet, in the same request). With near-duplicates collapsed, counts
are stories (a ``cardinality`` of ``story``: exact below `STORY_PRECISION` for the total,
below `FACET_STORY_PRECISION` for each facet value, within a few per cent above).
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from indexer.opensearch.schema import document_to_article
from search.facet_specs import FACETS, ordered_values, selections
from search.models import FacetValue, Hit, SearchRequest, SearchResponse
from search.opensearch.query import date_range

#: Values asked per counted facet before sorting and cutting to FACET_LIMIT.
FACET_FETCH = 100
#: Distinct years and months counted (every month of 800 years).
MAX_DATE_VALUES = 10_000
#: Below this many stories the ``cardinality`` aggregation counts exactly: the total's
#: (one count), and each facet value's (one count per value, so a smaller one: at 40,000
#: per value the facets made a search of Reuters-21578 take 300 ms instead of 70).
STORY_PRECISION = 40_000
FACET_STORY_PRECISION = 1_000
#: Near-duplicate ids listed per collapsed hit.
DUPLICATE_IDS = 10
#: OpenSearch field of each facet (`search.facet_specs.FACETS` names).
FACET_FIELDS = {"tags": "tags", "source": "source", "year": "year", "month": "month"}

SORTS: dict[str, list[Any]] = {
    "relevance": ["_score", {"id": "asc"}],
    "newest": [{"date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
    "oldest": [{"date": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
    "views": [{"views": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
}


def request_filters(request: SearchRequest) -> list[dict[str, Any]]:
    """The request's ``from``/``to`` bounds as filter clauses (inclusive)."""
    if request.date_from is None and request.date_to is None:
        return []
    return [date_range(request.date_from, request.date_to)]


def facet_filters(request: SearchRequest, skip: str | None = None) -> list[dict[str, Any]]:
    """One ``terms`` filter per facet with a selection, leaving out facet ``skip``."""
    clauses = []
    for facet in FACETS:
        values = getattr(request, facet.request_field)
        if not values or facet.name == skip:
            continue
        field = FACET_FIELDS[facet.name]
        clauses.append({"terms": {field: [_term(facet.name, value) for value in values]}})
    return clauses


def _term(name: str, value: object) -> object:
    return int(str(value)) if name == "year" else str(value)


def facet_aggregations(request: SearchRequest, stories: bool) -> dict[str, Any]:
    """``aggs`` counting every facet under the other facets' selections."""
    aggs: dict[str, Any] = {}
    for facet in FACETS:
        field = FACET_FIELDS[facet.name]
        size = FACET_FETCH if facet.order == "count" else MAX_DATE_VALUES
        terms: dict[str, Any] = {"terms": {"field": field, "size": size}}
        if stories:
            terms["aggs"] = _story_count(FACET_STORY_PRECISION)
        others = facet_filters(request, skip=facet.name)
        aggs[facet.name] = {
            "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
            "aggs": {"values": terms},
        }
    return aggs


def _story_count(precision: int = STORY_PRECISION) -> dict[str, Any]:
    return {"stories": {"cardinality": {"field": "story", "precision_threshold": precision}}}


def story_total_aggregation() -> dict[str, Any]:
    """``aggs`` entry counting the matching stories (for ``total`` when collapsing)."""
    return _story_count()


def facets_from(
    result: dict[str, Any], request: SearchRequest, stories: bool
) -> dict[str, tuple[FacetValue, ...]]:
    """Each facet's values from the aggregations of `facet_aggregations`."""
    selected = selections(request)
    facets = {}
    aggregations = result.get("aggregations", {})
    for facet in FACETS:
        counts: Counter[str] = Counter()
        buckets = aggregations.get(facet.name, {}).get("values", {}).get("buckets", ())
        for bucket in buckets:
            count = bucket["stories"]["value"] if stories else bucket["doc_count"]
            if count:
                counts[facet.value_text(bucket["key"])] = int(count)
        facets[facet.name] = ordered_values(counts, selected[facet.name], facet.name)
    return facets


def highlight_settings() -> dict[str, Any]:
    """Highlighting: the body's best passage (or its lead) and the whole title, text
    HTML-escaped, matches in ``<mark>``; quoted words match the ``.exact`` fields."""
    passage = {"fragment_size": 300, "number_of_fragments": 1, "no_match_size": 300}
    return {
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "fields": {
            "body": passage,
            "body.exact": passage,
            "title": {"number_of_fragments": 0},
            "title.exact": {"number_of_fragments": 0},
        },
    }


def _marked(highlight: dict[str, Any], *fields: str) -> str:
    """The first of ``fields``' highlights that marks something, else the first one
    (quotes left as typed: OpenSearch's encoder escapes them too, HTML text need not)."""
    found = [
        str(highlight[field][0]).replace("&#x27;", "'").replace("&quot;", '"')
        for field in fields
        if highlight.get(field)
    ]
    for text in found:
        if "<mark>" in text:
            return str(text)
    return str(found[0]) if found else ""


def hit_from(
    raw: dict[str, Any],
    snippets: bool,
    copies: dict[str, tuple[int, tuple[str, ...]]] | None = None,
) -> Hit:
    """A `Hit` from one search hit (``_source`` and highlights); ``copies`` gives the
    matching copies of each collapsed story (`search.opensearch.requests.copies_from`)."""
    article = document_to_article(raw["_source"])
    highlight = raw.get("highlight", {})
    snippet = ""
    if snippets:
        snippet = _marked(highlight, "body", "body.exact") or html.escape(
            article.body[:300], quote=False
        )
    title_html = _marked(highlight, "title", "title.exact")
    duplicate_ids: tuple[str, ...] = ()
    duplicates = 0
    story = (raw.get("fields", {}).get("story") or [None])[0]
    if copies and story in copies:
        count, ids = copies[story]
        duplicates = max(0, count - 1)
        duplicate_ids = tuple(other for other in ids if other != article.id)[:DUPLICATE_IDS]
    return Hit(
        id=article.id,
        title=article.title,
        url=article.url,
        date=article.date,
        source=article.source,
        author=article.author,
        tags=article.tags,
        views=article.views,
        score=float(raw.get("_score") or 0.0),
        snippet=snippet,
        duplicates=duplicates,
        duplicate_ids=duplicate_ids,
        title_html=title_html if "<mark>" in title_html else "",
    )


PARTIAL_NOTICE = (
    "Part of the archive did not answer (a search node is down): these results and counts "
    "may be incomplete."
)


def is_partial(result: dict[str, Any]) -> bool:
    """Whether some shard did not answer: failed, or had no copy to ask (then OpenSearch
    counts it in ``total`` but not in ``failed``), or the search timed out."""
    shards = result.get("_shards", {})
    answered = int(shards.get("successful", 0)) + int(shards.get("skipped", 0))
    return (
        bool(shards.get("failed"))
        or answered < int(shards.get("total", 0))
        or bool(result.get("timed_out"))
    )


def partial_notices(result: dict[str, Any], time_limit: float) -> list[str]:
    """What an answer must say when shards timed out or did not answer (`is_partial`)."""
    if result.get("timed_out"):
        return [
            f"The search was stopped after {time_limit:g} s: the results and counts "
            "may be incomplete; a narrower search is faster."
        ]
    return [PARTIAL_NOTICE] if is_partial(result) else []


def empty_response(request: SearchRequest, notices: list[str], took_ms: float) -> SearchResponse:
    """The answer of a search with no words left to look for: nothing, every facet empty."""
    facets = {}
    if request.facets:
        selected = selections(request)
        facets = {
            facet.name: ordered_values({}, selected[facet.name], facet.name) for facet in FACETS
        }
    return SearchResponse(
        request=request, total=0, took_ms=took_ms, hits=(), facets=facets, notices=tuple(notices)
    )


__all__ = [
    "PARTIAL_NOTICE",
    "empty_response",
    "is_partial",
    "partial_notices",
    "FACET_FETCH",
    "SORTS",
    "facet_aggregations",
    "facet_filters",
    "facets_from",
    "highlight_settings",
    "hit_from",
    "request_filters",
    "story_total_aggregation",
]
