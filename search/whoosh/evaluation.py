"""Which documents a query matches, as boolean vectors; then how well, for those asked.

`Evaluation` walks one query tree over one snapshot's `search.whoosh.scorer.QueryScorer`:
every node becomes a boolean vector over the index's documents (``And``, ``Or``,
``AndNot``, ``Not`` element-wise; a conjunction reads its plain words rarest first
and, once its matches are few, reads the others only where they may be; a phrase
checks positions on the documents holding every word; a date range compares a
column), remembered per node for scoring (`search.whoosh.bm25f.add_scores`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq

from search.deadline import Deadline
from search.whoosh.bm25f import add_scores
from search.whoosh.fields_query import FieldsQuery, term_parts
from search.whoosh.phrases import verify_phrase

if TYPE_CHECKING:
    from search.whoosh.scorer import QueryScorer, TermPostings

__all__ = ["MATCHING", "Evaluation", "Unsupported"]

#: The step a search past its deadline stops in while matching (`search.deadline`).
MATCHING = "matching"

Vector = np.ndarray


class Unsupported(Exception):
    """A query node this evaluator does not cover; rank with Whoosh instead."""


class Evaluation:
    """One query over one snapshot: which documents match (boolean vectors), then,
    for the documents asked, the scores (one vector expression per query term)."""

    def __init__(self, scorer: QueryScorer, query: wq.Query, deadline: Deadline) -> None:
        self.scorer = scorer
        self.query = query
        self.deadline = deadline
        self.docs: Vector = np.zeros(0, dtype=np.int64)
        self._masks: dict[int, Vector] = {}
        self._reads: dict[tuple[str, object], tuple[Vector | None, TermPostings]] = {}

    def term_for(self, fieldname: str, text: object, docs: Vector | None) -> TermPostings:
        """`QueryScorer.term_for`, remembered for this query: a term read for some
        documents serves again for any of them (the conjunction reads a word for its
        candidates, scoring and feedback then ask for the matches among them)."""
        key = (fieldname, text)
        known = self._reads.get(key)
        if known is not None and _among(docs, known[0]):
            return known[1]
        term = self.scorer.term_for(fieldname, text, docs)
        self._reads[key] = (docs, term)
        return term

    # -- which documents -------------------------------------------------------

    def mask(self, query: wq.Query) -> Vector:
        """The documents ``query`` matches, as a boolean vector (remembered per node;
        shared, do not modify)."""
        found = self._masks.get(id(query))
        if found is None:
            self.deadline.check(MATCHING)
            found = self._masks[id(query)] = self._find(query)
        return found

    def _term_mask(self, fieldname: str, text: object) -> Vector:
        found = self.scorer.empty()
        found[self.scorer.term(fieldname, text).docs] = True
        return found

    def _find(self, query: wq.Query) -> Vector:
        kind = type(query)
        scorer = self.scorer
        if kind is wq.Term:
            return self._term_mask(query.fieldname, query.text)
        if _is_term_set(query):
            found = scorer.empty()
            for text in query.texts:
                self.deadline.check(MATCHING)
                found[scorer.term(query.fieldname, text).docs] = True
            return found
        if kind is wq.Phrase:
            return self._phrase(query)
        if kind is wq.And:
            return self._conjunction(query.subqueries)
        if (kind is wq.Or and not query.minmatch and not query.scale) or kind is FieldsQuery:
            return self._any(query.subqueries)
        if kind is wq.AndNot:
            return self.mask(query.a) & ~self.mask(query.b)
        if kind is wq.Not:
            return scorer.live() & ~self.mask(query.query)
        if kind is wq.Every and query.fieldname in (None, "", "*"):
            return scorer.live()
        if scorer.is_column_range(query):
            return scorer.range_mask(query)
        if query is wq.NullQuery or kind is type(wq.NullQuery):
            return scorer.empty()
        raise Unsupported(kind.__name__)

    def _any(self, subqueries: list[wq.Query]) -> Vector:
        """Documents any of ``subqueries`` matches: the postings of plain terms are
        marked straight into one vector (their own vectors are made only if scoring
        asks for them); other parts are combined from their vectors."""
        found = self.scorer.empty()
        for part in subqueries:
            terms = term_parts(part)
            if terms is None:
                found |= self.mask(part)
                continue
            for term in terms:
                self.deadline.check(MATCHING)
                found[self.scorer.term(term.fieldname, term.text).docs] = True
        return found

    def _conjunction(self, subqueries: list[wq.Query]) -> Vector:
        """Documents every one of ``subqueries`` matches. Plain words go first, the
        rarest first; once the matches so far are few, each further word is read
        only where it may hold them (`QueryScorer.term_for`), so a long query of
        common words reads a small part of their postings."""
        scorer = self.scorer
        if not subqueries:
            return scorer.empty()
        frequencies = [scorer.word_frequency(part) for part in subqueries]
        order = sorted(
            range(len(subqueries)),
            key=lambda i: (frequencies[i] is None, frequencies[i] or 0),
        )
        found: Vector | None = None
        for i in order:
            part, frequency = subqueries[i], frequencies[i]
            if found is not None and frequency is not None:
                self.deadline.check(MATCHING)
                candidates = np.flatnonzero(found)
                if scorer.reads_sparsely(len(candidates), frequency):
                    found = found & self._word_within(part, candidates)
                    continue
            mask = self.mask(part)
            found = mask.copy() if found is None else found & mask
        assert found is not None
        return found

    def _word_within(self, query: wq.Query, candidates: Vector) -> Vector:
        """The documents a plain word (`QueryScorer.word_frequency`) matches among
        ``candidates`` (and maybe others: a whole list is used when it is cached), as
        a boolean vector; not remembered, since it need not hold every match."""
        found = self.scorer.empty()
        parts = [query] if type(query) is wq.Term else query.subqueries
        for part in parts:
            found[self.term_for(part.fieldname, part.text, candidates).docs] = True
        return found

    def _phrase(self, query: wq.Phrase) -> Vector:
        """Documents holding the words in order, each within ``slop`` positions of the
        one before (Whoosh's ``SpanNear2(ordered=True, mindist=1)``)."""
        scorer = self.scorer
        fieldname = query.fieldname
        if fieldname not in scorer.schema or not query.words or query.slop < 1:
            return scorer.empty()  # Whoosh needs a span distance of at least 1
        field = scorer.schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            raise Unsupported("phrase on a field without positions")
        try:
            btexts = tuple(field.to_bytes(word) for word in query.words)
        except ValueError:
            return scorer.empty()
        return scorer.phrase_matches(
            (fieldname, btexts, query.slop), lambda: self._check_phrase(query)
        )

    def _check_phrase(self, query: wq.Phrase) -> tuple[Vector, bool]:
        """Verify positions on the documents holding every word (`search.whoosh.phrases`)."""
        words = query.words
        candidates = np.logical_and.reduce([self._term_mask(query.fieldname, w) for w in words])
        return verify_phrase(
            self.scorer.reader,
            query.fieldname,
            words,
            query.slop,
            candidates,
            lambda: self.deadline.stop_here("phrase checks"),
            self.scorer.directories,
        )

    # -- how well --------------------------------------------------------------

    def scores(self, docs: Vector) -> Vector:
        """The scores of the matched ``docs`` (ascending numbers, all in ``self.docs``)."""
        totals = np.zeros(len(docs))
        if len(docs):
            add_scores(self, self.query, docs, totals, 1.0)
        return totals


def _among(docs: Vector | None, read_for: Vector | None) -> bool:
    """Whether every one of ``docs`` (ascending; None: all) is in ``read_for`` (None: all)."""
    if read_for is None:
        return True
    if docs is None or len(docs) > len(read_for):
        return False
    at = np.searchsorted(read_for, docs)
    return bool(np.all(at < len(read_for))) and bool(np.array_equal(read_for[at], docs))


def _is_term_set(query: wq.Query) -> bool:
    """`search.whoosh.expansion.TermSet`: an expanded wildcard, matched with a constant score."""
    texts = getattr(query, "texts", None)
    return getattr(query, "constantscore", False) and isinstance(texts, tuple)
