"""The Whoosh search backend: `SearchService.search(SearchRequest) -> SearchResponse`.

Used alike by the HTML views, the JSON API and the CLI (see `search.backend`
for the interface a second backend implements). The service only reads: it
follows the index's ``CURRENT`` pointer and refreshes its searcher when a new
generation is published or an update is committed, checking at most every
``refresh_seconds``, so a web worker serves a rebuilt index without a restart.

One search: parse the query (`search.query`), list the matching documents once
(no scoring) and count facets, the total and the near-duplicate groups over
them from per-reader tables (`search.facets`, `search.dedup`), then rank only
the requested window with Whoosh, restricted to the documents that passed.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.searching import Searcher

from corpus.article import Article
from indexer.generations import current_generation
from indexer.schema import to_whoosh_date
from indexer.whoosh_fixes import apply_reader_fixes
from search.dedup import DuplicateGroups
from search.errors import IndexUnavailable
from search.facets import FacetCounts, FacetTables, count_facets
from search.hits import article_from_fields, hit_from_fields, validate
from search.matching import matching_docs
from search.models import FACET_NAMES, Hit, IndexInfo, SearchRequest, SearchResponse
from search.query import ParsedQuery, parse_query
from search.ranking import ranked, recency_model, relevance_model, until_deadline
from search.snippets import TermMatcher, lead_snippet, make_snippet

__all__ = ["SUGGEST_BELOW", "SearchService", "validate"]

#: A query with fewer hits than this gets a "did you mean" check.
SUGGEST_BELOW = 5
#: Key terms of an article used to find related ones.
RELATED_TERMS = 20
#: Seconds one search may spend counting and ranking; past it, the answer holds what
#: was found so far, with ``total_exact`` false and a notice.
TIME_LIMIT_SECONDS = 1.5
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


@dataclass(slots=True)
class _Snapshot:
    generation: Path
    index: object
    searcher: Searcher
    tables: FacetTables
    groups: DuplicateGroups


@dataclass(slots=True)
class _Outcome:
    total: int
    hits: tuple[Hit, ...]
    facets: dict


def _combine(*queries: wq.Query | None) -> wq.Query | None:
    present = [query for query in queries if query is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else wq.And(present)


def _selected(request: SearchRequest) -> dict[str, frozenset[str]]:
    return {
        "tags": frozenset(request.tags),
        "source": frozenset(request.sources),
        "year": frozenset(str(year) for year in request.years),
        "month": frozenset(request.months),
    }


def _request_dates(request: SearchRequest) -> wq.Query | None:
    if request.date_from is None and request.date_to is None:
        return None
    return wq.DateRange("date", to_whoosh_date(request.date_from), to_whoosh_date(request.date_to))


def _like_query(searcher: Searcher, docnum: int) -> wq.Query:
    """ "More like this": the article's key body terms (Bo1) and its title words."""
    key_terms = searcher.key_terms([docnum], "body", numterms=RELATED_TERMS)
    top = max((weight for _, weight in key_terms), default=1.0) or 1.0
    parts: list[wq.Query] = [
        wq.Term("body", term, boost=weight / top) for term, weight in key_terms
    ]
    title = searcher.stored_fields(docnum).get("title", "")
    analyzer = searcher.schema["title"].analyzer
    for stem in dict.fromkeys(token.text for token in analyzer(title)):
        parts.append(wq.Term("title", stem))
        parts.append(wq.Term("body", stem, boost=0.5))
    return wq.Or(parts)


class SearchService:
    """Searches the index at ``index_dir``; safe to share between threads."""

    def __init__(
        self,
        index_dir: str | Path,
        refresh_seconds: float = 2.0,
        time_limit: float = TIME_LIMIT_SECONDS,
    ) -> None:
        apply_reader_fixes()  # index files read in place, not copied per worker
        self.index_dir = Path(index_dir)
        self.refresh_seconds = refresh_seconds
        self.time_limit = time_limit
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        self._checked_at = 0.0

    # -- index lifecycle -------------------------------------------------------

    def _load(self, generation: Path, index: object, searcher: Searcher) -> _Snapshot:
        reader = searcher.reader()
        return _Snapshot(
            generation, index, searcher, FacetTables.load(reader), DuplicateGroups.load(reader)
        )

    def _open(self, generation: Path) -> _Snapshot:
        try:
            ix = whoosh_index.open_dir(str(generation))
            searcher = ix.searcher(weighting=relevance_model())
        except (OSError, whoosh_index.IndexError) as error:
            raise IndexUnavailable(f"cannot open index {generation}: {error}") from error
        return self._load(generation, ix, searcher)

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
                self._snapshot = self._load(generation, snapshot.index, searcher)
            return self._snapshot

    def doc_count(self) -> int:
        """Number of articles in the served index."""
        with self._lock:
            return self._current().searcher.doc_count()

    def index_info(self) -> IndexInfo:
        """Article count, generation folder name, size on disk and last commit time."""
        with self._lock:
            snapshot = self._current()
            docs = snapshot.searcher.doc_count()
        size, newest = 0, 0.0
        for path in snapshot.generation.iterdir():
            try:
                stat = path.stat()
            except FileNotFoundError:  # a merge removed it meanwhile
                continue
            size += stat.st_size
            if path.name.endswith(".toc"):
                newest = max(newest, stat.st_mtime)
        last_commit = datetime.fromtimestamp(newest, UTC) if newest else None
        return IndexInfo(docs, snapshot.generation.name, size, last_commit)

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
            fields = self._current().searcher.document(id=article_id)
        return article_from_fields(fields) if fields else None

    def related(self, article_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Articles most like this one (its key title and body terms), one per story,
        excluding the article itself and its near-duplicates."""
        limit = max(0, min(limit, 50))
        with self._lock:
            snapshot = self._current()
            searcher = snapshot.searcher
            docnum = searcher.document_number(id=article_id)
            if docnum is None or limit == 0:
                return ()
            own_group = snapshot.groups.key(docnum)
            results = ranked(searcher, _like_query(searcher, docnum), limit * 3 + 10, "relevance")
            hits: list[Hit] = []
            seen_groups = {own_group} if own_group else set()
            for hit in results:
                group = snapshot.groups.key(hit.docnum)
                if hit.docnum == docnum or (group and group in seen_groups):
                    continue
                if group:
                    seen_groups.add(group)
                fields = hit.fields()
                hits.append(
                    hit_from_fields(fields, hit.score, lead_snippet(fields.get("body", "")))
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
        return [f"{head} {word}".strip() for _, word in words[: max(0, limit)]]

    # -- searching -------------------------------------------------------------

    def search(self, request: SearchRequest, now: datetime | None = None) -> SearchResponse:
        """Run ``request`` and return one ranked page with facets and snippets.

        ``now`` is the request time relative dates resolve against (default: now).
        """
        validate(request)
        started = time.perf_counter()
        deadline = started + self.time_limit
        now = now or datetime.now(UTC)
        with self._lock:
            snapshot = self._current()
            reader = snapshot.searcher.reader()
            parsed = parse_query(request.q, snapshot.searcher.schema, request.op, now, reader)
            outcome = self._execute(snapshot, parsed, request, now, deadline)
            relaxed = False
            cut = time.perf_counter() > deadline
            if outcome.total == 0 and request.op == "and" and not parsed.is_empty and not cut:
                loose = parse_query(request.q, snapshot.searcher.schema, "or", now, reader)
                if loose.query != parsed.query:
                    loose_outcome = self._execute(snapshot, loose, request, now, deadline)
                    if loose_outcome.total:
                        outcome, parsed, relaxed = loose_outcome, loose, True
            cut = time.perf_counter() > deadline
            suggestion = None
            if outcome.total < SUGGEST_BELOW and not parsed.is_empty and not cut:
                suggestion = self._suggest(snapshot, parsed, request, outcome.total, now)
        notices = list(parsed.notices)
        if relaxed:
            notices.append("no article has all the words; showing articles with any of them")
        if cut:
            notices.append(
                f"the search was stopped after {self.time_limit:g} s: the results and counts "
                "may be incomplete; a narrower query is faster"
            )
        return SearchResponse(
            request=request,
            total=outcome.total,
            took_ms=(time.perf_counter() - started) * 1000,
            hits=outcome.hits,
            facets=outcome.facets,
            suggestion=suggestion,
            relaxed=relaxed,
            notices=tuple(notices),
            total_exact=not cut,
        )

    def _count(
        self,
        snapshot: _Snapshot,
        parsed: ParsedQuery,
        request: SearchRequest,
        facets: bool,
        deadline: float | None = None,
    ) -> tuple[FacetCounts, list[int] | None]:
        """Facets and total over every match (those found before ``deadline``); also
        the passing documents when filtered."""
        dates = _combine(_request_dates(request), parsed.date_filter)
        query = _combine(parsed.query, dates)
        docnums = matching_docs(snapshot.searcher, query)  # set operations when it can
        if docnums is None:
            docnums = snapshot.searcher.docs_for_query(query)
        if deadline is not None:
            docnums = until_deadline(docnums, deadline)
        selected = _selected(request)
        filtered = dates is not None or any(selected.values())
        passing: list[int] | None = [] if filtered else None
        counts = count_facets(
            snapshot.tables,
            docnums,
            selected,
            FACET_NAMES if facets else (),
            snapshot.groups if request.collapse else None,
            passing,
        )
        return counts, passing

    def _execute(
        self,
        snapshot: _Snapshot,
        parsed: ParsedQuery,
        request: SearchRequest,
        now: datetime,
        deadline: float | None = None,
    ) -> _Outcome:
        counts, passing = self._count(snapshot, parsed, request, request.facets, deadline)
        if counts.total == 0 or isinstance(parsed.query, type(wq.NullQuery)):
            return _Outcome(0, (), counts.facets)
        searcher = snapshot.searcher
        if request.recency and request.sort == "relevance":
            model = recency_model(snapshot.tables.days, snapshot.tables.newest_day, now)
            searcher = Searcher(searcher.reader(), weighting=model, closereader=False)
        groups = snapshot.groups
        results = ranked(
            searcher,
            parsed.query,
            request.page * request.per_page,
            request.sort,
            allow=set(passing) if passing is not None else None,
            collapse_key=groups.key if request.collapse and groups.members else None,
            deadline=deadline,
        )
        matcher = TermMatcher.from_query(parsed.query)
        analyzer = searcher.schema["body"].analyzer
        start = (request.page - 1) * request.per_page
        hits = []
        for hit in results[start : start + request.per_page]:
            fields = hit.fields()
            body = fields.get("body", "")
            snippet = make_snippet(body, matcher, analyzer) if request.snippets else ""
            score = hit.score if isinstance(hit.score, float) else 0.0
            duplicates: tuple[str, ...] = ()
            group = groups.group[hit.docnum] if request.collapse else -1
            if group >= 0:
                others = [d for d in counts.members.get(group, ()) if d != hit.docnum]
                duplicates = tuple(searcher.stored_fields(d)["id"] for d in others)
            hits.append(hit_from_fields(fields, score, snippet, duplicates))
        return _Outcome(counts.total, tuple(hits), counts.facets)

    def _suggest(
        self,
        snapshot: _Snapshot,
        parsed: ParsedQuery,
        request: SearchRequest,
        total: int,
        now: datetime,
    ) -> str | None:
        """A corrected query string, only when it finds more than the original (SOLR-2010).

        Each plain word of the query that neither title nor body holds is replaced by
        the closest indexed word (edit distance up to 2); operators, field names and
        words that do occur are kept as typed.
        """
        searcher = snapshot.searcher
        reader = searcher.reader()
        analyzer = searcher.schema["body"].analyzer
        corrector = searcher.corrector("body")
        changed = False
        pieces, cursor = [], 0
        for match in _WORD.finditer(parsed.text):
            word = match[0]
            if word in ("AND", "OR", "NOT") or parsed.text[match.end() : match.end() + 1] == ":":
                continue
            stems = [token.text for token in analyzer(word.lower())]
            if not stems or any(
                reader.doc_frequency(name, stem) for name in ("body", "title") for stem in stems
            ):
                continue
            try:
                candidates = corrector.suggest(word.lower(), limit=1, maxdist=2)
            except Exception:  # noqa: BLE001 - the corrector is optional
                candidates = []
            if candidates:
                pieces += [parsed.text[cursor : match.start()], candidates[0]]
                cursor, changed = match.end(), True
        if not changed:
            return None
        pieces.append(parsed.text[cursor:])
        suggestion = " ".join(" ".join(["".join(pieces), *parsed.date_texts]).split())
        reparsed = parse_query(suggestion, searcher.schema, request.op, now, reader)
        counts, _ = self._count(snapshot, reparsed, request, facets=False)
        return suggestion if counts.total > total else None
