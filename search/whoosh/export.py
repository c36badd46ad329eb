"""The Whoosh export: every match of a request, in the search's order, read in chunks.

`export_order` ranks the whole match set as a search ranks a page
(`search.whoosh.execution`), with arrays instead of a window: relevance by the same
BM25F scores (pseudo-relevance feedback and the recency boost included), ties to the
lower document number; ``newest``/``oldest`` by the raw date column (undated last),
``views`` by the raw views column, ties by article id as Whoosh's sort keys
(`search.whoosh.ranking.sort_facet`) break them. Queries the fast scorer does not
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
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from corpus.article import Article
from search.deadline import Deadline
from search.models import SearchRequest
from search.whoosh.execution import Snapshot, listing_order, matching_documents, with_feedback
from search.whoosh.facet_tables import NO_DATE
from search.whoosh.hits import article_from_fields
from search.whoosh.postings import read_numeric_column
from search.whoosh.query import parse_query
from search.whoosh.ranking import RecencyBM25F, ranked, recency_model
from search.whoosh.served import ServedIndex

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
    if ordered.sort != "relevance":
        order = _column_order(snapshot, docs, ordered.sort)
    elif evaluation is not None:
        scores = evaluation.scores(docs)
        scores = with_feedback(snapshot, parsed.query, docs, scores, deadline)
        if ordered.recency:
            scores = scores * _recency(snapshot, now).factors(docs)
        order = docs[np.lexsort((docs, -scores))]
    else:
        if ordered.recency:
            searcher = Searcher(reader, weighting=_recency(snapshot, now), closereader=False)
        results = ranked(searcher, parsed.query, len(docs), "relevance", set(docs.tolist()))
        order = np.array([hit.docnum for hit in results], dtype=np.int64)
    if ordered.collapse and snapshot.groups.members:
        order = _first_of_each_story(order, snapshot.groups.group)
    return order


def _recency(snapshot: Snapshot, now: datetime) -> RecencyBM25F:
    tables = snapshot.tables
    return recency_model(tables.days, tables.newest_day, now, snapshot.scorer.params)


def _first_of_each_story(order: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``order`` without the later articles of each near-duplicate group."""
    groups = group[order]
    grouped = np.flatnonzero(groups >= 0)
    if not len(grouped):
        return order
    _, first = np.unique(groups[grouped], return_index=True)
    keep = np.sort(np.concatenate([np.flatnonzero(groups < 0), grouped[first]]))
    return order[keep]


def _views(snapshot: Snapshot) -> np.ndarray:
    """Each document's views as a signed number (-1: unknown; no column: the least)."""

    def column(leaf: IndexReader) -> object | None:
        return leaf.column_reader("views", translate=False) if leaf.has_column("views") else None

    raw = read_numeric_column(snapshot.searcher.reader().leaf_readers(), column, 0)
    # The sortable column holds the value plus 2**63, as an unsigned number.
    return (raw.astype(np.uint64) - np.uint64(2**63)).astype(np.int64)


def _column_order(snapshot: Snapshot, docs: np.ndarray, sort: str) -> np.ndarray:
    """``docs`` by date (newest or oldest, undated last) or by views (most first),
    ties by article id, as `search.whoosh.ranking.sort_facet` orders them."""
    if sort == "views":
        key = ~_views(snapshot)[docs]  # ~x = -x - 1: descending without overflow
        later = np.zeros(len(docs), dtype=bool)
    else:
        stamps = snapshot.tables.stamps[docs]
        later = stamps >= np.uint64(NO_DATE)
        key = np.where(later, np.uint64(0), stamps).astype(np.int64)
        if sort == "newest":
            key = ~key
    first = np.lexsort((docs, key, later))
    tied = np.zeros(len(docs), dtype=bool)
    same = (key[first][1:] == key[first][:-1]) & (later[first][1:] == later[first][:-1])
    tied[1:] |= same
    tied[:-1] |= same
    if not tied.any():
        return docs[first]
    positions = first[tied]
    ids = np.array(_ids(snapshot, docs[positions]))
    id_rank = np.zeros(len(docs), dtype=np.int64)
    id_rank[positions[np.argsort(ids, kind="stable")]] = np.arange(len(positions))
    return docs[np.lexsort((docs, id_rank, key, later))]


def _ids(snapshot: Snapshot, docs: np.ndarray) -> list[str]:
    """The article ids of ``docs`` (from the sortable ``id`` column when there is one)."""
    reader = snapshot.searcher.reader()
    if reader.has_column("id"):
        column = reader.column_reader("id")
        return [str(column[int(doc)]) for doc in docs.tolist()]
    return [snapshot.searcher.stored_fields(int(doc))["id"] for doc in docs.tolist()]


def export_articles(
    served: ServedIndex, snapshot: Snapshot, docs: np.ndarray, chunk: int = CHUNK
) -> Iterator[Article]:
    """The articles ``docs`` number in ``snapshot`` (pinned by the caller), in order,
    read ``chunk`` at a time under the served lock."""
    searcher = snapshot.searcher
    for begin in range(0, len(docs), chunk):
        numbers = docs[begin : begin + chunk].tolist()
        with served.lock:
            batch = [article_from_fields(searcher.stored_fields(doc)) for doc in numbers]
        yield from batch
