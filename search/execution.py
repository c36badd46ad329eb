"""Running one parsed query against one index snapshot: matches, counts, one page.

The fast path (`search.scorer`) scores every match once; the same scores give
the total, the facet counts (`search.facets`) and, by relevance, the page: the
best documents of those passing the facet selections, one per near-duplicate
story. Queries the scorer does not cover, and the date and views sorts, are
ranked by Whoosh's collectors over the documents that passed instead.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.schema import to_whoosh_date
from search.dedup import DuplicateGroups
from search.facets import FacetCounts, FacetTables, count_facets
from search.hits import hit_from_fields
from search.models import FACET_NAMES, Hit, SearchRequest
from search.query import ParsedQuery
from search.ranking import ranked, recency_model, until_deadline
from search.scorer import Evaluation, QueryScorer, Scores, Unsupported
from search.snippets import TermMatcher, make_snippet

__all__ = ["Outcome", "Snapshot", "count", "execute"]


@dataclass(slots=True)
class Snapshot:
    """What one index generation (or committed update) is searched with."""

    generation: Path
    index: object
    searcher: Searcher
    tables: FacetTables
    groups: DuplicateGroups
    scorer: QueryScorer


@dataclass(slots=True)
class Outcome:
    """One executed query: the total, the page of hits, the facets."""

    total: int
    hits: tuple[Hit, ...]
    facets: dict


@dataclass(slots=True)
class _Matches:
    counts: FacetCounts
    #: The documents passing every selection, in document order.
    passing: list[int]
    #: The evaluated query, to score documents with; None when Whoosh must rank.
    evaluation: Evaluation | None


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


def _past(deadline: float | None) -> Callable[[], bool]:
    return lambda: deadline is not None and time.perf_counter() > deadline


def _matches(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    request: SearchRequest,
    facets: bool,
    deadline: float | None,
) -> _Matches:
    filters = [f for f in (_request_dates(request), parsed.date_filter) if f is not None]
    evaluation: Evaluation | None = None
    try:
        evaluation = snapshot.scorer.evaluate(parsed.query, _past(deadline))
        docs = evaluation.docs
        for date_filter in filters:  # filters narrow the matches, never add to scores
            docs = snapshot.scorer.restrict(docs, date_filter)
        docnums: Sequence[int] = sorted(docs)
    except Unsupported:
        query = _combine(parsed.query, *filters)
        docnums = list(until_deadline(snapshot.searcher.docs_for_query(query), deadline or 1e18))
    passing: list[int] = []
    counts = count_facets(
        snapshot.tables,
        docnums,
        _selected(request),
        FACET_NAMES if facets else (),
        snapshot.groups if request.collapse else None,
        passing,
    )
    return _Matches(counts, passing, evaluation)


def count(snapshot: Snapshot, parsed: ParsedQuery, request: SearchRequest) -> int:
    """How many stories ``parsed`` finds under ``request``'s filters (no facets)."""
    return _matches(snapshot, parsed, request, False, None).counts.total


def _best(
    scores: Scores, candidates: list[int], window: int, group_of: Sequence[int] | None
) -> list[int]:
    """The ``window`` best of ``candidates`` (in document order) by score, ties to the
    lower document number, keeping only the best of each near-duplicate group."""
    if group_of is None:
        return heapq.nlargest(window, candidates, key=scores.__getitem__)
    wanted = window * 2 + 10
    while True:
        top = heapq.nlargest(wanted, candidates, key=scores.__getitem__)
        picked: list[int] = []
        seen: set[int] = set()
        for doc in top:
            group = group_of[doc]
            if group >= 0:
                if group in seen:
                    continue
                seen.add(group)
            picked.append(doc)
            if len(picked) == window:
                return picked
        if len(top) == len(candidates):
            return picked
        wanted *= 4


def _ranked_page(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    request: SearchRequest,
    matches: _Matches,
    now: datetime,
    deadline: float | None,
) -> list[tuple[int, float]]:
    """(document, score) of every hit up to the end of the requested page."""
    window = request.page * request.per_page
    groups = snapshot.groups
    collapse = request.collapse and bool(groups.members)
    if matches.evaluation is not None and request.sort == "relevance":
        scores = matches.evaluation.scores(matches.passing)
        if request.recency:
            model = recency_model(snapshot.tables.days, snapshot.tables.newest_day, now)
            scores = {d: model.final(None, d, score) for d, score in scores.items()}
        best = _best(scores, matches.passing, window, groups.group if collapse else None)
        return [(doc, scores[doc]) for doc in best]
    searcher = snapshot.searcher
    if request.recency and request.sort == "relevance":
        model = recency_model(snapshot.tables.days, snapshot.tables.newest_day, now)
        searcher = Searcher(searcher.reader(), weighting=model, closereader=False)
    results = ranked(
        searcher,
        parsed.query,
        window,
        request.sort,
        allow=set(matches.passing),
        collapse_key=groups.key if collapse else None,
        deadline=deadline,
    )
    return [(hit.docnum, hit.score if isinstance(hit.score, float) else 0.0) for hit in results]


def execute(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    request: SearchRequest,
    now: datetime,
    deadline: float | None = None,
) -> Outcome:
    """Total, facets and the requested page of hits (with snippets) for ``parsed``."""
    matches = _matches(snapshot, parsed, request, request.facets, deadline)
    counts = matches.counts
    if counts.total == 0 or isinstance(parsed.query, type(wq.NullQuery)):
        return Outcome(0, (), counts.facets)
    ranked_docs = _ranked_page(snapshot, parsed, request, matches, now, deadline)
    searcher = snapshot.searcher
    matcher = TermMatcher.from_query(parsed.query)
    analyzer = searcher.schema["body"].analyzer
    start = (request.page - 1) * request.per_page
    hits = []
    for docnum, score in ranked_docs[start : start + request.per_page]:
        fields = searcher.stored_fields(docnum)
        body = fields.get("body", "")
        snippet = make_snippet(body, matcher, analyzer) if request.snippets else ""
        duplicates: tuple[str, ...] = ()
        group = snapshot.groups.group[docnum] if request.collapse else -1
        if group >= 0:
            others = [d for d in counts.members.get(group, ()) if d != docnum]
            duplicates = tuple(searcher.stored_fields(d)["id"] for d in others)
        hits.append(hit_from_fields(fields, score, snippet, duplicates))
    return Outcome(counts.total, tuple(hits), counts.facets)
