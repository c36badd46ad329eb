"""Typed records of the search entry point: `SearchRequest` in, `SearchResponse` out."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from corpus.article import format_utc

SORTS = ("relevance", "newest", "oldest", "views")
OPERATORS = ("and", "or")
MAX_PER_PAGE = 100
#: Deepest result reachable by paging (page * per_page); beyond it ask for a narrower query.
MAX_WINDOW = 10_000


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One search: query text, filters, sort and page. Validated by `validate`."""

    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    op: str = "and"
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    #: Selected months, ``YYYY-MM`` (the timeline facet).
    months: tuple[str, ...] = ()
    #: Inclusive UTC bounds.
    date_from: datetime | None = None
    date_to: datetime | None = None
    snippets: bool = True
    facets: bool = True
    #: Collapse near-duplicate stories into one hit (``collapse=0`` shows every article).
    collapse: bool = True
    #: Boost newer articles in relevance ranking (``recency=1``).
    recency: bool = False
    #: When the query finds nothing, show the results of its confident spelling
    #: correction instead (``correct=0``: search exactly what was typed).
    correct: bool = True
    #: The first hit's position, counted from 0, when paging by cursor
    #: (`search.cursor`): replaces ``page`` and is not held to `MAX_WINDOW`.
    start: int | None = None

    @property
    def first(self) -> int:
        """Position of the page's first hit, counted from 0."""
        return self.start if self.start is not None else (self.page - 1) * self.per_page

    @property
    def window(self) -> int:
        """How many ranked hits the page needs: those before it and its own."""
        return self.first + self.per_page


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked article with its highlighted snippet (safe HTML: text escaped, `<mark>`)."""

    id: str
    title: str
    url: str
    date: datetime | None
    source: str
    author: str
    tags: tuple[str, ...]
    views: int | None
    score: float
    snippet: str
    #: How many near-duplicate articles (also matching) this hit stands for, and their ids.
    duplicates: int = 0
    duplicate_ids: tuple[str, ...] = ()
    #: The query's words and phrases this hit lacks (only when the search was relaxed).
    missing: tuple[str, ...] = ()
    #: The title as safe HTML with what the query matched in it marked (``""``: none
    #: computed; show the escaped ``title``).
    title_html: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON API's shape of a hit."""
        return {
            "id": self.id,
            "title": self.title,
            "title_html": self.title_html or html.escape(self.title, quote=False),
            "url": self.url,
            "date": format_utc(self.date),
            "source": self.source,
            "author": self.author,
            "tags": list(self.tags),
            "views": self.views,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "duplicates": self.duplicates,
            "duplicate_ids": list(self.duplicate_ids),
            "missing": list(self.missing),
        }


@dataclass(frozen=True, slots=True)
class FacetValue:
    """A facet value, how many hits have it, and whether the request selected it."""

    value: str
    count: int
    selected: bool

    def to_json_dict(self) -> dict[str, Any]:
        """``{"value", "count", "selected"}``."""
        return {"value": self.value, "count": self.count, "selected": self.selected}


@dataclass(frozen=True, slots=True)
class QueryDate:
    """A date expression typed in the query (``after:2008``) and the range it resolved to.

    ``start``/``end`` are inclusive UTC bounds (None: open); ``query_without`` is the
    query text with this expression taken out (to remove it)."""

    text: str
    start: datetime | None
    end: datetime | None
    negated: bool
    query_without: str

    def to_json_dict(self) -> dict[str, Any]:
        """``{"text", "from", "to", "negated"}``."""
        return {
            "text": self.text,
            "from": format_utc(self.start),
            "to": format_utc(self.end),
            "negated": self.negated,
        }


@dataclass(frozen=True, slots=True)
class SearchResponse:
    """The ranked page of hits, facet counts and what was done to the query.

    With collapsing on, ``total`` and the facet counts count stories (a group of
    near-duplicates once), which is also what the pages walk through.
    """

    request: SearchRequest
    total: int
    took_ms: float
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    suggestion: str | None = None
    relaxed: bool = False
    notices: tuple[str, ...] = ()
    #: Whether ``total`` is an exact count (it is for this backend; an estimate may not be).
    total_exact: bool = True
    #: When the query as typed found nothing, the spelling correction whose results
    #: these are ("Showing results for X. Search instead for Y"); None otherwise.
    corrected_query: str | None = None
    #: The order the hits are in: the request's, except that a search without words
    #: has nothing to rank by relevance and lists the newest first ("" = the request's).
    sort: str = ""
    #: The orders that mean something for this search (relevance needs words; views
    #: needs an archive where some article has a view count).
    sorts: tuple[str, ...] = SORTS
    #: The day of the archive's newest and oldest dated articles (None when unknown):
    #: date presets count back from the newest, not from today.
    newest_date: date | None = None
    oldest_date: date | None = None
    #: Articles matching, when it differs from ``total`` (near-duplicates grouped
    #: into one story each); None when not counted.
    articles: int | None = None
    #: The date expressions typed in the query and what they resolved to.
    query_dates: tuple[QueryDate, ...] = ()
    #: The index snapshot that answered (`SearchBackend.version`; "" when unknown): a
    #: cursor is valid for it only.
    version: str = ""

    @property
    def order(self) -> str:
        """The order the hits are in (`sort`, else the request's)."""
        return self.sort or self.request.sort

    @property
    def pages(self) -> int:
        """Number of pages reachable for this total and page size."""
        reachable = min(self.total, MAX_WINDOW)
        return max(1, -(-reachable // self.request.per_page))

    def to_json_dict(self) -> dict[str, Any]:
        """The ``/api/search`` contract."""
        return {
            "query": self.request.q,
            "total": self.total,
            "total_exact": self.total_exact,
            "page": self.request.first // self.request.per_page + 1,
            "per_page": self.request.per_page,
            "pages": self.pages,
            "took_ms": round(self.took_ms, 2),
            "relaxed": self.relaxed,
            "notices": list(self.notices),
            "results": [hit.to_json_dict() for hit in self.hits],
            "facets": {
                name: [value.to_json_dict() for value in values]
                for name, values in self.facets.items()
            },
            "suggestion": self.suggestion,
            "corrected_query": self.corrected_query,
            "sort": self.order,
            "sorts": list(self.sorts),
            "newest_date": self.newest_date.isoformat() if self.newest_date else None,
            "query_dates": [found.to_json_dict() for found in self.query_dates],
        }


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """What a backend serves now: article count, generation, size and last commit."""

    docs: int
    generation: str
    size_bytes: int
    last_commit: datetime | None
