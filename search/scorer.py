"""One pass that finds every match of a query and its BM25F score.

Whoosh ranks through a tree of matchers that advance one posting at a time in
Python, and a second walk was needed to count facets over every match. This
module evaluates the query tree over whole posting lists instead: each term's
list is read once (`search.postings`), turned into per-document BM25F scores
with the exact formula, statistics and field boosts Whoosh uses, and the tree
becomes dictionary unions (``Or``: scores add), intersections (``And``: scores
add), differences (``AndNot``, ``Not``) and, for phrases, position checks made
only on the documents holding every word. The result, ``{docnum: score}``,
feeds the facet counts, the total and the top-k selection alike.

Scores equal those of Whoosh's own matchers (``tests/test_scorer.py`` compares
them on the judged query sets), up to floating-point summation order. Nodes it
does not cover (ranges other than on a numeric column, ``Or`` with a minimum
match, span queries) raise `Unsupported` and the caller ranks with Whoosh.

Per-term score lists are cached per index snapshot (least recently used, a
bounded number of postings), so repeated terms cost a dictionary lookup; the
benchmark reports the first (cold) pass separately.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from math import log

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from search.postings import read_positions, read_postings

__all__ = ["QueryScorer", "Unsupported"]

#: Postings whose scores stay cached per snapshot (about 24 bytes each).
CACHED_POSTINGS = 1_000_000
#: Column values from here up mean "no value" (Whoosh stores 2**64 - 1 for no date).
_NO_VALUE = 2**63
_LENGTH_OF_BYTE = [0] + [byte_to_length(b) for b in range(1, 256)]

Scores = dict[int, float]


class Unsupported(Exception):
    """A query node this evaluator does not cover; rank with Whoosh instead."""


class QueryScorer:
    """BM25F scores of every match of a query, for one index reader (snapshot).

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
        self._cache: OrderedDict[tuple[str, bytes], Scores] = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()
        self._live: Scores | None = None

    def live_docs(self) -> Scores:
        """Every live document, scored 1.0 (made once per snapshot); do not modify."""
        if self._live is None:
            self._live = dict.fromkeys(self.reader.all_doc_ids(), 1.0)
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

    def term_scores(self, fieldname: str, text: object) -> Scores:
        """``{docnum: BM25F score}`` of one term (unboosted); shared, do not modify."""
        if fieldname not in self.schema:
            return {}
        field = self.schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return {}
        key = (fieldname, btext)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        docs, weights = read_postings(self.reader, fieldname, btext)
        if not field.scorable:
            found = dict(zip(docs, weights, strict=True))
        else:
            b = self.model._field_B.get(fieldname, self.model.B)
            k1 = self.model.K1
            idf = self._idf(fieldname, btext)
            avg = self._avg_length(fieldname)
            lengths = self._field_lengths(fieldname)
            # Whoosh's scoring.bm25(idf, tf, fl, avgfl, B, K1), term by term.
            found = {
                doc: idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths[doc] / avg)))
                for doc, tf in zip(docs, weights, strict=True)
            }
        with self._lock:
            if key not in self._cache:
                self._cache[key] = found
                self._cached += len(found)
                while self._cached > self.limit and len(self._cache) > 1:
                    _, dropped = self._cache.popitem(last=False)
                    self._cached -= len(dropped)
        return found

    # -- the query tree --------------------------------------------------------

    def restrict(self, scores: Scores, query: wq.Query) -> Scores:
        """The entries of ``scores`` whose documents ``query`` (a filter) matches too."""
        evaluation = _Evaluation(self, lambda: False)
        if evaluation.is_column_range(query):
            kept: Iterable[int] = evaluation.in_range(query, scores)
        else:
            kept = evaluation.run(query).keys() & scores.keys()
        return {doc: scores[doc] for doc in kept}

    def scores(self, query: wq.Query, stop: Callable[[], bool] | None = None) -> Scores:
        """``{docnum: score}`` for every live document ``query`` matches. ``stop`` is
        asked now and then during long phrase checks; once it answers true, the
        phrase keeps only the matches verified so far (a search past its deadline)."""
        return _Evaluation(self, stop or (lambda: False)).run(query)


class _Evaluation:
    """One query's walk over the tree."""

    def __init__(self, scorer: QueryScorer, check: Callable[[], bool]) -> None:
        self.scorer = scorer
        self.check = check

    def everything(self, weight: float) -> Scores:
        """Every live document with score ``weight`` (Whoosh's ``Every``)."""
        live = self.scorer.live_docs()
        return live if weight == 1.0 else dict.fromkeys(live, weight)

    def run(self, query: wq.Query) -> Scores:
        """Scores of ``query``'s matches (a fresh dictionary, or a shared one not to modify)."""
        kind = type(query)
        boost = getattr(query, "boost", 1.0)
        if kind is wq.Term:
            found = self.scorer.term_scores(query.fieldname, query.text)
            return _boosted(found, boost)
        if getattr(query, "constantscore", False) and isinstance(
            getattr(query, "texts", None), tuple
        ):
            docs: set[int] = set()  # search.query.TermSet: an expanded wildcard, constant score
            for text in query.texts:
                docs.update(self.scorer.term_scores(query.fieldname, text))
            return dict.fromkeys(docs, boost)
        if kind is wq.Phrase:
            return _boosted(self.phrase(query), boost)
        if kind is wq.And:
            return _boosted(self.both(query.subqueries), boost)
        if kind is wq.Or and not query.minmatch and not query.scale:
            return _boosted(self.either(query.subqueries), boost)
        if kind is wq.AndNot:
            kept = self.run(query.a)
            dropped = self.run(query.b)
            return {doc: score for doc, score in kept.items() if doc not in dropped}
        if kind is wq.Not:
            dropped = self.run(query.query)
            # Whoosh's InverseMatcher scores every document it lets through as 1.0.
            return {doc: 1.0 for doc in self.everything(1.0) if doc not in dropped}
        if kind is wq.Every and query.fieldname in (None, "", "*"):
            return self.everything(boost)
        if self.is_column_range(query):
            return dict.fromkeys(self.in_range(query, self.everything(1.0)), boost)
        if query is wq.NullQuery or kind is type(wq.NullQuery):
            return {}
        raise Unsupported(kind.__name__)

    def either(self, subqueries: list[wq.Query]) -> Scores:
        """Union of the children's matches; a document's scores add up."""
        parts = sorted((self.run(q) for q in subqueries), key=len, reverse=True)
        if not parts:
            return {}
        total = dict(parts[0])
        for part in parts[1:]:
            get = total.get
            for doc, score in part.items():
                total[doc] = get(doc, 0.0) + score
        return total

    def both(self, subqueries: list[wq.Query]) -> Scores:
        """Intersection of the children's matches; a document's scores add up. Date
        ranges among the children filter the others' matches instead of listing every
        document in range."""
        ranges = [q for q in subqueries if self.is_column_range(q)]
        if ranges and len(ranges) < len(subqueries):
            rest = [q for q in subqueries if not self.is_column_range(q)]
            found = self.both(rest)
            for q in ranges:
                boost = q.boost
                kept = set(self.in_range(q, found))
                found = {doc: score + boost for doc, score in found.items() if doc in kept}
            return found
        parts: list[Scores] = []
        for q in subqueries:
            part = self.run(q)
            if not part:
                return {}
            parts.append(part)
        if not parts:
            return {}
        parts.sort(key=len)
        common = parts[0].keys()
        for part in parts[1:]:
            common = common & part.keys()
            if not common:
                return {}
        return {doc: sum(part[doc] for part in parts) for doc in common}

    def phrase(self, query: wq.Phrase) -> Scores:
        """Documents holding the words in order, each within ``slop`` of the one before
        (Whoosh's ``SpanNear2(ordered=True, mindist=1)``); scores of the words add up."""
        scorer = self.scorer
        fieldname = query.fieldname
        if fieldname not in scorer.schema or not query.words:
            return {}
        field = scorer.schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            raise Unsupported("phrase on a field without positions")
        try:
            btexts = [field.to_bytes(word) for word in query.words]
        except ValueError:
            return {}
        parts = [scorer.term_scores(fieldname, word) for word in query.words]
        if not all(parts):
            return {}
        smallest = min(parts, key=len)
        candidates = set(smallest)
        for part in parts:
            if part is not smallest:
                candidates.intersection_update(part.keys())
        if not candidates or query.slop < 1:  # Whoosh needs a span distance >= 1
            return {}
        wanted = sorted(candidates)
        positions = [
            read_positions(scorer.reader, fieldname, btext, wanted)
            for btext in dict.fromkeys(btexts)
        ]
        by_word = dict(zip(dict.fromkeys(btexts), positions, strict=True))
        slop = query.slop
        found: Scores = {}
        for count, doc in enumerate(wanted):
            if not count & 255 and self.check():
                break  # past the deadline: the phrase matches found so far
            ends = set(by_word[btexts[0]].get(doc, ()))
            for btext in btexts[1:]:
                if not ends:
                    break
                ends = {
                    p
                    for p in by_word[btext].get(doc, ())
                    if any(p - step in ends for step in range(1, slop + 1))
                }
            if ends:
                found[doc] = sum(part[doc] for part in parts)
        return found

    def is_column_range(self, query: wq.Query) -> bool:
        """A range over a field whose values `QueryScorer` holds in a column."""
        return isinstance(query, wq.NumericRange) and query.fieldname in self.scorer.columns

    def in_range(self, query: wq.NumericRange, docs: Iterable[int]) -> list[int]:
        """Those of ``docs`` whose column value lies in the range (values at or above
        2**63 are Whoosh's "no value" and never match)."""
        field = self.scorer.schema[query.fieldname]
        values = self.scorer.columns[query.fieldname]
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


def _boosted(found: Scores, boost: float) -> Scores:
    """``found`` with every score times ``boost`` (itself when the boost is 1)."""
    if boost == 1.0:
        return found
    return {doc: score * boost for doc, score in found.items()}
