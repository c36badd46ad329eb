"""Search on an OpenSearch cluster: the same `SearchRequest` -> `SearchResponse` as Whoosh.

`OpenSearchSearchService` provides `search.backends.SearchBackend` over the indices
behind an alias (``broadsheet``: one index per year, `indexer.opensearch.schema`),
which `indexer.opensearch.writer` moves on each rebuild. One search is one request:

- the query text through `search.opensearch.query.translate`; the date expressions and
  the ``from``/``to`` bounds as filters, facet selections as a ``post_filter``;
- BM25 over title and body (title weighted), the Whoosh backend's sort orders with
  undated and view-less articles last and the id as tie-break;
- facets as ``terms`` aggregations (multi-select, `search.opensearch.mapping`);
- highlighting by OpenSearch (escaped text, ``<mark>``), the lead when the body has no
  match;
- near-duplicates collapsed on ``story`` (``collapse`` with inner hits), counting
  stories;
- no article with all the words: the any-word search, with a notice, as on Whoosh.

A shard that did not answer (a node down with no other copy) makes the answer partial:
``total_exact`` false and a notice, never silently. A query that OpenSearch cannot
parse is searched as its plain words, with a notice. Research endpoints (timeline,
export, characteristic terms) are in `search.opensearch.research`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime
from typing import Any

from corpus.article import Article
from indexer.opensearch.schema import (
    DEFAULT_ALIAS,
    index_build,
    make_client,
)
from search.errors import IndexUnavailable, InvalidParameter
from search.export import ArticleStream
from search.models import Hit, IndexInfo, SearchRequest, SearchResponse
from search.notices import relaxed_notice
from search.opensearch import articles
from search.opensearch.alias import AliasIndices
from search.opensearch.mapping import (
    STORY_PRECISION,
    empty_response,
    facet_filters,
    facets_from,
    hit_from,
    is_partial,
    partial_notices,
)
from search.opensearch.query import UNREADABLE_NOTICE, OpenSearchQuery, translate
from search.opensearch.requests import (
    copies_body,
    copies_from,
    query_body,
    search_body,
)
from search.opensearch.spelling import corrected_text, suggester, worth_suggesting
from search.parameters import validate
from search.terms import SignificantTerms, TermsRequest
from search.timeline import Timeline

#: Seconds a search may run on the shards (``timeout`` of each search; the web app's
#: ``BROADSHEET_SEARCH_TIME_LIMIT``): past it, shards answer what they found so far.
TIME_LIMIT_SECONDS = 1.5


class OpenSearchSearchService:
    """Searches the indices behind ``alias``; safe to share between threads.

    ``nodes`` is ``"host:port,host:port"`` (or URLs, or a list); a request that fails
    on one node is retried on the next.
    """

    backend = "opensearch"
    #: Exports page through a point in time (the web page offers its Download link).
    exports = True

    def __init__(
        self,
        nodes: str | list[str] | tuple[str, ...],
        alias: str = DEFAULT_ALIAS,
        *,
        timeout: float = 10.0,
        time_limit: float = TIME_LIMIT_SECONDS,
    ) -> None:
        self.alias = alias
        self.time_limit = time_limit
        self.client = make_client(nodes, max(timeout, 2 * time_limit))
        self._lock = threading.Lock()
        #: Which indices reads address (`search.opensearch.alias`).
        self.indices = AliasIndices(alias, self.client, self.call)

    # -- transport ---------------------------------------------------------------

    def call(self, action: str, function: Any, **kwargs: Any) -> Any:
        """``function(**kwargs)`` with OpenSearch's errors as Broadsheet's: a missing
        alias or an unreachable cluster is `IndexUnavailable`, a refused request
        `InvalidParameter`."""
        from opensearchpy import exceptions as errors

        try:
            return function(**kwargs)
        except errors.NotFoundError as error:
            raise IndexUnavailable(
                f"no OpenSearch index behind alias {self.alias!r}; build one with "
                f"`python -m indexer build-opensearch PATH` ({error.error})"
            ) from error
        except errors.RequestError as error:
            raise InvalidParameter(
                "q", f"OpenSearch refused the {action}: {error.error}"
            ) from error
        except errors.TransportError as error:
            raise IndexUnavailable(f"OpenSearch {action} failed: {error}") from error
        except errors.ImproperlyConfigured as error:  # pragma: no cover - configuration
            raise IndexUnavailable(f"OpenSearch {action} failed: {error}") from error

    # -- lifecycle and status ----------------------------------------------------

    def generation(self) -> str | None:
        """The build the alias points at (changes on every rebuild)."""
        builds = {index_build(name, self.alias) for name in self.indices.opened()}
        builds.discard(None)
        return ",".join(sorted(b for b in builds if b)) or None

    def version(self) -> str:
        """Unknown here (updates change what is served without a local token): no ETags."""
        return ""

    def highlight(self, texts: tuple[str, ...], q: str) -> tuple[str, ...]:
        """``texts`` escaped; this backend marks query words in its snippets and titles."""
        import html

        return tuple(html.escape(text, quote=False) for text in texts)

    def doc_count(self) -> int:
        """Articles behind the alias."""
        return int(self.call("count", self.client.count, index=self.indices.readable())["count"])

    def index_info(self) -> IndexInfo:
        """Count, build and primary store size of what the alias serves."""
        stats = self.call(
            "stats", self.client.indices.stats, index=self.indices.readable(), metric="store"
        )
        size = int(stats["_all"]["primaries"]["store"]["size_in_bytes"])
        return IndexInfo(self.doc_count(), self.generation() or "", size, None)

    def health(self) -> dict[str, Any]:
        """``{"status": "ok"|"degraded"|"unavailable", "backend", "docs", "generation",
        "cluster"}``: "degraded" while the cluster is yellow (a copy missing) or red (a
        shard with no copy: answers miss its articles)."""
        try:
            cluster = self.call("health", self.client.cluster.health)
            docs, generation = self.doc_count(), self.generation()
        except IndexUnavailable:
            return {"status": "unavailable", "backend": self.backend, "docs": None}
        colour = cluster.get("status")
        # Red: some shard has no copy; searches still answer, without its articles.
        status = {"green": "ok", "yellow": "degraded", "red": "degraded"}.get(colour, "unavailable")
        return {
            "status": status,
            "backend": self.backend,
            "docs": docs,
            "generation": generation,
            "cluster": {"status": colour, "nodes": cluster.get("number_of_nodes")},
        }

    def close(self) -> None:
        """Close the HTTP connections."""
        with self._lock:
            self.client.close()

    # -- single articles (`search.opensearch.articles`) ---------------------------

    def get_article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        return articles.get_article(self, article_id)

    def related(self, article_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Articles like this one, without itself or the other copies of its story."""
        return articles.related(self, article_id, limit)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Completions of the last word of ``prefix`` by the titles' words."""
        return articles.suggest(self, prefix, limit)

    # -- research endpoints ------------------------------------------------------

    def timeline(
        self, request: SearchRequest, interval: str | None = None, now: datetime | None = None
    ) -> Timeline:
        """Matches and all articles per period (`search.opensearch.research`)."""
        from search.opensearch.research import opensearch_timeline

        validate(request)
        return opensearch_timeline(self, request, interval, now)

    def export(self, request: SearchRequest, now: datetime | None = None) -> ArticleStream:
        """Every match in order, from a point in time (`search.opensearch.research`)."""
        from search.opensearch.research import opensearch_export

        validate(request)
        return opensearch_export(self, request, now)

    def terms(self, asked: TermsRequest, now: datetime | None = None) -> SignificantTerms:
        """Characteristic words of the best matches (`search.opensearch.research`)."""
        from search.opensearch.research import opensearch_terms

        return opensearch_terms(self, asked, now)

    # -- searching ---------------------------------------------------------------

    def _run(
        self,
        request: SearchRequest,
        query: OpenSearchQuery,
        op: str,
        notices: list[str],
        spell: bool = False,
    ) -> dict[str, Any] | None:
        """One search (``spell``: with the did-you-mean suggester); a text OpenSearch
        cannot parse is searched as its plain words."""
        body = search_body(request, query, op, plain=False)
        if body is None:
            return None
        body["timeout"] = f"{round(self.time_limit * 1000)}ms"
        checked = suggester(query.text) if spell else None
        if checked:
            body["suggest"] = checked
        index = self.indices.for_search(request, query)
        try:
            return self._search(index, body)
        except InvalidParameter:
            body = search_body(request, query, op, plain=True)
            notices.append(UNREADABLE_NOTICE)
            if body is None:
                return None
            body["timeout"] = f"{round(self.time_limit * 1000)}ms"
            return self._search(index, body)

    def _search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        """One search of ``index``; the alias' indices read again when a rebuild has
        replaced those remembered."""
        try:
            result: dict[str, Any] = self.call("search", self.client.search, index=index, body=body)
        except (IndexUnavailable, InvalidParameter) as error:
            stale = isinstance(error, IndexUnavailable) or "index_closed" in str(error)
            if index == self.alias or not stale:
                raise
            self.indices.forget()  # a rebuild, or a year closed or opened since
            result = self.call(
                "search", self.client.search, index=self.indices.readable(), body=body
            )
        return result

    def search(self, request: SearchRequest, now: datetime | None = None) -> SearchResponse:
        """Run ``request`` and return one ranked page with facets and snippets.

        Raises `InvalidParameter` for parameters out of range and `IndexUnavailable`
        when the cluster does not answer or has no index behind the alias.
        """
        validate(request)
        started = time.perf_counter()
        moment = now or datetime.now(UTC)
        query = translate(request.q, request.op, moment)
        notices = list(query.notices) + list(self.indices.closed_notices())
        result = None
        relaxed = False
        corrected: str | None = None
        suggestion: str | None = None
        if not query.no_words or query.unfiltered:
            result = self._run(request, query, request.op, notices, spell=True)
        correction = corrected_text(result, query.text) if result is not None else None
        if result is not None and correction:
            typed_total = int(result["hits"]["total"]["value"])
            fixed = translate(correction, request.op, moment)
            if typed_total == 0 and request.correct:
                fixed_result = self._run(request, fixed, request.op, [])
                if fixed_result is not None and fixed_result["hits"]["total"]["value"]:
                    result, query, corrected = fixed_result, fixed, correction
            elif worth_suggesting(typed_total, self._count(request, fixed)):
                suggestion = correction
        if (
            result is not None
            and result["hits"]["total"]["value"] == 0
            and request.op == "and"
            and query.positive >= 2
        ):
            relaxed_result = self._run(request, query, "or", notices)
            if relaxed_result is not None and relaxed_result["hits"]["total"]["value"]:
                result, relaxed = relaxed_result, True
                notices.append(relaxed_notice())
        response = self._response(request, query, result, relaxed, notices, started)
        return dataclasses.replace(response, suggestion=suggestion, corrected_query=corrected)

    def _copies(
        self,
        request: SearchRequest,
        query: OpenSearchQuery,
        relaxed: bool,
        raw_hits: list[dict[str, Any]],
    ) -> dict[str, tuple[int, tuple[str, ...]]]:
        """The matching copies of the page's stories (one request; {} on any refusal:
        the hits are shown without their copies rather than not at all)."""
        stories = [str(hit["fields"]["story"][0]) for hit in raw_hits if hit.get("fields")]
        body = copies_body(request, query, "or" if relaxed else request.op, stories)
        if body is None:
            return {}
        try:
            result = self._search(self.indices.for_search(request, query), body)
        except InvalidParameter:
            return {}
        return copies_from(result)

    def _count(self, request: SearchRequest, query: OpenSearchQuery) -> int:
        """Articles ``query`` finds under ``request``'s filters and selections."""
        scored = query_body(request, query, request.op)
        if scored is None:
            return 0
        selected = facet_filters(request)
        body = {"query": {"bool": {"must": [scored], "filter": selected}}}
        index = self.indices.for_search(request, query)
        try:
            return int(self.call("count", self.client.count, index=index, body=body)["count"])
        except InvalidParameter:
            return 0

    def _response(
        self,
        request: SearchRequest,
        query: OpenSearchQuery,
        result: dict[str, Any] | None,
        relaxed: bool,
        notices: list[str],
        started: float,
    ) -> SearchResponse:
        if result is None:
            return empty_response(request, notices, (time.perf_counter() - started) * 1000)
        partial = is_partial(result)
        notices += partial_notices(result, self.time_limit)
        articles = int(result["hits"]["total"]["value"])
        total = articles
        if request.collapse:
            total = int(result["aggregations"]["_stories"]["stories"]["value"])
        raw_hits = result["hits"]["hits"]
        # Copies to look up only when some story has two or more matches: as many stories
        # as articles, counted exactly, means none has.
        grouped = request.collapse and not (total == articles and articles < STORY_PRECISION)
        copies = self._copies(request, query, relaxed, raw_hits) if grouped else None
        hits = tuple(hit_from(hit, request.snippets, copies) for hit in raw_hits)
        facets = facets_from(result, request, request.collapse) if request.facets else {}
        return SearchResponse(
            request=request,
            total=total,
            took_ms=(time.perf_counter() - started) * 1000,
            hits=hits,
            facets=facets,
            relaxed=relaxed,
            notices=tuple(notices),
            total_exact=not partial and (not request.collapse or total < STORY_PRECISION),
            sort="newest" if not query.text and request.sort == "relevance" else "",
            articles=articles if request.collapse and articles != total else None,
        )


__all__ = ["TIME_LIMIT_SECONDS", "OpenSearchSearchService"]
