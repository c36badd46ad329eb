"""Search on a Typesense cluster: the same `SearchRequest` -> `SearchResponse` as Whoosh.

`TypesenseSearchService` has the public methods of `search.SearchService` (``search``,
``get_article``, ``related``, ``suggest``, ``doc_count``, ``close``) plus ``health``
and ``generation``. It reads the collection behind an alias (``broadsheet``), which
`indexer.typesense.writer` swaps on each rebuild.

Mapping: the query text through `search.typesense.query.translate` (what Typesense
cannot express is refused with `InvalidParameter`); ``query_by`` title and body with
weights; strict matching by default (``drop_tokens_threshold=0``, ``num_typos=0``,
``prefix=false``); ``filter_by`` for each facet's selection and the date range (epoch
seconds); ``facet_by`` every facet of `search.facet_specs.FACETS` with multi-select
counts (one extra search per selected facet, all in one ``multi_search`` round trip),
listed in the same order as on Whoosh; ``sort_by`` with the
Whoosh backend's orders and tie-break. Snippets are built here from the stored body
(HTML-escaped, matches in ``<mark>``); the server's highlight markup is never used,
only its list of matched words.
"""

from __future__ import annotations

import html
import re
import threading
import time
from datetime import datetime
from typing import Any

from corpus.article import Article
from indexer.typesense.http import BadRequest, NotFound, TypesenseError
from indexer.typesense.schema import (
    DEFAULT_ALIAS,
    make_client,
    parse_nodes,
)
from search.errors import IndexUnavailable, InvalidParameter
from search.export import ArticleStream
from search.facet_specs import FACETS, FACETS_BY_NAME, ordered_values, selections
from search.models import Hit, IndexInfo, SearchRequest, SearchResponse
from search.notices import relaxed_notice
from search.parameters import validate
from search.relevance import DEFAULT_FIELD_BOOSTS
from search.snippets import make_snippet
from search.terms import SignificantTerms, TermsRequest
from search.timeline import Timeline
from search.typesense import articles
from search.typesense.mapping import (
    EXCLUDED_FIELDS,
    SNIPPET_ANALYZER,
    facet_counts,
    filter_by,
    hit_from_document,
    no_snapshot,
    term_matcher,
)
from search.typesense.query import translate
from search.typesense.timeline import typesense_timeline

#: Values asked from Typesense per facet before sorting and cutting to FACET_LIMIT.
FACET_FETCH = 100
#: ``drop_tokens_threshold`` that keeps dropping words until every stage has run.
DROP_ALL = 1_000_000
APPROXIMATE_OR_NOTICE = (
    "on the Typesense backend, matching any word drops words from the ends of the query, "
    "so articles that have only a middle word of three or more may be missing"
)
_SORTS = {
    "relevance": "_text_match:desc,id_sort:asc",
    "newest": "dated:desc,date_sort:desc,id_sort:asc",
    "oldest": "dated:desc,date_sort:asc,id_sort:asc",
    "views": "views:desc,id_sort:asc",
}
_NON_WORD = re.compile(r"\W+", re.UNICODE)


class TypesenseSearchService:
    """Searches the Typesense collection behind ``alias``; safe to share between threads.

    ``nodes`` is ``"host:port,host:port"`` (or a list); each request fails over to the
    next node. ``prefix`` and ``num_typos`` loosen matching (off by default, to
    answer like the Whoosh backend).
    """

    backend = "typesense"

    def __init__(
        self,
        nodes: str | list[str] | tuple[str, ...],
        api_key: str,
        alias: str = DEFAULT_ALIAS,
        *,
        prefix: bool = False,
        num_typos: int = 0,
        timeout: float = 5.0,
    ) -> None:
        self.nodes = parse_nodes(nodes)
        self.alias = alias
        self.prefix = prefix
        self.num_typos = num_typos
        self._api_key = api_key
        self.client = make_client(nodes, api_key, timeout)
        self._lock = threading.Lock()
        weights = [max(1, round(DEFAULT_FIELD_BOOSTS[field] * 2)) for field in ("title", "body")]
        self._weights = ",".join(str(weight) for weight in weights)

    # -- transport ---------------------------------------------------------------

    def _call(self, action: str, function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except NotFound as error:
            raise IndexUnavailable(
                f"no Typesense collection behind alias {self.alias!r}; build one with "
                f"`python -m indexer build-typesense PATH` ({error})"
            ) from error
        except BadRequest as error:
            raise InvalidParameter("q", f"Typesense refused the search: {error}") from error
        except TypesenseError as error:
            raise IndexUnavailable(f"Typesense {action} failed: {error}") from error

    def multi_search(self, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = [{"collection": self.alias, **search} for search in searches]
        results: list[dict[str, Any]] = self._call("search", self.client.multi_search, body)
        for result in results:
            if "error" in result:
                code = int(result.get("code", 500))
                if code == 404:
                    raise IndexUnavailable(f"no Typesense collection behind {self.alias!r}")
                if code == 400:
                    raise InvalidParameter("q", f"Typesense refused the search: {result['error']}")
                raise IndexUnavailable(f"Typesense search failed: {result['error']}")
        return results

    # -- lifecycle and status ----------------------------------------------------

    def generation(self) -> str | None:
        """The collection the alias points at now (changes on every rebuild)."""
        target: str | None = self._call("alias lookup", self.client.alias_target, self.alias)
        return target

    def highlight(self, texts: tuple[str, ...], q: str) -> tuple[str, ...]:
        """``texts`` escaped; this backend marks query words only in its snippets."""
        return tuple(html.escape(text, quote=False) for text in texts)

    def version(self) -> str:
        """Unknown here (the collection changes without a local token): no ETags."""
        return ""

    def doc_count(self) -> int:
        """Number of articles in the served collection."""
        info = self._call("count", self.client.collection, self.alias)
        return int(info["num_documents"])

    def index_info(self) -> IndexInfo:
        """Count and collection behind the alias (size and commit time are not exposed)."""
        return IndexInfo(self.doc_count(), self.generation() or "", 0, None)

    def health(self) -> dict[str, Any]:
        """``{"status": "ok"|"degraded"|"unavailable", "backend", "docs", "generation",
        "nodes": [{"node", "ok"}]}``; "degraded" when some node does not answer."""
        nodes = [
            {"node": f"{node['host']}:{node['port']}", "ok": self.client.health(index)}
            for index, node in enumerate(self.nodes)
        ]
        healthy = sum(1 for node in nodes if node["ok"])
        docs, generation = None, None
        if healthy:
            try:
                docs, generation = self.doc_count(), self.generation()
            except IndexUnavailable:
                healthy = 0
        status = "ok" if healthy == len(nodes) else "degraded" if healthy else "unavailable"
        return {
            "status": status,
            "backend": self.backend,
            "docs": docs,
            "generation": generation,
            "nodes": nodes,
        }

    def close(self) -> None:
        """Close the HTTP connections."""
        with self._lock:
            self.client.close()

    # -- single articles ---------------------------------------------------------

    def get_article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        return articles.get_article(self, article_id)

    def related(self, article_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Articles sharing this one's key body words (`search.typesense.articles`)."""
        return articles.related(self, article_id, limit)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Completions of the last word of ``prefix`` by the titles' words."""
        return articles.suggest(self, prefix, limit)

    # -- research endpoints ------------------------------------------------------

    def terms(self, asked: TermsRequest, now: datetime | None = None) -> SignificantTerms:
        """Not available: characteristic terms need each word's document frequency in
        the whole archive, which Typesense does not expose (one count query per
        candidate word would take seconds); a 400 ``unsupported_query`` says so."""
        raise InvalidParameter(
            "q",
            "characteristic terms need document frequencies, which the Typesense backend "
            "does not provide; use the Whoosh backend",
            code="unsupported_query",
        )

    def export(self, request: SearchRequest, now: datetime | None = None) -> ArticleStream:
        """Not available: see `search.typesense.mapping.no_snapshot`."""
        raise no_snapshot("q", "export")

    def timeline(
        self, request: SearchRequest, interval: str | None = None, now: datetime | None = None
    ) -> Timeline:
        """Matches per month or year (`search.typesense.timeline`; day and week: 400)."""
        validate(request)
        settings = {
            "query_by_weights": self._weights,
            "num_typos": self.num_typos,
            "prefix": self.prefix,
            "drop_tokens_threshold": DROP_ALL if request.op == "or" else 0,
            "typo_tokens_threshold": 0 if self.num_typos == 0 else 1,
        }
        return typesense_timeline(self.multi_search, request, interval, settings)

    # -- searching ---------------------------------------------------------------

    def _params(self, request: SearchRequest, q: str, drop_all: bool) -> dict[str, Any]:
        params: dict[str, Any] = {
            "q": q,
            "query_by": "title,body",
            "query_by_weights": self._weights,
            "num_typos": self.num_typos,
            "prefix": self.prefix,
            "drop_tokens_threshold": DROP_ALL if drop_all else 0,
            "typo_tokens_threshold": 0 if self.num_typos == 0 else 1,
            "sort_by": _SORTS[request.sort],
            "page": request.page,
            "per_page": request.per_page,
            "highlight_fields": "body",
            "exclude_fields": EXCLUDED_FIELDS,
        }
        filter_by_text = filter_by(request)
        if filter_by_text:
            params["filter_by"] = filter_by_text
        if request.facets:
            params["facet_by"] = ",".join(facet.typesense_field for facet in FACETS)
            params["max_facet_values"] = FACET_FETCH
        return params

    def _facet_searches(
        self, request: SearchRequest, q: str, drop_all: bool
    ) -> list[tuple[str, dict[str, Any]]]:
        extra: list[tuple[str, dict[str, Any]]] = []
        for name, values in selections(request).items():
            if not values or not request.facets:
                continue
            params = self._params(request, q, drop_all)
            params.update(
                facet_by=FACETS_BY_NAME[name].typesense_field,
                per_page=0,
                page=1,
                highlight_fields="none",
                include_fields="id",
            )
            params.pop("exclude_fields")
            filter_by_text = filter_by(request, skip=name)
            if filter_by_text:
                params["filter_by"] = filter_by_text
            else:
                params.pop("filter_by", None)
            extra.append((name, params))
        return extra

    def _run(
        self, request: SearchRequest, q: str, drop_all: bool
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        extra = self._facet_searches(request, q, drop_all)
        results = self.multi_search(
            [self._params(request, q, drop_all)] + [params for _, params in extra]
        )
        by_facet = {name: result for (name, _), result in zip(extra, results[1:], strict=True)}
        return results[0], by_facet

    def search(self, request: SearchRequest, now: datetime | None = None) -> SearchResponse:
        """Run ``request`` and return one ranked page with facets and snippets.

        ``now`` is accepted for the interface (relative dates in the query text are
        not part of Typesense's language). Raises `InvalidParameter` for query syntax
        Typesense cannot express and `IndexUnavailable` when no node answers.
        """
        validate(request)
        if request.start is not None:
            raise no_snapshot("cursor", "cursor paging")
        started = time.perf_counter()
        translated = translate(request.q, request.op)
        notices = list(translated.notices)
        selected = selections(request)
        if translated.no_words:
            facets = {}
            if request.facets:
                facets = {
                    facet.name: ordered_values({}, selected[facet.name], facet.name)
                    for facet in FACETS
                }
            return SearchResponse(
                request=request,
                total=0,
                took_ms=(time.perf_counter() - started) * 1000,
                hits=(),
                facets=facets,
                notices=tuple(notices),
            )
        any_word = request.op == "or" and translated.positive >= 2
        main, by_facet = self._run(request, translated.q, drop_all=any_word)
        relaxed = False
        if main["found"] == 0 and request.op == "and" and translated.positive >= 2:
            relaxed_main, relaxed_facets = self._run(request, translated.q, drop_all=True)
            if relaxed_main["found"]:
                main, by_facet, relaxed, any_word = relaxed_main, relaxed_facets, True, True
        hits = []
        for hit in main.get("hits", ()):
            document = hit["document"]
            body = document.get("body", "")
            snippet = ""
            if request.snippets:
                snippet = make_snippet(body, term_matcher(hit, translated.words), SNIPPET_ANALYZER)
            hits.append(hit_from_document(document, float(hit.get("text_match", 0)), snippet))
        facets = {}
        if request.facets:
            for facet in FACETS:
                found = by_facet.get(facet.name, main)
                counts = facet_counts(found, facet.typesense_field, facet.value_text)
                facets[facet.name] = ordered_values(counts, selected[facet.name], facet.name)
        if relaxed:
            notices.append(relaxed_notice())
        if any_word and translated.positive >= 3:
            notices.append(APPROXIMATE_OR_NOTICE)
        return SearchResponse(
            request=request,
            total=int(main["found"]),
            took_ms=(time.perf_counter() - started) * 1000,
            hits=tuple(hits),
            facets=facets,
            suggestion=None,
            relaxed=relaxed,
            notices=tuple(notices),
        )


__all__ = ["TypesenseSearchService"]
