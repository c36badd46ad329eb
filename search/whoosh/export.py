"""The Whoosh export: every match of a request, in the search's order, read in chunks.

`export_order` ranks the whole match set as a search ranks a page
(`search.whoosh.execution`), with arrays instead of a window: relevance by the same
BM25F scores (pseudo-relevance feedback and the recency boost included), ties to the
lower document number; ``newest``, ``oldest`` and ``views`` as pages are
(`search.whoosh.sorting`). Queries the fast scorer does not
cover are ranked by Whoosh's collector, as their pages are. With ``collapse``, the
first article of each near-duplicate story in that order (the one a search shows).

`export_articles` then reads the stored fields of the ordered documents a chunk at a
time from a pinned snapshot (`search.whoosh.served.ServedIndex.pin`), taking the
served lock only per chunk, so searches go on between chunks and memory holds one
chunk and the document numbers (8 bytes per match).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from corpus.article import Article
from search.deadline import Deadline
from search.models import SearchRequest
from search.whoosh.execution import Snapshot, listing_order, matching_documents, with_feedback
from search.whoosh.hits import article_from_fields
from search.whoosh.query import parse_query
from search.whoosh.ranking import RecencyBM25F, ranked, recency_model
from search.whoosh.served import ServedIndex
from search.whoosh.sorting import COLUMN_SORTS, first_of_each_group, ordered_positions

__all__ = ["export_articles", "export_order"]

#: Articles read under the served lock at a time.
CHUNK = 256
_NONE = np.zeros(0, dtype=np.int64)


def export_order(snapshot: Snapshot, request: SearchRequest, now: datetime) -> np.ndarray:
    """The document numbers of every article ``request`` matches (its query as typed,
    its filters), in the order its search lists them; one per story with ``collapse``."""
    deadline = Deadline.unlimited()
    searcher = snapshot.searcher
    reader = searcher.reader()
    parsed = parse_query(request.q, searcher.schema, request.op, now, reader, deadline)
    ordered = listing_order(request, parsed)
    docs, evaluation = matching_documents(snapshot, parsed, ordered, deadline)
    if not len(docs) or isinstance(parsed.query, type(wq.NullQuery)):
        return _NONE
    if ordered.sort in COLUMN_SORTS:
        order = docs[ordered_positions(snapshot, docs, ordered.sort, len(docs))]
    elif evaluation is not None:
        scores = evaluation.scores(docs)
        scores = with_feedback(snapshot, parsed.query, docs, scores, deadline, evaluation)
        if ordered.recency:
            scores = scores * _recency(snapshot, now).factors(docs)
        order = docs[np.lexsort((docs, -scores))]
    else:
        if ordered.recency:
            searcher = Searcher(reader, weighting=_recency(snapshot, now), closereader=False)
        results = ranked(searcher, parsed.query, len(docs), "relevance", set(docs.tolist()))
        order = np.array([hit.docnum for hit in results], dtype=np.int64)
    if ordered.collapse and snapshot.groups.any_groups:
        order = first_of_each_group(order, snapshot.groups.group[order])
    return order


def _recency(snapshot: Snapshot, now: datetime) -> RecencyBM25F:
    tables = snapshot.tables
    return recency_model(tables.days, tables.newest_day, now, snapshot.scorer.params)


def export_articles(
    served: ServedIndex, snapshot: Snapshot, docs: np.ndarray, chunk: int = CHUNK
) -> Iterator[Article]:
    """The articles ``docs`` number in ``snapshot`` (pinned by the caller), in order,
    read ``chunk`` at a time under the served lock."""
    for begin in range(0, len(docs), chunk):
        numbers = docs[begin : begin + chunk].tolist()
        with served.lock:
            batch = [article_from_fields(snapshot.stored(doc)) for doc in numbers]
        yield from batch
