"""The Whoosh search backend: `SearchService.search(SearchRequest) -> SearchResponse`.

Used alike by the HTML views, the JSON API and the CLI (see `search.backends`
for the interface a second backend implements). The service only reads, through
`search.whoosh.served.ServedIndex`: it follows the index's ``CURRENT`` pointer and
refreshes its searcher when a new generation is published or an update is
committed, checking at most every ``refresh_seconds`` (and at once when its
generation was removed), so a web worker serves a rebuilt index without a restart.

One search: parse the query (`search.whoosh.query`), score every match once
(`search.whoosh.scorer`), count facets, the total and the near-duplicate groups over
the matches from per-reader tables (`search.whoosh.facets`, `indexer.whoosh.dedup`), and take
the requested page from the same scores (`search.whoosh.execution`); all of it within
the time limit (`search.deadline`).
"""

from __future__ import annotations

import dataclasses
import html
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from corpus.article import Article
from search.completion import complete
from search.correction import Correction
from search.deadline import Deadline
from search.errors import SearchTimedOut
from search.export import ArticleStream
from search.models import SORTS, Hit, IndexInfo, QueryDate, SearchRequest, SearchResponse
from search.notices import relaxed_notice
from search.parameters import validate
from search.relevance import DEFAULT_RANKING, RankingParams
from search.snippets import highlight
from search.terms import SignificantTerms, TermsRequest
from search.timeline import Timeline
from search.whoosh.assist import SpellingModels, corrected_text, missing_words
from search.whoosh.execution import Snapshot, count, execute, listing_order
from search.whoosh.export import export_articles, export_order
from search.whoosh.highlight import term_matcher
from search.whoosh.hits import article_from_fields
from search.whoosh.query import ParsedQuery, parse_query
from search.whoosh.related import related_articles
from search.whoosh.served import ServedIndex
from search.whoosh.terms import significant_terms as whoosh_terms
from search.whoosh.timeline import timeline as whoosh_timeline

__all__ = ["SUGGEST_BELOW", "SearchService", "validate"]

#: A correction of words the archive has is offered when the query finds fewer than
#: this and the correction more, or when the correction finds `CLEARLY_MORE` times as many.
SUGGEST_BELOW = 5
CLEARLY_MORE = 10
#: Seconds one search (or article page, or autocomplete) may compute; past it, the
#: answer holds what was found so far, with ``total_exact`` false and a notice, or is
#: a 503 when nothing useful was found (`search.deadline`).
TIME_LIMIT_SECONDS = 1.5
#: Share of the time limit that wildcard expansion may take (matching needs the rest).
EXPANSION_SHARE = 0.5
#: Share of the time limit that matching the query gets even when parsing used the
#: limit up (a parse of 1,000 characters takes up to a few tenths of a second, more on
#: a loaded machine): so a search answers within about 1.5 times the limit.
MATCHING_SHARE = 0.5


def _meaningful_sorts(parsed: ParsedQuery, views_known: bool) -> tuple[str, ...]:
    """The orders worth offering: relevance needs words, views needs a view count."""
    return tuple(
        sort
        for sort in SORTS
        if not (sort == "relevance" and parsed.is_empty)
        and not (sort == "views" and not views_known)
    )


def _query_dates(text: str, parsed: ParsedQuery) -> tuple[QueryDate, ...]:
    """The date expressions of the query as typed, resolved, each with the query
    text that remains without it."""
    return tuple(
        QueryDate(
            bound.text,
            bound.start,
            bound.end,
            bound.negated,
            " ".join(text.replace(bound.text, " ", 1).split()),
        )
        for bound in parsed.dates
    )


def _version(snapshot: Snapshot) -> str:
    """The snapshot's token: generation folder and commit."""
    return f"{snapshot.generation.name}.{snapshot.searcher.reader().generation()}"


class SearchService:
    """Searches the index at ``index_dir``; safe to share between threads.

    Every public method runs within ``time_limit`` seconds of computing (a
    `search.deadline.Deadline` started when its work starts, after waiting for the
    lock) and reads through `search.whoosh.served.ServedIndex` (a removed generation is
    left for the current one; damaged data is `search.errors.IndexDamaged`).
    ``clock`` is the deadlines' time source.
    """

    def __init__(
        self,
        index_dir: str | Path,
        refresh_seconds: float = 2.0,
        time_limit: float = TIME_LIMIT_SECONDS,
        clock: Callable[[], float] = time.perf_counter,
        ranking: RankingParams = DEFAULT_RANKING,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.time_limit = time_limit
        self.clock = clock
        #: The relevance parameters (evaluation and tuning pass others).
        self.ranking = ranking
        self.served = ServedIndex(self.index_dir, refresh_seconds, ranking)
        self._models = SpellingModels()

    def deadline(self) -> Deadline:
        """A new deadline, ``time_limit`` seconds from now."""
        return Deadline(self.time_limit, self.clock)

    # -- index lifecycle -------------------------------------------------------

    def doc_count(self) -> int:
        """Number of articles in the served index."""
        return self.served.read(lambda snapshot: snapshot.searcher.doc_count())

    def index_info(self) -> IndexInfo:
        """Article count, generation folder name, size on disk and last commit time."""

        def info(snapshot: Snapshot) -> IndexInfo:
            size, newest = 0, 0.0
            for path in snapshot.generation.iterdir():  # gone: ServedIndex moves on
                try:
                    stat = path.stat()
                except FileNotFoundError:  # a merge removed it meanwhile
                    continue
                size += stat.st_size
                if path.name.endswith(".toc"):
                    newest = max(newest, stat.st_mtime)
            last_commit = datetime.fromtimestamp(newest, UTC) if newest else None
            docs = snapshot.searcher.doc_count()
            return IndexInfo(docs, snapshot.generation.name, size, last_commit)

        return self.served.read(info)

    def close(self) -> None:
        """Release the open searcher."""
        self.served.close()

    # -- single articles -------------------------------------------------------

    def get_article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        fields = self.served.read(lambda snapshot: snapshot.searcher.document(id=article_id))
        return article_from_fields(fields) if fields else None

    def related(self, article_id: str, limit: int = 5) -> tuple[Hit, ...]:
        """Articles most like this one (its key title and body terms), one per story,
        excluding the article itself and its near-duplicates. Past the time limit,
        none (they are an extra of the article page)."""
        limit = max(0, min(limit, 50))

        return self.served.read(
            lambda snapshot: related_articles(snapshot, article_id, limit, self.deadline())
        )

    def highlight(self, texts: tuple[str, ...], q: str) -> tuple[str, ...]:
        """``texts`` (an article's title, then its paragraphs) as safe HTML with what the
        query ``q`` matches in ``<mark>``, as in snippets: the title by what ``q``
        matches in ``title``, the paragraphs by what it matches in ``body``."""
        if not q.strip():
            return tuple(html.escape(text, quote=False) for text in texts)

        def mark(snapshot: Snapshot) -> tuple[str, ...]:
            schema = snapshot.searcher.schema
            parsed = parse_query(q, schema, "and", None, None, self.deadline().part(0.5))
            matchers = [term_matcher(parsed.query, field) for field in ("title", "body")]
            analyzer = schema["body"].analyzer
            return tuple(
                highlight(text, matchers[min(1, number)], analyzer)
                for number, text in enumerate(texts)
            )

        return self.served.read(mark)

    def version(self) -> str:
        """A token that changes whenever what is served changes (generation or commit),
        for HTTP validators (ETag)."""

        return self.served.read(_version)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Completions of ``prefix`` for autocomplete: its last word completed with the
        words that follow the word before it, then by frequency (`search.completion`).
        A generation without a spelling model completes title words by frequency,
        what was found within the time limit."""
        if len(prefix) > 200:
            return []
        head, _, last = prefix.lower().rpartition(" ")
        last = last.strip()

        def find(snapshot: Snapshot) -> list[str]:
            deadline = self.deadline()
            model = self._models.get(snapshot.generation)
            if deadline.stop_here("suggest"):
                return []
            if model is not None:  # bounded: binary searches and one slice of pairs
                return complete(model, prefix, max(0, limit))
            if len(last) < 2:
                return []
            reader = snapshot.searcher.reader()
            words = []
            for term in deadline.until(reader.expand_prefix("title_words", last), "suggest"):
                word = term.decode("utf-8") if isinstance(term, bytes) else term
                words.append((reader.doc_frequency("title_words", word), word))
                if len(words) >= 500:
                    break
            words.sort(key=lambda item: (-item[0], item[1]))
            return [f"{head} {word}".strip() for _, word in words[: max(0, limit)]]

        return self.served.read(find)

    def timeline(
        self, request: SearchRequest, interval: str | None = None, now: datetime | None = None
    ) -> Timeline:
        """``request``'s matches per period (`search.whoosh.timeline`)."""
        validate(request)
        moment = now or datetime.now(UTC)
        return self.served.read(
            lambda snapshot: whoosh_timeline(snapshot, request, interval, moment, self.deadline())
        )

    def terms(self, asked: TermsRequest, now: datetime | None = None) -> SignificantTerms:
        """The characteristic terms of ``asked``'s best matches (`search.whoosh.terms`)."""
        validate(asked.search)
        moment, deadline = now or datetime.now(UTC), self.deadline()
        return self.served.read(
            lambda snap: whoosh_terms(
                snap, asked.search, moment, deadline, asked.limit, asked.sample
            )
        )

    def export(self, request: SearchRequest, now: datetime | None = None) -> ArticleStream:
        """Every article ``request`` matches, in its order, read lazily from a snapshot
        pinned until the stream is closed (`search.whoosh.export`)."""
        validate(request)
        moment = now or datetime.now(UTC)

        def order(snapshot: Snapshot) -> tuple[Snapshot, np.ndarray]:
            docs = export_order(snapshot, request, moment)
            self.served.pin(snapshot)
            return snapshot, docs

        snapshot, docs = self.served.read(order)
        articles = export_articles(self.served, snapshot, docs)
        return ArticleStream(len(docs), articles, lambda: self.served.unpin(snapshot))

    # -- searching -------------------------------------------------------------

    def search(self, request: SearchRequest, now: datetime | None = None) -> SearchResponse:
        """Run ``request`` and return one ranked page with facets and snippets.

        ``now`` is the request time relative dates resolve against (default: now).
        A query that finds nothing is replaced by its spelling correction when that is
        confident and finds something (``corrected_query``); then, with all words
        required, by any of its words (``relaxed``, each hit saying which it lacks).
        Past the time limit the answer holds what was found (``total_exact`` false
        when the results or counts are affected, and a notice), or, when matching
        itself did not finish, `search.errors.SearchTimedOut` is raised.
        """
        validate(request)
        started = time.perf_counter()
        now = now or datetime.now(UTC)

        def run(snapshot: Snapshot) -> SearchResponse:
            deadline = self.deadline()
            reader = snapshot.searcher.reader()
            schema = snapshot.searcher.schema
            expansion = deadline.part(EXPANSION_SHARE)
            parsed = parse_query(request.q, schema, request.op, now, reader, expansion)
            typed = parsed
            ordered = listing_order(request, parsed)
            matching = deadline.at_least(MATCHING_SHARE)
            outcome = execute(snapshot, parsed, ordered, now, deadline, matching)
            typed_total, corrected, correction = outcome.total, None, None
            if not parsed.is_empty and not deadline.stop_here("did-you-mean"):
                correction = corrected_text(self._models.get(snapshot.generation), parsed)
            if outcome.total == 0 and correction and correction.confident and request.correct:
                fixed = parse_query(correction.text, schema, request.op, now, reader, deadline)
                try:
                    fixed_outcome = execute(snapshot, fixed, ordered, now, deadline)
                except SearchTimedOut:
                    deadline.cut("corrected search")
                else:
                    if fixed_outcome.total:
                        outcome, parsed, corrected = fixed_outcome, fixed, correction.text
            relaxed = False
            if outcome.total == 0 and request.op == "and" and not parsed.is_empty:
                loose = parse_query(request.q, schema, "or", now, reader, deadline.part(0.5))
                if loose.query != parsed.query and not deadline.stop_here("relaxed search"):
                    try:
                        loose_outcome = execute(snapshot, loose, ordered, now, deadline)
                    except SearchTimedOut:
                        deadline.cut("relaxed search")
                    else:
                        if loose_outcome.total:
                            outcome, parsed, relaxed = loose_outcome, loose, True
            dropped: tuple[str, ...] = ()
            if relaxed and not deadline.stop_here("missing words"):
                hits, dropped = missing_words(snapshot, parsed, outcome.hits, now, deadline)
                outcome = dataclasses.replace(outcome, hits=hits)
            suggestion = None
            if corrected is None and correction is not None:
                if not deadline.stop_here("did-you-mean"):
                    suggestion = self._suggest(
                        snapshot, correction, request, typed_total, now, deadline
                    )
            notices = list(parsed.notices)
            if relaxed:
                notices.append(relaxed_notice(dropped))
            if deadline.stopped:
                notices.append(
                    f"The search was stopped after {self.time_limit:g} s "
                    f"({', '.join(deadline.stopped)} cut short): "
                    + ("the results and counts may be incomplete; " if deadline.results_cut else "")
                    + "a narrower search is faster."
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
                total_exact=not deadline.results_cut,
                corrected_query=corrected,
                sort=ordered.sort,
                articles=outcome.articles if outcome.articles != outcome.total else None,
                sorts=_meaningful_sorts(typed, snapshot.tables.views_known),
                newest_date=snapshot.tables.newest_date,
                oldest_date=snapshot.tables.oldest_date,
                query_dates=_query_dates(request.q, typed),
                version=_version(snapshot),
            )

        return self.served.read(run)

    def _suggest(
        self,
        snapshot: Snapshot,
        correction: Correction,
        request: SearchRequest,
        typed_total: int,
        now: datetime,
        deadline: Deadline,
    ) -> str | None:
        """``correction`` as a did-you-mean, when it finds clearly more than the query as
        typed (SOLR-2010): more, when that found fewer than `SUGGEST_BELOW`; at least
        `CLEARLY_MORE` times as many, otherwise. A correction of words the archive does
        not have as written needs only to find something: what the query as typed
        found, it found through other words sharing their stems ("officals" finds
        "office"). Within ``deadline``."""
        reader = snapshot.searcher.reader()
        schema = snapshot.searcher.schema
        reparsed = parse_query(correction.text, schema, request.op, now, reader, deadline)
        try:
            found = count(snapshot, reparsed, request, deadline)
        except SearchTimedOut:
            deadline.cut("did-you-mean")
            return None
        if found == 0:
            return None
        if correction.unattested or found >= CLEARLY_MORE * typed_total:
            return correction.text
        return correction.text if typed_total < SUGGEST_BELOW and found > typed_total else None
