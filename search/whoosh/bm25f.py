"""Scores of matched documents: BM25F per query word, as vector expressions.

`add_scores` walks a query tree over the documents it matches (found by
`search.whoosh.scorer.Evaluation`) and adds each leaf's score, times the boosts above
it, to a vector aligned with those documents:

- a word searched in the default fields (`search.whoosh.fields_query.FieldsQuery` of
  plain terms) gets BM25F (`fields_scores`; the formula is in `search.relevance`);
- a phrase in the default fields gets the BM25F of each of its words;
- a term of one field gets BM25 in that field (`term_scores`: the same formula
  with one field of weight 1);
- term sets (expanded wildcards), ``Every`` and ranges add a constant, ``Not``
  adds 1, as Whoosh's matchers do.

An ``Or`` of plain words scored over many documents (at least one in `DENSE_SHARE` of
the index) adds each word's score over its own postings into one vector as long as
the index (`_add_words_everywhere`), then reads that vector at the documents: work in
proportion to the postings, not to the documents times the words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq

from search.whoosh.fields_query import FieldsQuery, fields_term_text, plain_word_terms

if TYPE_CHECKING:
    from search.whoosh.scorer import Evaluation, QueryScorer, TermPostings

__all__ = ["DENSE_SHARE", "add_scores", "fields_scores", "saturate", "term_scores"]

#: An ``Or``'s plain words are scored over the whole index at once when the
#: documents asked are at least this share of it (`_add_any`).
DENSE_SHARE = 1 / 16

Vector = np.ndarray


def saturate(scorer: QueryScorer, idf: float, tf: Vector) -> Vector:
    """``idf * tf * (k1 + 1) / (tf + k1)`` for length-normalised, weighted ``tf``."""
    k1 = scorer.params.k1
    return idf * (tf * (k1 + 1)) / (tf + k1)


def normalised_tf(scorer: QueryScorer, term: TermPostings, fieldname: str, docs: Vector) -> Vector:
    """``tf / (1 - b + b * length / average length)`` of ``term`` in ``fieldname``
    for each of ``docs`` (0 where a document lacks the term)."""
    if not len(term.docs):
        return np.zeros(len(docs))
    at = np.searchsorted(term.docs, docs)
    np.minimum(at, len(term.docs) - 1, out=at)
    tf = np.where(term.docs[at] == docs, term.weights[at], 0.0)
    return tf / scorer.length_norms(fieldname, docs)


def term_scores(scorer: QueryScorer, term: TermPostings, fieldname: str, docs: Vector) -> Vector:
    """BM25 of one field's term for ``docs``, which all hold it (the weight itself for
    an unscored field); equal to Whoosh's ``scoring.bm25`` with the same idf."""
    if term.idf is None:
        return term.weights[np.searchsorted(term.docs, docs)]
    return saturate(scorer, term.idf, normalised_tf(scorer, term, fieldname, docs))


def fields_scores(
    scorer: QueryScorer,
    fieldnames: Sequence[str],
    text: str,
    docs: Vector,
    terms: Sequence[TermPostings] | None = None,
) -> Vector:
    """BM25F of the word ``text`` over ``fieldnames`` for ``docs``: the fields'
    weighted, length-normalised frequencies summed, then saturated once, with the
    idf of the documents holding the word in any of the fields. ``terms``: the
    word's postings in each field, already read for these documents or more."""
    params = scorer.params
    combined = np.zeros(len(docs))
    for number, fieldname in enumerate(fieldnames):
        term = terms[number] if terms is not None else scorer.term_for(fieldname, text, docs)
        if term.idf is not None:
            combined += params.weight(fieldname) * normalised_tf(scorer, term, fieldname, docs)
    return saturate(scorer, scorer.fields_idf(tuple(fieldnames), text), combined)


def _phrase_words(query: FieldsQuery) -> tuple[list[str], tuple[str, ...]] | None:
    """The words and fields of a `FieldsQuery` whose parts are the same phrase."""
    parts = query.subqueries
    if not all(type(part) is wq.Phrase for part in parts):
        return None
    words = parts[0].words
    if any(part.words != words for part in parts):
        return None
    return list(words), tuple(part.fieldname for part in parts)


def add_scores(
    evaluation: Evaluation, query: wq.Query, docs: Vector, totals: Vector, boost: float
) -> None:
    """Add ``query``'s score (times ``boost``) to ``totals``, aligned with ``docs``,
    all of which ``query`` matches."""
    scorer = evaluation.scorer
    kind = type(query)
    boost *= getattr(query, "boost", 1.0)
    if kind is FieldsQuery:
        text = fields_term_text(query)
        if text is not None:
            fieldnames = tuple(part.fieldname for part in query.subqueries)
            terms = [evaluation.term_for(fieldname, text, docs) for fieldname in fieldnames]
            totals += fields_scores(scorer, fieldnames, text, docs, terms) * boost
            return
        phrase = _phrase_words(query)
        if phrase is not None:
            for word in phrase[0]:  # repeated words count again, as in Whoosh
                terms = [evaluation.term_for(fieldname, word, docs) for fieldname in phrase[1]]
                totals += fields_scores(scorer, phrase[1], word, docs, terms) * boost
            return
        _add_any(evaluation, query.subqueries, docs, totals, boost)
    elif kind is wq.Term:
        term = evaluation.term_for(query.fieldname, query.text, docs)
        totals += term_scores(scorer, term, query.fieldname, docs) * boost
    elif kind is wq.Phrase:
        for word in query.words:  # repeated words count again, as in Whoosh
            term = evaluation.term_for(query.fieldname, word, docs)
            totals += term_scores(scorer, term, query.fieldname, docs) * boost
    elif kind is wq.And:
        for child in query.subqueries:
            add_scores(evaluation, child, docs, totals, boost)
    elif kind is wq.Or:
        _add_any(evaluation, query.subqueries, docs, totals, boost)
    elif kind is wq.AndNot:
        add_scores(evaluation, query.a, docs, totals, boost)
    elif kind is wq.Not:
        totals += 1.0  # Whoosh's InverseMatcher scores 1.0, unboosted
    else:  # term sets, Every, ranges: a constant score
        totals += boost


def _plain_word(query: wq.Query) -> tuple[tuple[str, ...], str] | None:
    """(fields, word) of a plain word (`plain_word_terms`: searched in the default
    fields, or a term in one field); None for any other node."""
    terms = plain_word_terms(query)
    if terms is None or not isinstance(terms[0].text, str):
        return None
    return tuple(term.fieldname for term in terms), terms[0].text


def _add_words_everywhere(
    scorer: QueryScorer, words: list[tuple[tuple[str, ...], str, float]], dense: Vector
) -> None:
    """Add to ``dense`` (one value per document of the index) the score of each
    (fields, word, boost) of ``words`` in every document holding it: the same
    values as `fields_scores` (several fields) and `term_scores` (one field),
    computed over each term's postings."""
    params = scorer.params
    combined: Vector | None = None  # one word's weighted tf by document, zero between words
    for fieldnames, text, boost in words:
        if len(fieldnames) == 1:
            term = scorer.term(fieldnames[0], text)
            if not len(term.docs):
                continue
            if term.idf is None:
                dense[term.docs] += term.weights * boost
            else:
                tf = _normalised_own_tf(scorer, term, fieldnames[0])
                dense[term.docs] += saturate(scorer, term.idf, tf) * boost
            continue
        if combined is None:
            combined = np.zeros(len(dense))
        held = []
        for fieldname in fieldnames:
            term = scorer.term(fieldname, text)
            if term.idf is not None and len(term.docs):
                combined[term.docs] += params.weight(fieldname) * _normalised_own_tf(
                    scorer, term, fieldname
                )
                held.append(term.docs)
        if held:
            # A document holding the word in two fields is listed twice; ``+=`` on
            # repeated indices adds once (each copy computes the same value).
            at = np.concatenate(held) if len(held) > 1 else held[0]
            idf = scorer.fields_idf(fieldnames, text)
            dense[at] += saturate(scorer, idf, combined[at]) * boost
            combined[at] = 0.0


def _normalised_own_tf(scorer: QueryScorer, term: TermPostings, fieldname: str) -> Vector:
    """`normalised_tf` of ``term`` for the documents holding it (its own postings)."""
    return term.weights / scorer.length_norms(fieldname, term.docs)


def _add_any(
    evaluation: Evaluation,
    children: Sequence[wq.Query],
    docs: Vector,
    totals: Vector,
    boost: float,
) -> None:
    """The ``Or`` rule: each child adds its score where it matches (plain words over
    many documents: `_add_words_everywhere`)."""
    scorer = evaluation.scorer
    if len(children) > 1 and len(docs) >= scorer.doc_count * DENSE_SHARE:
        words = []
        others = []
        for child in children:
            word = _plain_word(child)
            if word is None:
                others.append(child)
            else:
                words.append((*word, boost * getattr(child, "boost", 1.0)))
        if len(words) > 1:
            dense = np.zeros(scorer.doc_count)
            _add_words_everywhere(scorer, words, dense)
            totals += dense[docs]
            children = others
    for child in children:
        inside = evaluation.mask(child)[docs]
        if inside.any():
            part = np.zeros(int(inside.sum()))
            add_scores(evaluation, child, docs[inside], part, boost)
            totals[inside] += part
