"""Search: `SearchRequest` in, ranked `SearchResponse` out (query language, facets, snippets).

`SearchService` (the Whoosh backend; the backend interface is `search.backends`)
is the one entry point for the HTML views, the JSON API and the CLI.
Only reads the index built by `indexer`. Must not import flask.
"""

from search.errors import (
    IndexDamaged,
    IndexUnavailable,
    InvalidParameter,
    SearchError,
    SearchTimedOut,
)
from search.models import FacetValue, Hit, SearchRequest, SearchResponse
from search.whoosh.engine import SearchService, validate

__all__ = [
    "FacetValue",
    "Hit",
    "IndexDamaged",
    "IndexUnavailable",
    "InvalidParameter",
    "SearchError",
    "SearchRequest",
    "SearchResponse",
    "SearchService",
    "SearchTimedOut",
    "validate",
]
