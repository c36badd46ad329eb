"""The search backend interface and the one switch that picks an implementation.

`SearchBackend` is what the web app and the CLI call; `search.SearchService` (Whoosh,
the default), `search.typesense.backend.TypesenseSearchService` and
`search.opensearch.backend.OpenSearchSearchService` provide it.
`service_from_config` reads the same keys as the web app's config (Flask strips the
``BROADSHEET_`` prefix): ``BACKEND`` (``whoosh`` | ``typesense``), ``INDEX_DIR``,
``REFRESH_SECONDS``, ``SEARCH_TIME_LIMIT`` (seconds one search may compute, `search.deadline`),
``TYPESENSE_NODES``, ``TYPESENSE_API_KEY``, ``TYPESENSE_ALIAS``, ``OPENSEARCH_NODES``,
``OPENSEARCH_ALIAS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from corpus.article import Article
from search.export import ArticleStream
from search.models import Hit, IndexInfo, SearchRequest, SearchResponse
from search.terms import SignificantTerms, TermsRequest
from search.timeline import Timeline

BACKENDS = ("whoosh", "typesense", "opensearch")


@runtime_checkable
class SearchBackend(Protocol):
    """What every backend answers (the web app and CLI use nothing else)."""

    def search(self, request: SearchRequest, now: datetime | None = None) -> SearchResponse:
        """One ranked page with facets and snippets."""
        ...

    def timeline(
        self, request: SearchRequest, interval: str | None = None, now: datetime | None = None
    ) -> Timeline:
        """Matches and all articles per period (`search.timeline`); ``interval`` None:
        chosen from the date range."""
        ...

    def terms(self, asked: TermsRequest, now: datetime | None = None) -> SignificantTerms:
        """The words and phrases characteristic of the best matches (`search.terms`);
        a backend without document frequencies raises `InvalidParameter`
        (``unsupported_query``)."""
        ...

    def export(self, request: SearchRequest, now: datetime | None = None) -> ArticleStream:
        """Every article ``request`` matches, in its order, streamed (`search.export`);
        a backend without a stable snapshot to page through raises `InvalidParameter`
        (``unsupported_query``)."""
        ...

    def get_article(self, article_id: str) -> Article | None:
        """The stored article, or None."""
        ...

    def related(self, article_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Articles like this one."""
        ...

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Autocomplete completions of ``prefix``."""
        ...

    def highlight(self, texts: tuple[str, ...], q: str) -> tuple[str, ...]:
        """``texts`` as safe HTML with the query's words in ``<mark>``."""
        ...

    def version(self) -> str:
        """A token that changes when what is served changes ("" when unknown)."""
        ...

    def doc_count(self) -> int:
        """Articles served."""
        ...

    def index_info(self) -> IndexInfo:
        """Count, generation, size and last commit of what is served."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


def service_from_config(config: Mapping[str, Any]) -> SearchBackend:
    """The backend ``config["BACKEND"]`` names (default ``whoosh``), configured from
    ``config``. Raises ValueError for an unknown backend or missing Typesense settings."""
    backend = str(config.get("BACKEND") or "whoosh").strip().lower()
    if backend == "whoosh":
        from search.whoosh.engine import TIME_LIMIT_SECONDS, SearchService

        return SearchService(
            config.get("INDEX_DIR") or "var/index",
            refresh_seconds=float(config.get("REFRESH_SECONDS", 2.0)),
            time_limit=float(config.get("SEARCH_TIME_LIMIT", TIME_LIMIT_SECONDS)),
        )
    if backend == "typesense":
        from indexer.typesense.schema import DEFAULT_ALIAS
        from search.typesense.backend import TypesenseSearchService

        nodes, api_key = config.get("TYPESENSE_NODES"), config.get("TYPESENSE_API_KEY")
        if not nodes or not api_key:
            raise ValueError(
                "BROADSHEET_BACKEND=typesense needs BROADSHEET_TYPESENSE_NODES and "
                "BROADSHEET_TYPESENSE_API_KEY"
            )
        return TypesenseSearchService(
            str(nodes), str(api_key), str(config.get("TYPESENSE_ALIAS") or DEFAULT_ALIAS)
        )
    if backend == "opensearch":
        from indexer.opensearch.schema import DEFAULT_ALIAS as OPENSEARCH_ALIAS
        from search.opensearch.backend import OpenSearchSearchService

        nodes = config.get("OPENSEARCH_NODES")
        if not nodes:
            raise ValueError("BROADSHEET_BACKEND=opensearch needs BROADSHEET_OPENSEARCH_NODES")
        from search.opensearch.backend import TIME_LIMIT_SECONDS as LIMIT

        return OpenSearchSearchService(
            str(nodes),
            str(config.get("OPENSEARCH_ALIAS") or OPENSEARCH_ALIAS),
            time_limit=float(config.get("SEARCH_TIME_LIMIT", LIMIT)),
        )
    raise ValueError(f"BROADSHEET_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")


def service_from_environment(
    environ: Mapping[str, str] | None = None, **overrides: Any
) -> SearchBackend:
    """`service_from_config` over the ``BROADSHEET_*`` environment variables (prefix
    stripped, as the web app reads them), then ``overrides`` (e.g. ``INDEX_DIR``): what
    the command line uses, so it searches the backend the server would."""
    import os

    env = os.environ if environ is None else environ
    prefix = "BROADSHEET_"
    config: dict[str, Any] = {k[len(prefix) :]: v for k, v in env.items() if k.startswith(prefix)}
    config.update({k: v for k, v in overrides.items() if v is not None})
    return service_from_config(config)
