"""Running one parsed query against one index snapshot: matches, counts, one page.

The fast path (`search.whoosh.scorer`) scores every match once; the same scores give
the total, the facet counts (`search.whoosh.facets`) and, by relevance, the page: the
best documents of those passing the facet selections, one per near-duplicate
story. Queries the scorer does not cover, and the date and views sorts, are
ranked by Whoosh's collectors over the documents that passed instead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.whoosh.dedup import DuplicateGroups
from indexer.whoosh.schema import to_whoosh_date
from indexer.whoosh.stored_fields import StoredFields
from search.deadline import Deadline
from search.facet_specs import FACET_NAMES, selections
from search.models import FacetValue, Hit, SearchRequest
from search.snippets import highlight, lead_snippet, make_snippet
from search.whoosh.facets import FacetCounts, FacetTables, count_facets
from search.whoosh.feedback import bo1_terms, expand_scores, feedback_words, query_words
from search.whoosh.highlight import term_matcher
from search.whoosh.hits import hit_from_fields
from search.whoosh.query import ParsedQuery
from search.whoosh.ranking import ranked, recency_model
from search.whoosh.scorer import Evaluation, QueryScorer, Unsupported
from search.whoosh.sorting import COLUMN_SORTS, ordered_positions

__all__ = [
    "Outcome",
    "Snapshot",
    "best_positions",
    "count",
    "execute",
    "listing_order",
    "matching_documents",
    "with_feedback",
]


@dataclass(slots=True)
class Snapshot:
    """What one index generation (or committed update) is searched with."""

    generation: Path
    index: object
    searcher: Searcher
    tables: FacetTables
    groups: DuplicateGroups
    scorer: QueryScorer
    #: Each document's stored fields, by document number (`indexer.whoosh.stored_fields`).
    stored: StoredFields


@dataclass(slots=True)
class Outcome:
    """One executed query: the total, the page of hits, the facets."""

    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetValue, ...]]
    #: Articles matching (``total`` counts a group of near-duplicates once).
    articles: int = 0


@dataclass(slots=True)
class _Matches:
    counts: FacetCounts
    #: The evaluated query, to score documents with; None when Whoosh must rank.
    evaluation: Evaluation | None


def _request_dates(request: SearchRequest) -> wq.Query | None:
    if request.date_from is None and request.date_to is None:
        return None
    return wq.DateRange("date", to_whoosh_date(request.date_from), to_whoosh_date(request.date_to))


def _matches(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    request: SearchRequest,
    facets: bool,
    deadline: Deadline,
) -> _Matches:
    filters = [f for f in (_request_dates(request), parsed.date_filter) if f is not None]
    evaluation: Evaluation | None = None
    try:
        evaluation = snapshot.scorer.evaluate(parsed.query, deadline)
        docs = evaluation.docs
        for date_filter in filters:  # filters narrow the matches, never add to scores
            docs = snapshot.scorer.restrict(docs, date_filter)
    except Unsupported:  # Whoosh matches the words; the date filters compare the column
        found = deadline.until(
            snapshot.searcher.docs_for_query(parsed.query), "matching", every=256
        )
        docs = np.unique(np.fromiter(found, dtype=np.int64))
        for date_filter in filters:
            docs = snapshot.scorer.restrict(docs, date_filter)
    counts = count_facets(
        snapshot.tables,
        docs,
        selections(request),
        FACET_NAMES if facets else (),
        snapshot.groups if request.collapse else None,
        deadline,
    )
    return _Matches(counts, evaluation)


def listing_order(request: SearchRequest, parsed: ParsedQuery) -> SearchRequest:
    """``request`` in the order its hits are listed: without words there is nothing to
    rank by relevance, so a browse lists the newest first."""
    if parsed.is_empty and request.sort == "relevance":
        return dataclasses.replace(request, sort="newest", recency=False)
    return request


def count(
    snapshot: Snapshot, parsed: ParsedQuery, request: SearchRequest, deadline: Deadline
) -> int:
    """How many stories ``parsed`` finds under ``request``'s filters (no facets)."""
    return _matches(snapshot, parsed, request, False, deadline).counts.total


def matching_documents(
    snapshot: Snapshot, parsed: ParsedQuery, request: SearchRequest, deadline: Deadline
) -> tuple[np.ndarray, Evaluation | None]:
    """Every article ``parsed`` finds under ``request``'s dates and facet selections:
    their document numbers, ascending (near-duplicates included), and the evaluation
    to score them with (None when Whoosh's matchers must rank). For whole-result-set
    work: export, timelines, characteristic terms."""
    matches = _matches(snapshot, parsed, request, False, deadline)
    return matches.counts.passing, matches.evaluation


def best_positions(
    docs: np.ndarray,
    scores: np.ndarray,
    window: int,
    groups: np.ndarray | None,
    deadline: Deadline,
) -> list[int]:
    """Positions in ``docs`` (ascending) of the ``window`` best by score, ties to the
    lower document number, keeping only the best of each near-duplicate group
    (``groups``: the group of each document, -1 for none); past ``deadline``, those
    picked so far."""
    wanted = window * 2 + 10 if groups is not None else window
    while True:
        if wanted < len(docs):  # only scores at or above the wanted-th best can place
            threshold = np.partition(scores, len(docs) - wanted)[len(docs) - wanted]
            keep = np.flatnonzero(scores >= threshold)
        else:
            keep = np.arange(len(docs))
        order = keep[np.lexsort((docs[keep], -scores[keep]))]  # score down, then number up
        if groups is None:
            return order[:window].tolist()
        picked: list[int] = []
        seen: set[int] = set()
        pairs = zip(order.tolist(), groups[docs[order]].tolist(), strict=True)
        for count, (position, group) in enumerate(pairs):
            if not count & 1023 and count and deadline.stop_here("ranking"):
                return picked
            if group >= 0:
                if group in seen:
                    continue
                seen.add(group)
            picked.append(position)
            if len(picked) == window:
                return picked
        if len(keep) == len(docs):
            return picked
        wanted *= 4


def with_feedback(
    snapshot: Snapshot,
    query: wq.Query,
    docs: np.ndarray,
    scores: np.ndarray,
    deadline: Deadline,
    evaluation: Evaluation | None = None,
) -> np.ndarray:
    """``scores`` re-ranked by pseudo-relevance feedback (`search.whoosh.feedback`) from the
    best-scored matches, one per near-duplicate story; unchanged when feedback is
    off, the query has fewer than ``feedback_min_words`` words, or the scores do not
    tell the matches apart. ``evaluation``: the query's, whose postings reads serve
    the feedback words too."""
    params = snapshot.scorer.params
    if not (params.feedback_docs and params.feedback_terms and params.feedback_weight):
        return scores
    if len(docs) < 2 or scores.max() == scores.min():
        return scores
    if len(query_words(query)) < params.feedback_min_words:
        return scores
    groups = snapshot.groups.group if snapshot.groups.any_groups else None
    best = docs[best_positions(docs, scores, params.feedback_docs, groups, deadline)]
    texts = []
    for docnum in best.tolist():
        fields = snapshot.stored(docnum)
        texts.append(f"{fields.get('title', '')}\n{fields.get('body', '')}")
    counts, holding = feedback_words(texts, snapshot.searcher.schema["body"].analyzer)
    terms = bo1_terms(snapshot.scorer, counts, holding, params.feedback_terms)
    read = evaluation.term_for if evaluation is not None else None
    return expand_scores(snapshot.scorer, docs, scores, terms, read)


def _ranked_page(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    request: SearchRequest,
    matches: _Matches,
    now: datetime,
    deadline: Deadline,
) -> list[tuple[int, float]]:
    """(document, score) of every hit up to the end of the requested page."""
    window = request.window
    groups = snapshot.groups
    collapse = request.collapse and groups.any_groups
    passing = matches.counts.passing
    if matches.evaluation is not None and request.sort == "relevance":
        scores = matches.evaluation.scores(passing)
        scores = with_feedback(
            snapshot, parsed.query, passing, scores, deadline, matches.evaluation
        )
        if request.recency:
            model = recency_model(
                snapshot.tables.days, snapshot.tables.newest_day, now, snapshot.scorer.params
            )
            scores = scores * model.factors(passing)
        best = best_positions(passing, scores, window, groups.group if collapse else None, deadline)
        return list(zip(passing[best].tolist(), scores[best].tolist(), strict=True))
    if request.sort in COLUMN_SORTS:
        group = groups.group if collapse else None
        listed = ordered_positions(snapshot, passing, request.sort, window, group)
        return [(doc, 0.0) for doc in passing[listed].tolist()]
    searcher = snapshot.searcher
    if request.recency and request.sort == "relevance":
        model = recency_model(
            snapshot.tables.days, snapshot.tables.newest_day, now, snapshot.scorer.params
        )
        searcher = Searcher(searcher.reader(), weighting=model, closereader=False)
    results = ranked(
        searcher,
        parsed.query,
        window,
        request.sort,
        allow=set(passing.tolist()),
        collapse_key=groups.key if collapse else None,
        deadline=deadline,
    )
    return [(hit.docnum, hit.score if isinstance(hit.score, float) else 0.0) for hit in results]


def execute(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    request: SearchRequest,
    now: datetime,
    deadline: Deadline | None = None,
    matching: Deadline | None = None,
) -> Outcome:
    """Total, facets and the requested page of hits (with snippets) for ``parsed``.

    Past ``matching`` (default ``deadline``), matching raises
    `search.errors.SearchTimedOut`; past ``deadline``, phrase checks, Whoosh's ranking
    walk and the snippets stop (lead snippets instead), and the deadline records what
    was cut."""
    deadline = deadline or Deadline.unlimited()
    matches = _matches(snapshot, parsed, request, request.facets, matching or deadline)
    counts = matches.counts
    if counts.total == 0 or isinstance(parsed.query, type(wq.NullQuery)):
        return Outcome(0, (), counts.facets, 0)
    ranked_docs = _ranked_page(snapshot, parsed, request, matches, now, deadline)
    searcher = snapshot.searcher
    matcher = term_matcher(parsed.query)
    title_matcher = term_matcher(parsed.query, "title")
    analyzer = searcher.schema["body"].analyzer
    start = request.first
    hits = []
    for docnum, score in ranked_docs[start : start + request.per_page]:
        fields = snapshot.stored(docnum)
        body = fields.get("body", "")
        if not request.snippets:
            snippet = ""
        elif deadline.stop_here("snippets"):
            snippet = lead_snippet(body)
        else:
            snippet = make_snippet(body, matcher, analyzer, deadline)
        duplicates: tuple[str, ...] = ()
        group = int(snapshot.groups.group[docnum]) if request.collapse else -1
        if group >= 0:
            others = [d for d in counts.members(group) if d != docnum]
            duplicates = tuple(snapshot.stored(d)["id"] for d in others)
        title_html = ""
        if request.snippets:
            title_html = highlight(fields.get("title", ""), title_matcher, analyzer)
        hits.append(hit_from_fields(fields, score, snippet, duplicates, title_html))
    return Outcome(counts.total, tuple(hits), counts.facets, len(counts.passing))
