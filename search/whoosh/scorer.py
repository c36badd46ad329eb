"""Every match of a query as a vector operation, then BM25F only where needed.

Whoosh ranks through a tree of matchers that advance one posting at a time in
Python, and a second walk was needed to count facets over every match. Here
each term's posting list is read once, whole (`indexer.whoosh.postings`), into two
NumPy arrays (document numbers and term frequencies), and a query is evaluated
in two steps:

1. Which documents match: every node of the query tree becomes a boolean
   vector over the index's documents; ``And``, ``Or`` (and a word searched in
   several fields, `search.whoosh.fields_query.FieldsQuery`), ``AndNot`` and ``Not``
   are element-wise operations, a phrase checks positions only on the
   documents holding every word (`search.whoosh.phrases`), a date range compares a
   column. The matches feed the total and the facet counts (`search.whoosh.facets`).
2. How well: BM25F scores (`search.whoosh.bm25f`, formula in `search.relevance`),
   computed as one vector expression per query word, only for the documents
   asked (those that passed the facet selections).

Per-match work is thus a few machine operations instead of Python calls, so the
cost of a search grows slowly with the number of matches. The matches are
exactly those of Whoosh's own matchers, and so are the scores of single-field
terms and phrases (Whoosh's BM25 with the same idf); a word over several
fields is scored by BM25F, which Whoosh's per-field matchers cannot express
(``tests/test_scorer.py`` checks both against Whoosh and against a plain
reference computation, on indexes with several segments and deletions).
The matching walk is `search.whoosh.evaluation.Evaluation`. Nodes not covered
(``Or`` with a minimum match, span queries, ranges on fields without a column) raise
`Unsupported`; the caller ranks with Whoosh.

Term arrays are cached per index snapshot (least recently used, a bounded number
of postings, 12 bytes each); the benchmark reports the first (cold) pass, when
nothing is cached, separately.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length

from indexer.whoosh.postings import (
    DirectoryCache,
    live_documents,
    read_numeric_column,
    read_postings,
)
from search.deadline import Deadline
from search.relevance import DEFAULT_RANKING, RankingParams, lucene_idf
from search.whoosh.evaluation import MATCHING, Evaluation, Unsupported
from search.whoosh.fields_query import plain_word_terms

__all__ = ["MATCHING", "Evaluation", "QueryScorer", "TermPostings", "Unsupported"]

#: Postings kept cached per snapshot (12 bytes each: at most 96 MB). At 2,000,000, the
#: hard query kinds of `bench.tail_bench` replaced each other's words at 200,000
#: articles, and the first query of a kind took 100-260 ms instead of 30-70 ms.
CACHED_POSTINGS = 8_000_000
#: Blocks whose place in the postings file stays known per snapshot (about 33 bytes
#: each: `indexer.whoosh.postings.BlockDirectory`), so reading a common word for a few
#: documents decodes only their blocks.
CACHED_BLOCKS = 300_000
#: Document frequencies of words over several fields kept per snapshot.
CACHED_IDFS = 100_000
#: Phrases whose matching documents stay cached per snapshot.
PHRASES_CACHED = 512
#: A term is read only in the blocks that may hold the documents asked (not whole, and
#: not cached) when it is held by more than this many times as many documents: the
#: other words of a conjunction once the rarest narrowed the matches, the words of a
#: few matches' scores, feedback words (`search.whoosh.feedback`). Documents spread
#: over a list touch about one block each, so below twice a block's postings
#: (`indexer.whoosh.schema.POSTING_BLOCK`) a sparse read decodes most of the list,
#: every time, where a whole read is decoded once and cached. 128 made feedback's
#: reads for its 1,000 best documents decode nearly whole lists on every search:
#: at 1M articles, long queries p50 229 -> 130 ms and many-OR 242 -> 133 in-process.
SPARSE_READ = 1024
#: A word searched in several fields whose document frequencies add up to at most
#: this has its idf from the documents holding it in any field (read from the
#: postings); a commoner one from its largest frequency (`QueryScorer.fields_idf`).
EXACT_IDF_POSTINGS = 20_000
#: Column values from here up mean "no value" (Whoosh stores 2**64 - 1 for no date).
NO_VALUE = 2**63
_LENGTH_OF_BYTE = np.array([0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)

Vector = np.ndarray


class TermPostings:
    """One term's live documents (ascending), their term frequencies, and what its
    BM25F needs."""

    __slots__ = ("docs", "idf", "weights")

    def __init__(self, docs: Vector, weights: Vector, idf: float | None) -> None:
        self.docs = docs
        self.weights = weights
        #: The term's idf in its field; None: not scorable, the score is the weight.
        self.idf = idf


class QueryScorer:
    """Matches and BM25F scores of queries, for one index reader (snapshot).

    ``params`` are the ranking parameters (`search.relevance`); ``columns`` maps a
    numeric field to each document's raw column value (for range filters such as ``date``).
    """

    def __init__(
        self,
        reader: IndexReader,
        params: RankingParams = DEFAULT_RANKING,
        columns: Mapping[str, Vector] | None = None,
        cached_postings: int = CACHED_POSTINGS,
    ) -> None:
        self.reader = reader
        self.schema = reader.schema
        self.params = params
        self.columns = {name: np.asarray(values) for name, values in (columns or {}).items()}
        self.doc_count = reader.doc_count_all()
        self.limit = cached_postings
        self._norms: dict[str, Vector] = {}
        self._averages: dict[str, float] = {}
        self._idfs: dict[tuple[tuple[str, ...], object], float] = {}
        self._frequencies: dict[tuple[tuple[str, ...], str], float] = {}
        self._cache: OrderedDict[tuple[str, bytes], TermPostings] = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()
        self._live: Vector | None = None
        self._phrases: OrderedDict[tuple[Any, ...], Vector] = OrderedDict()
        self.directories = DirectoryCache(CACHED_BLOCKS)

    def live(self) -> Vector:
        """A boolean vector: True for every document not deleted (made once)."""
        if self._live is None:
            live = np.zeros(self.doc_count, dtype=bool)
            live[live_documents(self.reader)] = True
            self._live = live
        return self._live

    def empty(self) -> Vector:
        """A boolean vector with no document."""
        return np.zeros(self.doc_count, dtype=bool)

    # -- statistics ------------------------------------------------------------

    def length_norms(self, fieldname: str, docs: Vector) -> Vector:
        """BM25's ``1 - b + b * length / average length`` of ``fieldname`` for each of
        ``docs``, from every document's value computed once (Whoosh stores a length
        as one lossy byte: the length is `_LENGTH_OF_BYTE` of it)."""
        norms = self._norms.get(fieldname)
        if norms is None:

            def column(leaf: IndexReader) -> object | None:
                perdoc = getattr(leaf, "_perdoc", None)
                if perdoc is None or not hasattr(perdoc, "_cached_reader"):
                    raise Unsupported("segment without a per-document reader")
                return perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)

            codes = read_numeric_column(self.reader.leaf_readers(), column, 0)
            lengths = _LENGTH_OF_BYTE[codes.astype(np.uint8)]
            b = self.params.field_b(fieldname)
            norms = self._norms[fieldname] = (1.0 - b) + b * (
                lengths / self.average_length(fieldname)
            )
        return norms[docs]

    def average_length(self, fieldname: str) -> float:
        """The field's average length over all documents (``Searcher.avg_field_length``;
        1 when the field is empty everywhere)."""
        found = self._averages.get(fieldname)
        if found is None:
            total = self.reader.field_length(fieldname)
            found = self._averages[fieldname] = (total / (self.doc_count or 1)) or 1.0
        return found

    def field_frequencies(self, fieldnames: tuple[str, ...], text: object) -> list[int]:
        """The document frequency of ``text`` in each of ``fieldnames`` the schema has,
        from the lexicon (deleted documents included, as Whoosh counts them)."""
        frequencies = []
        for fieldname in fieldnames:
            if fieldname not in self.schema:
                continue
            try:
                btext = self.schema[fieldname].to_bytes(text)
            except ValueError:
                continue
            frequencies.append(self.reader.doc_frequency(fieldname, btext))
        return frequencies

    def document_frequency(self, fieldnames: tuple[str, ...], text: object) -> int:
        """The largest document frequency of ``text`` in ``fieldnames``."""
        return max(self.field_frequencies(fieldnames, text), default=0)

    def fields_idf(self, fieldnames: tuple[str, ...], text: object) -> float:
        """`search.relevance.lucene_idf` of a word searched in several fields: its
        documents are those holding it in any of them, counted from the postings while
        its document frequencies add up to at most `EXACT_IDF_POSTINGS`; a commoner
        word takes the largest of them (as Lucene's ``CombinedFieldQuery`` does for
        BM25F), read from the lexicon, so scoring a few matches never reads a common
        word whole. The rule depends on the index alone, never on what is cached.
        (One field: the field's own document frequency, as Whoosh counts it.)"""
        key = (fieldnames, text)
        found = self._idfs.get(key)
        if found is None:
            frequencies = self.field_frequencies(fieldnames, text)
            if len(fieldnames) == 1 or sum(frequencies) > EXACT_IDF_POSTINGS:
                found = lucene_idf(self.doc_count, max(frequencies, default=0))
            else:
                holding = self.empty()
                for fieldname in fieldnames:
                    holding[self.term(fieldname, text).docs] = True
                found = lucene_idf(self.doc_count, int(np.count_nonzero(holding)))
            with self._lock:
                if len(self._idfs) > CACHED_IDFS:
                    self._idfs.clear()
                self._idfs[key] = found
        return found

    def collection_frequency(self, fieldnames: tuple[str, ...], text: str) -> float:
        """How often ``text`` occurs in ``fieldnames`` over the whole index (cached)."""
        key = (fieldnames, text)
        found = self._frequencies.get(key)
        if found is None:
            found = 0.0
            for fieldname in fieldnames:
                if fieldname in self.schema:
                    found += self.reader.frequency(fieldname, text)
            with self._lock:
                if len(self._frequencies) > CACHED_IDFS:
                    self._frequencies.clear()
                self._frequencies[key] = found
        return found

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
        docs, weights = read_postings(self.reader, fieldname, btext, None, self.directories)
        idf = None
        if field.scorable and len(docs):
            idf = lucene_idf(self.doc_count, self.reader.doc_frequency(fieldname, btext))
        found = TermPostings(docs.astype(np.int32), weights, idf)
        self._remember(key, found, len(docs))
        return found

    def term_for(self, fieldname: str, text: object, docs: Vector | None) -> TermPostings:
        """``text``'s postings in ``fieldname`` for matching or scoring ``docs``
        (ascending numbers; None: all): the whole list (`term`) when cached or when
        ``docs`` are many; else, when the term is held by more than `SPARSE_READ`
        times as many documents, those of ``docs`` holding it, read from the blocks
        that may hold them (not cached)."""
        if docs is None or fieldname not in self.schema:
            return self.term(fieldname, text)
        field = self.schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return _NO_TERM
        with self._lock:
            found = self._cache.get((fieldname, btext))
        if found is not None:
            return found
        frequency = self.reader.doc_frequency(fieldname, btext)
        if not self.reads_sparsely(len(docs), frequency):
            return self.term(fieldname, text)
        held, weights = read_postings(self.reader, fieldname, btext, docs, self.directories)
        idf = lucene_idf(self.doc_count, frequency) if field.scorable and frequency else None
        return TermPostings(held.astype(np.int32), weights, idf)

    def reads_sparsely(self, documents: int, frequency: int) -> bool:
        """Whether a word held by ``frequency`` documents is read, for ``documents``
        of them, only where those are (`SPARSE_READ`)."""
        return documents * SPARSE_READ < frequency

    def word_frequency(self, query: wq.Query) -> int | None:
        """How many documents a plain word may match: a `wq.Term`'s document frequency,
        or the sum over the fields of a `FieldsQuery` of one word; None for any other
        node."""
        parts = plain_word_terms(query)
        if parts is None:
            return None
        total = 0
        for part in parts:
            if part.fieldname in self.schema:
                try:
                    btext = self.schema[part.fieldname].to_bytes(part.text)
                except ValueError:
                    continue
                total += self.reader.doc_frequency(part.fieldname, btext)
        return total

    def _remember(self, key: tuple[str, bytes], term: TermPostings, size: int) -> None:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = term
                self._cached += size
                while self._cached > self.limit and len(self._cache) > 1:
                    _, dropped = self._cache.popitem(last=False)
                    self._cached -= len(dropped.docs)

    def phrase_matches(
        self, key: tuple[Any, ...], find: Callable[[], tuple[Vector, bool]]
    ) -> Vector:
        """The matches of the phrase ``key`` as a boolean vector: cached (as document
        numbers, so an entry costs its matches, not the corpus), else ``find()``'s,
        which says whether it checked every candidate (only complete ones are kept)."""
        with self._lock:
            docs = self._phrases.get(key)
            if docs is not None:
                self._phrases.move_to_end(key)
        if docs is None:
            found, complete = find()
            if not complete:
                return found
            docs = np.flatnonzero(found).astype(np.int32)
            with self._lock:
                self._phrases[key] = docs
                if len(self._phrases) > PHRASES_CACHED:
                    self._phrases.popitem(last=False)
            return found
        found = self.empty()
        found[docs] = True
        return found

    # -- queries ---------------------------------------------------------------

    def evaluate(self, query: wq.Query, deadline: Deadline | None = None) -> Evaluation:
        """``query``'s matches (``.docs``, ascending), to be scored on demand.
        ``deadline`` is asked before each node and term and now and then during long
        phrase checks: past it, a phrase keeps only the matches verified so far, and
        anything else raises `search.errors.SearchTimedOut`."""
        evaluation = Evaluation(self, query, deadline or Deadline.unlimited())
        evaluation.docs = np.flatnonzero(evaluation.mask(query))
        return evaluation

    def matching(self, query: wq.Query, docs: Vector, deadline: Deadline | None = None) -> Vector:
        """Whether each of ``docs`` (document numbers) matches ``query``: booleans, in
        their order (`evaluate` without listing every match)."""
        evaluation = Evaluation(self, query, deadline or Deadline.unlimited())
        return evaluation.mask(query)[docs]

    def scores(self, query: wq.Query) -> dict[int, float]:
        """``{docnum: score}`` for every live document ``query`` matches."""
        evaluation = self.evaluate(query)
        values = evaluation.scores(evaluation.docs)
        return dict(zip(evaluation.docs.tolist(), values.tolist(), strict=True))

    def range_mask(self, query: wq.NumericRange) -> Vector:
        """Documents whose column value lies in the range (values at or above 2**63 are
        Whoosh's "no value" and never match)."""
        field = self.schema[query.fieldname]
        values = self.columns[query.fieldname]
        found = self.live() & (values < np.uint64(NO_VALUE))
        if query.start is not None:
            low = np.uint64(field.prepare_number(query.start))
            found &= (values > low) if query.startexcl else (values >= low)
        if query.end is not None:
            high = np.uint64(field.prepare_number(query.end))
            found &= (values < high) if query.endexcl else (values <= high)
        return found

    def restrict(self, docs: Vector, query: wq.Query) -> Vector:
        """Those of ``docs`` (ascending numbers) that ``query``, a filter, matches too."""
        if self.is_column_range(query):
            mask = self.range_mask(query)
        else:
            mask = Evaluation(self, query, Deadline.unlimited()).mask(query)
        return docs[mask[docs]]

    def is_column_range(self, query: wq.Query) -> bool:
        """A range over a field whose values this scorer holds in a column."""
        return isinstance(query, wq.NumericRange) and query.fieldname in self.columns


_NO_TERM = TermPostings(np.zeros(0, dtype=np.int32), np.zeros(0), None)
