"""The one search entry point: `SearchService.search(SearchRequest) -> SearchResponse`.

Used alike by the HTML views, the JSON API and the CLI. The service only reads:
it follows the index's ``CURRENT`` pointer and refreshes its searcher when a new
generation is published or an update is committed, checking at most every
``refresh_seconds``, so a web worker serves a rebuilt index without a restart.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import sorting
from whoosh.searching import Searcher

from corpus.article import Article
from indexer.generations import current_generation
from indexer.schema import from_whoosh_date, to_whoosh_date
from search.errors import IndexUnavailable, InvalidParameter
from search.facets import FacetTables, count_facets
from search.models import (
    FACET_NAMES,
    MAX_PER_PAGE,
    MAX_WINDOW,
    OPERATORS,
    SORTS,
    Hit,
    SearchRequest,
    SearchResponse,
)
from search.query import parse_query
from search.snippets import TermMatcher, lead_snippet, make_snippet

#: A query with fewer hits than this gets a "did you mean" check.
SUGGEST_BELOW = 5


@dataclass(slots=True)
class _Snapshot:
    generation: Path
    index: Any
    searcher: Searcher
    tables: FacetTables


def validate(request: SearchRequest) -> None:
    """Raise `InvalidParameter` naming the first parameter out of range."""
    if request.page < 1:
        raise InvalidParameter("page", "page must be 1 or more")
    if not 1 <= request.per_page <= MAX_PER_PAGE:
        raise InvalidParameter("per_page", f"per_page must be between 1 and {MAX_PER_PAGE}")
    if request.page * request.per_page > MAX_WINDOW:
        raise InvalidParameter(
            "page", f"results are reachable up to number {MAX_WINDOW}; narrow the query"
        )
    if request.sort not in SORTS:
        raise InvalidParameter("sort", f"sort must be one of {', '.join(SORTS)}")
    if request.op not in OPERATORS:
        raise InvalidParameter("op", f"op must be one of {', '.join(OPERATORS)}")
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise InvalidParameter("from", "from must not be after to", code="invalid_date")


def _sort_facet(sort: str) -> sorting.FacetType | None:
    tie_break = sorting.FieldFacet("id")
    dated_first = sorting.FieldFacet("dated", reverse=True)
    if sort == "newest":
        return sorting.MultiFacet(
            [dated_first, sorting.FieldFacet("date", reverse=True), tie_break]
        )
    if sort == "oldest":
        return sorting.MultiFacet([dated_first, sorting.FieldFacet("date"), tie_break])
    if sort == "views":
        return sorting.MultiFacet([sorting.FieldFacet("views", reverse=True), tie_break])
    return None


def _date_filter(request: SearchRequest) -> wq.Query | None:
    if request.date_from is None and request.date_to is None:
        return None
    return wq.DateRange("date", to_whoosh_date(request.date_from), to_whoosh_date(request.date_to))


def _selection_filter(request: SearchRequest) -> wq.Query | None:
    parts: list[wq.Query] = []
    if request.tags:
        parts.append(wq.Or([wq.Term("tag_exact", tag) for tag in request.tags]))
    if request.sources:
        parts.append(wq.Or([wq.Term("source_exact", source) for source in request.sources]))
    if request.years:
        parts.append(
            wq.Or(
                [
                    wq.DateRange("date", datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59))
                    for year in request.years
                ]
            )
        )
    return wq.And(parts) if parts else None


def _known_views(value: int | None) -> int | None:
    return value if value is not None and value >= 0 else None


def _hit_from_fields(fields: dict[str, Any], score: float, snippet: str) -> Hit:
    return Hit(
        id=fields["id"],
        title=fields.get("title", ""),
        url=fields.get("url", ""),
        date=from_whoosh_date(fields.get("date")),
        source=fields.get("source_exact", ""),
        author=fields.get("author", ""),
        tags=tuple(fields.get("tag_list") or ()),
        views=_known_views(fields.get("views")),
        score=score,
        snippet=snippet,
    )


def _article_from_fields(fields: dict[str, Any]) -> Article:
    return Article(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body", ""),
        date=from_whoosh_date(fields.get("date")),
        tags=tuple(fields.get("tag_list") or ()),
        source=fields.get("source_exact", ""),
        url=fields.get("url", ""),
        author=fields.get("author", ""),
        views=_known_views(fields.get("views")),
        origin=fields.get("origin", ""),
        language=fields.get("language", ""),
    )


def _combine(*queries: wq.Query | None) -> wq.Query | None:
    present = [query for query in queries if query is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else wq.And(present)


class SearchService:
    """Searches the index at ``index_dir``; safe to share between threads."""

    def __init__(self, index_dir: str | Path, refresh_seconds: float = 2.0) -> None:
        self.index_dir = Path(index_dir)
        self.refresh_seconds = refresh_seconds
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        self._checked_at = 0.0

    # -- index lifecycle -------------------------------------------------------

    def _open(self, generation: Path) -> _Snapshot:
        try:
            ix = whoosh_index.open_dir(str(generation))
            searcher = ix.searcher()
        except (OSError, whoosh_index.IndexError) as error:
            raise IndexUnavailable(f"cannot open index {generation}: {error}") from error
        return _Snapshot(generation, ix, searcher, FacetTables.load(searcher.reader()))

    def _current(self) -> _Snapshot:
        with self._lock:
            now = time.monotonic()
            snapshot = self._snapshot
            if snapshot is not None and now - self._checked_at < self.refresh_seconds:
                return snapshot
            self._checked_at = now
            generation = current_generation(self.index_dir)
            if generation is None:
                if snapshot is not None:
                    return snapshot
                raise IndexUnavailable(
                    f"no index at {self.index_dir}; build one with "
                    f"`python -m indexer build PATH --index {self.index_dir}`"
                )
            if snapshot is None or snapshot.generation != generation:
                self._snapshot = self._open(generation)
                if snapshot is not None:
                    snapshot.searcher.close()
            elif not snapshot.searcher.up_to_date():
                searcher = snapshot.searcher.refresh()
                self._snapshot = _Snapshot(
                    generation, snapshot.index, searcher, FacetTables.load(searcher.reader())
                )
            return self._snapshot

    def doc_count(self) -> int:
        """Number of articles in the served index."""
        with self._lock:
            return self._current().searcher.doc_count()

    def close(self) -> None:
        """Release the open searcher."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.searcher.close()
                self._snapshot = None

    # -- single articles -------------------------------------------------------

    def get_article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        with self._lock:
            searcher = self._current().searcher
            fields = searcher.document(id=article_id)
        return _article_from_fields(fields) if fields else None

    def related(self, article_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Articles most like this one (by its key body terms), excluding itself and
        exact-text duplicates."""
        with self._lock:
            searcher = self._current().searcher
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                return ()
            own_body = " ".join(searcher.stored_fields(docnum).get("body", "").split())
            results = searcher.more_like(docnum, "body", top=limit + 5, normalize=True)
            hits = []
            for hit in results:
                fields = hit.fields()
                if " ".join(fields.get("body", "").split()) == own_body:
                    continue
                hits.append(
                    _hit_from_fields(fields, hit.score, lead_snippet(fields.get("body", "")))
                )
                if len(hits) == limit:
                    break
        return tuple(hits)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Title words starting with the last word of ``prefix``, most frequent first,
        completed onto the rest of ``prefix`` (for autocomplete)."""
        head, _, last = prefix.lower().rpartition(" ")
        last = last.strip()
        if len(last) < 2 or len(prefix) > 200:
            return []
        with self._lock:
            reader = self._current().searcher.reader()
            words = []
            for term in reader.expand_prefix("title_words", last):
                word = term.decode("utf-8") if isinstance(term, bytes) else term
                words.append((reader.doc_frequency("title_words", word), word))
                if len(words) >= 500:
                    break
        words.sort(key=lambda item: (-item[0], item[1]))
        return [f"{head} {word}".strip() for _, word in words[:limit]]

    # -- searching -------------------------------------------------------------

    def search(self, request: SearchRequest, now: datetime | None = None) -> SearchResponse:
        """Run ``request`` and return one ranked page with facets and snippets."""
        validate(request)
        started = time.perf_counter()
        now = now or datetime.now(UTC)
        with self._lock:
            snapshot = self._current()
            searcher = snapshot.searcher
            parsed = parse_query(request.q, searcher.schema, request.op, now)
            relaxed = False
            results = self._run(searcher, parsed.query, request)
            if results.is_empty() and request.op == "and" and not parsed.is_empty:
                relaxed_query = parse_query(request.q, searcher.schema, "or", now).query
                if relaxed_query != parsed.query:
                    relaxed_results = self._run(searcher, relaxed_query, request)
                    if not relaxed_results.is_empty():
                        results, relaxed = relaxed_results, True
                        parsed = parse_query(request.q, searcher.schema, "or", now)
            total = len(results)
            hits = self._hits(searcher, results, request, TermMatcher.from_query(parsed.query))
            facets = {}
            if request.facets:
                facets = self._facets(snapshot, parsed.query, request)
            suggestion = None
            if total < SUGGEST_BELOW and not parsed.is_empty:
                suggestion = self._suggest(searcher, parsed.query, request, total)
        notices = list(parsed.notices)
        if relaxed:
            notices.append("no article has all the words; showing articles with any of them")
        return SearchResponse(
            request=request,
            total=total,
            took_ms=(time.perf_counter() - started) * 1000,
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            relaxed=relaxed,
            notices=tuple(notices),
        )

    def _run(self, searcher: Searcher, query: wq.Query, request: SearchRequest):  # noqa: ANN202
        return searcher.search(
            query,
            filter=_combine(_date_filter(request), _selection_filter(request)),
            limit=request.page * request.per_page,
            sortedby=_sort_facet(request.sort),
        )

    def _hits(
        self,
        searcher: Searcher,
        results,
        request: SearchRequest,
        matcher: TermMatcher,  # noqa: ANN001
    ) -> tuple[Hit, ...]:
        analyzer = searcher.schema["body"].analyzer
        start = (request.page - 1) * request.per_page
        hits = []
        for hit in results[start : start + request.per_page]:
            fields = hit.fields()
            body = fields.get("body", "")
            snippet = make_snippet(body, matcher, analyzer) if request.snippets else ""
            score = hit.score if isinstance(hit.score, float) else 0.0
            hits.append(_hit_from_fields(fields, score, snippet))
        return tuple(hits)

    def _facets(self, snapshot: _Snapshot, query: wq.Query, request: SearchRequest):  # noqa: ANN202
        base = _combine(query, _date_filter(request))
        docnums = snapshot.searcher.docs_for_query(base)
        selected = {
            "tags": frozenset(request.tags),
            "source": frozenset(request.sources),
            "year": frozenset(str(year) for year in request.years),
        }
        facets, _ = count_facets(snapshot.tables, docnums, selected, FACET_NAMES)
        return facets

    def _suggest(
        self, searcher: Searcher, query: wq.Query, request: SearchRequest, total: int
    ) -> str | None:
        """A corrected query string, only when it finds more than the original (SOLR-2010)."""
        try:
            corrected = searcher.correct_query(query, request.q)
        except Exception:  # noqa: BLE001 - the corrector is optional; a failure means no suggestion
            return None
        if not corrected.string or corrected.string.strip() == request.q.strip():
            return None
        # The corrector returns unstemmed words: parse its text again to count it.
        reparsed = parse_query(corrected.string, searcher.schema, request.op).query
        count = len(
            searcher.search(
                reparsed,
                filter=_combine(_date_filter(request), _selection_filter(request)),
                limit=1,
            )
        )
        return corrected.string if count > total else None
