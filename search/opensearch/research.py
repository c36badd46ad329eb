"""The research endpoints on OpenSearch: timeline, export and characteristic terms.

- Timeline: one ``msearch`` round trip. The matches and every article within the
  request's date bounds are counted per day (``date_histogram``), with the oldest and
  newest dates; the days are folded into the periods of `search.timeline` (ISO weeks,
  months, years: the same axis as on Whoosh). Counts are articles: near-duplicate
  copies are not collapsed (``collapsed`` false).
- Export: a point in time over the alias' indices, paged with ``search_after`` in the
  request's order (the id as tie-break), so the export is one fixed view even while
  articles are written; the point in time is deleted when the stream closes.
- Terms: the best matches (``sampler``, the sample size asked) against the archive,
  by OpenSearch's ``significant_text`` on the unstemmed body words with its JLH score
  (as Broadsheet's own, `search.terms.jlh`). Words only: OpenSearch has no phrase
  counterpart of Broadsheet's two-word phrases without a shingle field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from indexer.opensearch.schema import document_to_article
from search.export import ArticleStream
from search.models import SearchRequest
from search.opensearch.mapping import SORTS, facet_filters, request_filters
from search.opensearch.query import translate
from search.opensearch.requests import UNSHOWN_FIELDS, query_body
from search.terms import SignificantTerm, SignificantTerms, TermsRequest, min_foreground
from search.timeline import (
    EPOCH,
    Timeline,
    choose_interval,
    empty_timeline,
    make_timeline,
    ordinal_of,
    periods_between,
    resolve_range,
)

if TYPE_CHECKING:
    from search.opensearch.backend import OpenSearchSearchService

__all__ = ["opensearch_export", "opensearch_terms", "opensearch_timeline"]

#: Articles per page of an export, and how long its point in time lives between pages.
EXPORT_PAGE = 1000
KEEP_ALIVE = "5m"
_DAY_MS = 86_400_000


def _filtered(
    service: OpenSearchSearchService, request: SearchRequest, now: datetime
) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """The request's query with its facet selections as filters (None: no words)."""
    query = translate(request.q, request.op, now)
    if query.no_words and not query.unfiltered:
        return None, query.notices
    scored = query_body(request, query, request.op)
    assert scored is not None
    selected = facet_filters(request)
    if selected:
        scored = {"bool": {"must": [scored], "filter": selected}}
    return scored, query.notices


def _days(aggregation: dict[str, Any]) -> Counter[int]:
    return Counter({int(b["key"]) // _DAY_MS: int(b["doc_count"]) for b in aggregation["buckets"]})


def _day_histogram(query: dict[str, Any]) -> dict[str, Any]:
    return {
        "size": 0,
        "track_total_hits": True,
        "query": query,
        "aggs": {
            "days": {"date_histogram": {"field": "date", "calendar_interval": "day"}},
            "oldest": {"min": {"field": "date"}},
            "newest": {"max": {"field": "date"}},
            "undated": {"missing": {"field": "date"}},
        },
    }


def _day(ms: float | None) -> date | None:
    return None if ms is None else (datetime.fromtimestamp(ms / 1000, UTC)).date()


def opensearch_timeline(
    service: OpenSearchSearchService,
    request: SearchRequest,
    interval: str | None,
    now: datetime | None,
) -> Timeline:
    """``request``'s matches per period (see the module docstring)."""
    moment = now or datetime.now(UTC)
    query, notices = _filtered(service, request, moment)
    notices += service.indices.closed_notices()
    bounds = SearchRequest(date_from=request.date_from, date_to=request.date_to)
    everything = {"bool": {"filter": request_filters(bounds)}}
    searches: list[dict[str, Any]] = [
        {"index": service.indices.readable()},
        _day_histogram(everything),
    ]
    if query is not None:
        searches += [{"index": service.indices.readable()}, _day_histogram(query)]
    responses = service.call("timeline", service.client.msearch, body=searches)["responses"]
    for response in responses:
        if "error" in response:
            service.call("timeline", _raise, error=response["error"])
    all_days = _days(responses[0]["aggregations"]["days"])
    matched = _days(responses[1]["aggregations"]["days"]) if query is not None else Counter()
    undated = int(responses[1]["aggregations"]["undated"]["doc_count"]) if query else 0
    aggregations = responses[0]["aggregations"]
    oldest, newest = _day(aggregations["oldest"]["value"]), _day(aggregations["newest"]["value"])
    span = resolve_range(request.date_from, request.date_to, oldest, newest)
    if span is None:
        return empty_timeline(request.q, interval, undated, False)
    chosen = interval or choose_interval(*span)
    periods = periods_between(span[0], span[1], chosen)
    position = {ordinal_of(period.start, chosen): i for i, period in enumerate(periods)}

    def per_period(days: Counter[int]) -> list[int]:
        counts = [0] * len(periods)
        for day_number, number in days.items():
            slot = position.get(ordinal_of(EPOCH + timedelta(days=day_number), chosen))
            if slot is not None:
                counts[slot] += number
        return counts

    counts, totals = per_period(matched), per_period(all_days)
    undated += sum(matched.values()) - sum(counts)  # outside the span: none expected
    return make_timeline(
        request.q,
        chosen,
        periods,
        counts,
        totals,
        undated,
        False,
        chosen=interval is None,
        notices=tuple(notices),
    )


def _raise(error: Any) -> None:
    from opensearchpy.exceptions import RequestError, TransportError

    status = int(error.get("status", 500)) if isinstance(error, dict) else 500
    if status == 400:
        raise RequestError(status, str(error), error)
    raise TransportError(status, str(error), error)


def opensearch_export(
    service: OpenSearchSearchService, request: SearchRequest, now: datetime | None
) -> ArticleStream:
    """Every article ``request`` matches, in its order, from one point in time."""
    moment = now or datetime.now(UTC)
    query, _ = _filtered(service, request, moment)
    if query is None:
        return ArticleStream(0, iter(()))
    query_text = translate(request.q, request.op, moment).text
    order = request.sort if query_text or request.sort != "relevance" else "newest"
    pit = service.call(
        "export", service.client.create_pit, index=service.indices.readable(), keep_alive=KEEP_ALIVE
    )["pit_id"]

    def page_after(pit_id: str, after: list[Any] | None) -> dict[str, Any]:
        """One page of the point in time, after the sort values ``after`` (None: first)."""
        body: dict[str, Any] = {
            "size": EXPORT_PAGE,
            "query": query,
            "sort": SORTS[order],
            "_source": {"excludes": list(UNSHOWN_FIELDS)},
            "track_total_hits": after is None,
            "pit": {"id": pit_id, "keep_alive": KEEP_ALIVE},
        }
        if after is not None:
            body["search_after"] = after
        page: dict[str, Any] = service.call("export", service.client.search, body=body)
        return page

    first = page_after(pit, None)

    def pages() -> Iterator[Any]:
        page = first
        while True:
            hits = page["hits"]["hits"]
            for hit in hits:
                yield document_to_article(hit["_source"])
            if len(hits) < EXPORT_PAGE:
                return
            page = page_after(page.get("pit_id", pit), hits[-1]["sort"])

    def release() -> None:
        try:
            service.client.delete_pit(body={"pit_id": [pit]})
        except Exception:  # the point in time expires by itself anyway
            pass

    return ArticleStream(int(first["hits"]["total"]["value"]), pages(), release)


def opensearch_terms(
    service: OpenSearchSearchService, asked: TermsRequest, now: datetime | None
) -> SignificantTerms:
    """The characteristic words of ``asked``'s best matches (module docstring)."""
    request = asked.search
    moment = now or datetime.now(UTC)
    query, notices = _filtered(service, request, moment)
    notices += service.indices.closed_notices()
    if query is None:
        return SignificantTerms(request.q, 0, 0, (), tuple(notices))
    body = {
        "size": 0,
        "track_total_hits": True,
        "query": query,
        "aggs": {
            "sample": {
                "sampler": {"shard_size": asked.sample},
                "aggs": {
                    "words": {
                        "significant_text": {
                            "field": "body.exact",
                            "size": asked.limit,
                            "min_doc_count": 1,
                            "filter_duplicate_text": True,
                            "jlh": {},
                            # Counted by a filter, the background holds only live
                            # articles (index statistics count deleted copies too).
                            "background_filter": {"match_all": {}},
                        }
                    }
                },
            }
        },
    }
    result = service.call(
        "terms", service.client.search, index=service.indices.readable(), body=body
    )
    sample = result["aggregations"]["sample"]
    size = int(sample["doc_count"])
    words = sample["words"]
    background = int(words.get("bg_count", 0))
    least = min_foreground(size)
    terms = tuple(
        SignificantTerm(
            term=str(bucket["key"]),
            kind="word",
            score=float(bucket["score"]),
            fg_count=int(bucket["doc_count"]),
            fg_size=size,
            bg_count=int(bucket["bg_count"]),
            bg_size=background,
        )
        for bucket in words["buckets"]
        if int(bucket["doc_count"]) >= least and not str(bucket["key"]).isdigit()
    )
    return SignificantTerms(
        request.q, size, int(result["hits"]["total"]["value"]), terms[: asked.limit], notices
    )
