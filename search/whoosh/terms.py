"""Characteristic terms of a Whoosh search (`search.terms` has the method).

The sample is the ``sample`` best matches by relevance, one per group of
near-duplicates when the search collapses them (when the query is one Whoosh's own
matchers must rank, the first matches in index order).
Their stored title and body are analysed with the index's own analyzer; a word's
background count is its document frequency in the body field, read from the term
index (at least its sample count: a word of titles only is counted there); a
phrase's is the number of articles holding both words, from the vectorised
scorer's matching (bounded by the search's deadline: past it, the phrases not yet
counted are left out).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime

import numpy as np
from whoosh import query as wq

from indexer.analysis import analysis_parts
from search.deadline import Deadline
from search.errors import SearchTimedOut
from search.models import SearchRequest
from search.terms import DEFAULT_LIMIT, DEFAULT_SAMPLE, SampleCounts, SignificantTerms
from search.terms import significant_terms as rank_terms
from search.whoosh.execution import Snapshot, best_positions, matching_documents
from search.whoosh.query import parse_query

__all__ = ["significant_terms"]

#: Share of the time limit that wildcard expansion may take.
EXPANSION_SHARE = 0.25
#: Body document frequencies remembered for the served snapshot (a word's count cannot
#: change within one generation and commit; looking 400 words up took a third of a
#: request), at most this many words.
CACHED_FREQUENCIES = 200_000
_frequencies: dict[tuple[str, int], dict[bytes, int]] = {}
_frequencies_lock = threading.Lock()


def _body_frequencies(snapshot: Snapshot) -> dict[bytes, int]:
    """The frequencies remembered for ``snapshot`` (those of any other are dropped: a
    worker serves one snapshot at a time)."""
    key = (str(snapshot.generation), int(snapshot.searcher.reader().generation()))
    with _frequencies_lock:
        found = _frequencies.get(key)
        if found is None:
            _frequencies.clear()
            found = _frequencies[key] = {}
        return found


def _sample(
    snapshot: Snapshot,
    docs: np.ndarray,
    scores: np.ndarray | None,
    size: int,
    collapse: bool,
    deadline: Deadline,
) -> list[int]:
    """The ``size`` best of ``docs`` by ``scores`` (ties to the lower number); with
    ``collapse``, one article per group of near-duplicates, so that copies of one
    story do not fill the sample and inflate its counts."""
    groups = snapshot.groups.group if collapse and snapshot.groups.any_groups else None
    ranking = scores if scores is not None else np.zeros(len(docs))
    return [int(docs[i]) for i in best_positions(docs, ranking, size, groups, deadline)]


def significant_terms(
    snapshot: Snapshot,
    request: SearchRequest,
    now: datetime,
    deadline: Deadline,
    limit: int = DEFAULT_LIMIT,
    sample: int = DEFAULT_SAMPLE,
) -> SignificantTerms:
    """The words and phrases that characterise ``request``'s best matches."""
    searcher = snapshot.searcher
    reader = searcher.reader()
    schema = searcher.schema
    parsed = parse_query(request.q, schema, request.op, now, reader, deadline.part(EXPANSION_SHARE))
    parts = analysis_parts(schema["body"].analyzer)
    if parts is None:  # an index whose analyzer cannot be taken apart: nothing to show
        return SignificantTerms(request.q, 0, 0, (), parsed.notices)
    docs, evaluation = matching_documents(snapshot, parsed, request, deadline)
    scores = evaluation.scores(docs) if evaluation is not None else None
    counts = SampleCounts(parts)
    for doc in _sample(snapshot, docs, scores, sample, request.collapse, deadline):
        fields = snapshot.stored(doc)
        # The full stop between title and body is a clause mark: no phrase spans them.
        counts.add(f"{fields.get('title', '')}\n.\n{fields.get('body', '')}")
    excluded = set(parts.index_stems(parts.words(request.q)))

    known = _body_frequencies(snapshot)

    def word_background(stems: list[bytes]) -> Mapping[bytes, int]:
        missing = [stem for stem in stems if stem not in known]
        if len(known) + len(missing) > CACHED_FREQUENCIES:
            known.clear()
        for stem in missing:
            known[stem] = reader.doc_frequency("body", stem)
        return {stem: known[stem] for stem in stems}

    def pair_background(pairs: list[tuple[bytes, bytes]]) -> Mapping[tuple[bytes, bytes], int]:
        found: dict[tuple[bytes, bytes], int] = {}
        for first, second in pairs:
            if deadline.stop_here("phrases"):
                break
            both = wq.And([wq.Term("body", first.decode()), wq.Term("body", second.decode())])
            try:
                found[(first, second)] = len(snapshot.scorer.evaluate(both, deadline).docs)
            except SearchTimedOut:
                break
        return found

    return rank_terms(
        counts,
        request.q,
        len(docs),
        excluded,
        word_background,
        pair_background,
        reader.doc_count(),
        limit,
        parsed.notices,
    )
