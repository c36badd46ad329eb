"""The Whoosh search backend: `SearchService.search(SearchRequest) -> SearchResponse`.

Used alike by the HTML views, the JSON API and the CLI (see `search.backend`
for the interface a second backend implements). The service only reads: it
follows the index's ``CURRENT`` pointer and refreshes its searcher when a new
generation is published or an update is committed, checking at most every
``refresh_seconds``, so a web worker serves a rebuilt index without a restart.

One search: parse the query (`search.query`), score every match once
(`search.scorer`), count facets, the total and the near-duplicate groups over
the matches from per-reader tables (`search.facets`, `search.dedup`), and take
the requested page from the same scores (`search.execution`).
"""

from __future__ import annotations

import dataclasses
import heapq
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.searching import Searcher

from corpus.article import Article
from indexer.generations import current_generation
from indexer.whoosh_fixes import apply_reader_fixes
from search.assist import SpellingModels, corrected_text, missing_words
from search.completion import complete
from search.correction import Correction
from search.dedup import DuplicateGroups
from search.errors import IndexUnavailable
from search.execution import Snapshot, count, execute
from search.facets import FacetTables
from search.hits import article_from_fields, hit_from_fields, validate
from search.models import Hit, IndexInfo, SearchRequest, SearchResponse
from search.query import parse_query
from search.ranking import relevance_model
from search.scorer import QueryScorer
from search.snippets import lead_snippet

__all__ = ["SUGGEST_BELOW", "SearchService", "validate"]

#: A correction of words the archive has is offered when the query finds fewer than
#: this and the correction more, or when the correction finds `CLEARLY_MORE` times as many.
SUGGEST_BELOW = 5
CLEARLY_MORE = 10
#: Key terms of an article used to find related ones.
RELATED_TERMS = 20
#: Seconds one search may spend counting and ranking; past it, the answer holds what
#: was found so far, with ``total_exact`` false and a notice.
TIME_LIMIT_SECONDS = 1.5


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
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._models = SpellingModels()

    # -- index lifecycle -------------------------------------------------------

    def _load(self, generation: Path, index: object, searcher: Searcher) -> Snapshot:
        reader = searcher.reader()
        tables = FacetTables.load(reader)
        scorer = QueryScorer(reader, relevance_model(), {"date": tables.stamps})
        return Snapshot(generation, index, searcher, tables, DuplicateGroups.load(reader), scorer)

    def _open(self, generation: Path) -> Snapshot:
        try:
            ix = whoosh_index.open_dir(str(generation))
            searcher = ix.searcher(weighting=relevance_model())
        except (OSError, whoosh_index.IndexError) as error:
            raise IndexUnavailable(f"cannot open index {generation}: {error}") from error
        return self._load(generation, ix, searcher)

    def _current(self) -> Snapshot:
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
            scores = snapshot.scorer.scores(_like_query(searcher, docnum))
            best = heapq.nlargest(limit * 3 + 10, sorted(scores), key=scores.__getitem__)
            hits: list[Hit] = []
            seen_groups = {own_group} if own_group else set()
            for other in best:
                group = snapshot.groups.key(other)
                if other == docnum or (group and group in seen_groups):
                    continue
                if group:
                    seen_groups.add(group)
                fields = searcher.stored_fields(other)
                hits.append(
                    hit_from_fields(fields, scores[other], lead_snippet(fields.get("body", "")))
                )
                if len(hits) == limit:
                    break
        return tuple(hits)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Completions of ``prefix`` for autocomplete: its last word completed with the
        words that follow the word before it, then by frequency (`search.completion`).
        A generation without a spelling model completes title words by frequency."""
        if len(prefix) > 200:
            return []
        with self._lock:
            snapshot = self._current()
            model = self._models.get(snapshot.generation)
            if model is not None:
                return complete(model, prefix, max(0, limit))
            reader = snapshot.searcher.reader()
            head, _, last = prefix.lower().rpartition(" ")
            last = last.strip()
            if len(last) < 2:
                return []
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
        A query that finds nothing is replaced by its spelling correction when that is
        confident and finds something (``corrected_query``); then, with all words
        required, by any of its words (``relaxed``, each hit saying which it lacks).
        """
        validate(request)
        started = time.perf_counter()
        deadline = started + self.time_limit
        now = now or datetime.now(UTC)
        with self._lock:
            snapshot = self._current()
            reader = snapshot.searcher.reader()
            schema = snapshot.searcher.schema
            parsed = parse_query(request.q, schema, request.op, now, reader)
            outcome = execute(snapshot, parsed, request, now, deadline)
            typed_total, corrected = outcome.total, None
            correction = None
            if not parsed.is_empty and time.perf_counter() < deadline:
                correction = corrected_text(self._models.get(snapshot.generation), parsed)
            if outcome.total == 0 and correction and correction.confident and request.correct:
                fixed = parse_query(correction.text, schema, request.op, now, reader)
                fixed_outcome = execute(snapshot, fixed, request, now, deadline)
                if fixed_outcome.total:
                    outcome, parsed, corrected = fixed_outcome, fixed, correction.text
            relaxed = False
            cut = time.perf_counter() > deadline
            if outcome.total == 0 and request.op == "and" and not parsed.is_empty and not cut:
                loose = parse_query(request.q, schema, "or", now, reader)
                if loose.query != parsed.query:
                    loose_outcome = execute(snapshot, loose, request, now, deadline)
                    if loose_outcome.total:
                        outcome, parsed, relaxed = loose_outcome, loose, True
            dropped: tuple[str, ...] = ()
            if relaxed:
                hits, dropped = missing_words(snapshot, parsed, outcome.hits, now)
                outcome = dataclasses.replace(outcome, hits=hits)
            cut = time.perf_counter() > deadline
            suggestion = None
            if corrected is None and correction is not None and not cut:
                suggestion = self._suggest(snapshot, correction, request, typed_total, now)
        notices = list(parsed.notices)
        if relaxed:
            without = f" (without: {', '.join(dropped)})" if dropped else ""
            notices.append(
                f"no article has all the words; showing articles with any of them{without}"
            )
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
            corrected_query=corrected,
        )

    def _suggest(
        self,
        snapshot: Snapshot,
        correction: Correction,
        request: SearchRequest,
        typed_total: int,
        now: datetime,
    ) -> str | None:
        """``correction`` as a did-you-mean, when it finds clearly more than the query as
        typed (SOLR-2010): more, when that found fewer than `SUGGEST_BELOW`; at least
        `CLEARLY_MORE` times as many, otherwise. A correction of words the archive does
        not have as written needs only to find something: what the query as typed
        found, it found through other words sharing their stems ("officals" finds
        "office")."""
        reader = snapshot.searcher.reader()
        reparsed = parse_query(correction.text, snapshot.searcher.schema, request.op, now, reader)
        found = count(snapshot, reparsed, request)
        if found == 0:
            return None
        if correction.unattested or found >= CLEARLY_MORE * typed_total:
            return correction.text
        return correction.text if typed_total < SUGGEST_BELOW and found > typed_total else None
