"""The Whoosh searcher: a `SearchRequest` against a Whoosh index, a `SearchResponse` back.

The only modules of `search` that import Whoosh's query, reading and searching
code (the architecture test enforces it). `engine.SearchService` is the entry
point (the `search.backends.SearchBackend` contract); `served` keeps the open
generation fresh; `query` parses the query language; `scorer`, `bm25f`, `phrases`
and `postings` rank over Whoosh's postings; `facets`, `facet_tables` and `dedup`
count and collapse; `highlight` turns a parsed query into snippet terms.
"""

# First: stop with a clear message on an unsupported Whoosh, before any module uses it.
from indexer.whoosh.version import SUPPORTED_WHOOSH, UnsupportedWhoosh

__all__ = ["SUPPORTED_WHOOSH", "UnsupportedWhoosh"]
