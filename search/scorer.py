"""Every match of a query with set operations, then BM25F scores only where needed.

Whoosh ranks through a tree of matchers that advance one posting at a time in
Python, and a second walk was needed to count facets over every match. Here
each term's posting list is read once, whole (`search.postings`), into a
``{docnum: term frequency}`` dictionary, and a query is evaluated in two steps:

1. Which documents match: the query tree becomes set unions (``Or``),
   intersections (``And``) and differences (``AndNot``, ``Not``), all in C; a
   phrase checks positions only on the documents holding every word, and date
   ranges filter by a column. This set feeds the total and the facet counts.
2. How well: BM25F scores, with the formula, statistics and field boosts
   Whoosh uses, are computed only for the documents asked (those that passed
   the facet selections), once per document and query term.

Scores equal those of Whoosh's own matchers up to floating-point summation
order (``tests/test_scorer.py`` compares both on indexes with several segments
and deletions). Nodes not covered (``Or`` with a minimum match, span queries,
ranges on fields without a column) raise `Unsupported`; the caller then ranks
with Whoosh.

Per-term dictionaries are cached per index snapshot (least recently used, a
bounded number of postings); the benchmark reports the first (cold) pass, when
nothing is cached, separately.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from math import log
from typing import Generic, TypeVar

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from search.postings import read_postings, read_values

__all__ = ["Evaluation", "QueryScorer", "Unsupported"]

#: Postings kept cached per snapshot (a dictionary entry each, about 100 bytes).
CACHED_POSTINGS = 1_000_000
#: Column values from here up mean "no value" (Whoosh stores 2**64 - 1 for no date).
_NO_VALUE = 2**63
_LENGTH_OF_BYTE = [0] + [byte_to_length(b) for b in range(1, 256)]

#: Phrases whose matching documents stay cached per snapshot.
PHRASES_CACHED = 512

Scores = dict[int, float]
K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small thread-safe least-recently-used mapping."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now the most recent), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Remember ``value``; the least recently used entry goes past ``size``."""
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)


class Unsupported(Exception):
    """A query node this evaluator does not cover; rank with Whoosh instead."""


class QueryScorer:
    """Matches and BM25F scores of queries, for one index reader (snapshot).

    ``model`` gives K1 and the per-field B, as `search.ranking.relevance_model`
    configures Whoosh; ``columns`` maps a numeric field to each document's raw
    column value (for range filters such as ``date``).
    """

    def __init__(
        self,
        reader: IndexReader,
        model: BM25F,
        columns: Mapping[str, array] | None = None,
        cached_postings: int = CACHED_POSTINGS,
    ) -> None:
        self.reader = reader
        self.schema = reader.schema
        self.model = model
        self.columns = dict(columns or {})
        self.doc_count = reader.doc_count_all()
        self.limit = cached_postings
        self._lengths: dict[str, array] = {}
        self._field_totals: dict[str, int] = {}
        self._cache: OrderedDict[tuple[str, bytes], TermPostings] = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()
        self._live: frozenset[int] | None = None
        #: Documents matching a phrase, by (field, words, slop).
        self.phrase_cache: LruCache[tuple[str, tuple[bytes, ...], int], frozenset[int]] = LruCache(
            PHRASES_CACHED
        )

    def live_docs(self) -> frozenset[int]:
        """Every live document (found once per snapshot)."""
        if self._live is None:
            self._live = frozenset(self.reader.all_doc_ids())
        return self._live

    # -- statistics ------------------------------------------------------------

    def _field_lengths(self, fieldname: str) -> array:
        """Every document's length of ``fieldname`` as Whoosh stores it (one byte, lossy)."""
        found = self._lengths.get(fieldname)
        if found is None:
            found = array("I")
            for leaf, _ in self.reader.leaf_readers():
                perdoc = getattr(leaf, "_perdoc", None)
                column = None
                if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                if column is not None:
                    found.extend(_LENGTH_OF_BYTE[b] for b in column)
                else:
                    count = leaf.doc_count_all()
                    found.extend(leaf.doc_field_length(d, fieldname, 0) or 0 for d in range(count))
            self._lengths[fieldname] = found
        return found

    def _idf(self, fieldname: str, btext: bytes) -> float:
        """Whoosh's ``WeightingModel.idf``: ``log(N / (df + 1)) + 1``."""
        return log(self.doc_count / (self.reader.doc_frequency(fieldname, btext) + 1)) + 1

    def _avg_length(self, fieldname: str) -> float:
        """Whoosh's ``Searcher.avg_field_length`` (1 when the field is empty)."""
        total = self._field_totals.get(fieldname)
        if total is None:
            total = self._field_totals[fieldname] = self.reader.field_length(fieldname)
        return (total / (self.doc_count or 1)) or 1

    # -- terms -----------------------------------------------------------------

    def term(self, fieldname: str, text: object) -> TermPostings:
        """One term's postings and scoring statistics (cached; shared, do not modify)."""
        if fieldname not in self.schema:
            return _NO_TERM
        field = self.schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return _NO_TERM
        key = (fieldname, btext)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        docs, weights = read_postings(self.reader, fieldname, btext)
        found = TermPostings(dict(zip(docs, weights, strict=True)), None)
        if field.scorable and docs:
            b = self.model._field_B.get(fieldname, self.model.B)
            found = TermPostings(
                found.weights,
                (self._idf(fieldname, btext), self.model.K1, b, self._avg_length(fieldname)),
                self._field_lengths(fieldname),
            )
        with self._lock:
            if key not in self._cache:
                self._cache[key] = found
                self._cached += len(docs)
                while self._cached > self.limit and len(self._cache) > 1:
                    _, dropped = self._cache.popitem(last=False)
                    self._cached -= len(dropped.weights) + len(dropped.values or ())
        return found

    def values(self, fieldname: str, text: object) -> dict[int, bytes]:
        """One term's encoded positions by document (cached with its postings)."""
        term = self.term(fieldname, text)
        if term.values is None and term.weights:
            btext = self.schema[fieldname].to_bytes(text)
            term.values = read_values(self.reader, fieldname, btext)
            with self._lock:
                self._cached += len(term.values)
        return term.values or {}

    # -- queries ---------------------------------------------------------------

    def evaluate(self, query: wq.Query, stop: Callable[[], bool] | None = None) -> Evaluation:
        """The documents ``query`` matches (``.docs``), to be scored on demand.
        ``stop`` is asked now and then during long phrase checks; once it answers
        true, a phrase keeps only the matches verified so far (a search past its
        deadline)."""
        evaluation = Evaluation(self, stop or (lambda: False))
        evaluation.docs = evaluation.keys(query)
        evaluation.query = query
        return evaluation

    def scores(self, query: wq.Query) -> Scores:
        """``{docnum: score}`` for every live document ``query`` matches."""
        evaluation = self.evaluate(query)
        return evaluation.scores(evaluation.docs)

    def in_range(self, query: wq.NumericRange, docs: Iterable[int]) -> list[int]:
        """Those of ``docs`` whose column value lies in the range (values at or above
        2**63 are Whoosh's "no value" and never match)."""
        field = self.schema[query.fieldname]
        values = self.columns[query.fieldname]
        low = field.prepare_number(query.start) if query.start is not None else None
        high = field.prepare_number(query.end) if query.end is not None else _NO_VALUE - 1
        found = []
        for doc in docs:
            value = values[doc]
            if value > high or (query.endexcl and value == high) or value >= _NO_VALUE:
                continue
            if low is not None and (value < low or (query.startexcl and value == low)):
                continue
            found.append(doc)
        return found

    def restrict(self, docs: Set[int], query: wq.Query) -> Set[int]:
        """Those of ``docs`` that ``query`` (a filter, such as a date range) matches too."""
        if self.is_column_range(query):
            return set(self.in_range(query, docs))
        return self.evaluate(query).docs & docs

    def is_column_range(self, query: wq.Query) -> bool:
        """A range over a field whose values this scorer holds in a column."""
        return isinstance(query, wq.NumericRange) and query.fieldname in self.columns


class TermPostings:
    """A term's weights (term frequencies) by document, and what its BM25F needs."""

    __slots__ = ("lengths", "stats", "values", "weights")

    def __init__(
        self,
        weights: dict[int, float],
        stats: tuple[float, float, float, float] | None,
        lengths: array | None = None,
    ) -> None:
        self.weights = weights
        #: (idf, K1, B, average field length); None: not scorable, the score is the weight.
        self.stats = stats
        self.lengths = lengths
        #: Encoded positions by document, read when a phrase first needs them.
        self.values: dict[int, bytes] | None = None

    def scores(self, docs: Iterable[int], boost: float) -> Iterator[tuple[int, float]]:
        """(document, score times ``boost``) for ``docs``, which must all hold the term:
        Whoosh's ``scoring.bm25(idf, tf, fl, avgfl, B, K1)``."""
        weights = self.weights
        if self.stats is None:
            return ((doc, weights[doc] * boost) for doc in docs)
        idf, k1, b, avg = self.stats
        lengths = self.lengths
        assert lengths is not None
        return (
            (
                doc,
                boost * (idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths[doc] / avg)))),
            )
            for doc, tf in ((doc, weights[doc]) for doc in docs)
        )


_NO_TERM = TermPostings({}, None)


class Evaluation:
    """One query over one snapshot: which documents match (found with set operations
    in C), then, for the documents asked, the scores (Python, once per document and
    query term)."""

    def __init__(self, scorer: QueryScorer, stop: Callable[[], bool]) -> None:
        self.scorer = scorer
        self.stop = stop
        self.docs: Set[int] = frozenset()
        self.query: wq.Query = wq.NullQuery
        self._keys: dict[int, Set[int]] = {}

    # -- which documents -------------------------------------------------------

    def keys(self, query: wq.Query) -> Set[int]:
        """The live documents ``query`` matches (remembered per node)."""
        found = self._keys.get(id(query))
        if found is None:
            found = self._keys[id(query)] = self._find(query)
        return found

    def _find(self, query: wq.Query) -> Set[int]:
        kind = type(query)
        scorer = self.scorer
        if kind is wq.Term:
            return scorer.term(query.fieldname, query.text).weights.keys()
        if _is_term_set(query):
            found: set[int] = set()
            for text in query.texts:
                found.update(scorer.term(query.fieldname, text).weights.keys())
            return found
        if kind is wq.Phrase:
            return self._phrase_docs(query)
        if kind is wq.And:
            return self._both(query.subqueries)
        if kind is wq.Or and not query.minmatch and not query.scale:
            return set().union(*(self.keys(q) for q in query.subqueries))
        if kind is wq.AndNot:
            return set(self.keys(query.a)) - self.keys(query.b)
        if kind is wq.Not:
            return scorer.live_docs() - self.keys(query.query)
        if kind is wq.Every and query.fieldname in (None, "", "*"):
            return scorer.live_docs()
        if scorer.is_column_range(query):
            return set(scorer.in_range(query, scorer.live_docs()))
        if query is wq.NullQuery or kind is type(wq.NullQuery):
            return frozenset()
        raise Unsupported(kind.__name__)

    def _both(self, subqueries: list[wq.Query]) -> Set[int]:
        """Documents every child matches; date ranges filter the others' matches instead
        of listing every document in range."""
        scorer = self.scorer
        ranges = [q for q in subqueries if scorer.is_column_range(q)]
        rest = [q for q in subqueries if not scorer.is_column_range(q)] if ranges else subqueries
        if not rest:
            rest, ranges = ranges[:1], ranges[1:]
        parts = []
        for q in rest:
            part = self.keys(q)
            if not part:
                return frozenset()
            parts.append(part)
        parts.sort(key=len)
        common = set(parts[0])
        for part in parts[1:]:
            common.intersection_update(part)
            if not common:
                return common
        for q in ranges:
            common = set(scorer.in_range(q, common))
            self._keys[id(q)] = common  # what the range is asked for when scoring
        return common

    def _phrase_docs(self, query: wq.Phrase) -> Set[int]:
        """Documents holding the words in order, each within ``slop`` positions of the
        one before (Whoosh's ``SpanNear2(ordered=True, mindist=1)``)."""
        scorer = self.scorer
        fieldname = query.fieldname
        if fieldname not in scorer.schema or not query.words or query.slop < 1:
            return frozenset()  # Whoosh needs a span distance of at least 1
        field = scorer.schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            raise Unsupported("phrase on a field without positions")
        try:
            btexts = [field.to_bytes(word) for word in query.words]
        except ValueError:
            return frozenset()
        parts = [scorer.term(fieldname, word).weights for word in query.words]
        if not all(parts):
            return frozenset()
        candidates = set(min(parts, key=len))
        for part in parts:
            candidates.intersection_update(part.keys())
        key = (fieldname, tuple(btexts), query.slop)
        found = scorer.phrase_cache.get(key)
        if found is not None:
            return found
        values = [scorer.values(fieldname, word) for word in query.words]
        decode = field.format.decode_positions
        slop = query.slop
        found = set()
        for count, doc in enumerate(candidates):
            if not count & 255 and self.stop():
                return found  # past the deadline: the matches so far, not remembered
            ends = set(decode(values[0][doc]))
            for word_values in values[1:]:
                ends = {
                    p
                    for p in decode(word_values[doc])
                    if any(p - step in ends for step in range(1, slop + 1))
                }
                if not ends:
                    break
            if ends:
                found.add(doc)
        found = frozenset(found)
        scorer.phrase_cache.put(key, found)
        return found

    # -- how well --------------------------------------------------------------

    def scores(self, docs: Iterable[int]) -> Scores:
        """``{docnum: score}`` of the matched ``docs`` (a subset of ``self.docs``)."""
        totals = dict.fromkeys(docs, 0.0)
        self._add(self.query, totals, 1.0)
        return totals

    def _add(self, query: wq.Query, totals: Scores, boost: float) -> None:
        """Add ``query``'s score (times ``boost``) to the entry of each document in
        ``totals``, all of which ``query`` matches."""
        kind = type(query)
        boost *= getattr(query, "boost", 1.0)
        if kind is wq.Term:
            term = self.scorer.term(query.fieldname, query.text)
            for doc, score in term.scores(list(totals), boost):
                totals[doc] += score
        elif kind is wq.Phrase:
            for word in query.words:  # repeated words count again, as in Whoosh
                term = self.scorer.term(query.fieldname, word)
                for doc, score in term.scores(list(totals), boost):
                    totals[doc] += score
        elif kind is wq.And:
            for child in query.subqueries:
                self._add(child, totals, boost)
        elif kind is wq.Or:
            for child in query.subqueries:
                keys = self.keys(child)
                subset = {doc: 0.0 for doc in totals if doc in keys}
                if subset:
                    self._add(child, subset, boost)
                    for doc, score in subset.items():
                        totals[doc] += score
        elif kind is wq.AndNot:
            self._add(query.a, totals, boost)
        elif kind is wq.Not:
            for doc in totals:  # Whoosh's InverseMatcher scores 1.0, unboosted
                totals[doc] += 1.0
        else:  # term sets, Every, ranges: a constant score
            for doc in totals:
                totals[doc] += boost


def _is_term_set(query: wq.Query) -> bool:
    """`search.query.TermSet`: an expanded wildcard, matched with a constant score."""
    return getattr(query, "constantscore", False) and isinstance(
        getattr(query, "texts", None), tuple
    )
