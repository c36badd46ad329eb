"""Pseudo-relevance feedback: the query's best matches suggest more words (Bo1).

After the first scoring, the best few matches (one per near-duplicate story) are
read again, and the words they use far more than the collection at large are
added to the query with Amati's Bo1 weight (divergence from randomness, Bose-
Einstein statistics; Amati, "Probability models for information retrieval based
on divergence from randomness", 2003; Terrier's default query expansion)::

    w(t) = tf_x * log2((1 + P) / P) + log2(1 + P),   P = F(t) / N

where ``tf_x`` is the word's frequency in the feedback documents, ``F(t)`` its
frequency in the whole collection and ``N`` the number of documents. The
`RankingParams.feedback_terms` best words each add
``feedback_weight * w(t) / max w * BM25F(t)`` to the score of every matched
document (`search.whoosh.bm25f.fields_scores`). Feedback only re-ranks: it never adds
a match, so totals and facets are the query's own. It runs for queries of at least
`RankingParams.feedback_min_words` distinct words (see docs/relevance.md for why).

Work is bounded: `MAX_FEEDBACK_CHARS` of each feedback document are analysed,
collection frequencies are cached per index snapshot, only the `FEEDBACK_DEPTH` best
matches are re-ranked, and each added word is read only where it may meet them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from math import log2
from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq
from whoosh.analysis import Analyzer

from indexer.analysis import analysis_parts
from search.whoosh.bm25f import fields_scores

if TYPE_CHECKING:
    from search.whoosh.scorer import QueryScorer, TermPostings

__all__ = [
    "FEEDBACK_FIELDS",
    "FEEDBACK_DEPTH",
    "FEEDBACK_MAX_SHARE",
    "MAX_FEEDBACK_CHARS",
    "bo1_terms",
    "expand_scores",
    "feedback_words",
    "query_words",
]

#: The fields feedback reads and scores its words in.
FEEDBACK_FIELDS = ("title", "body")
#: Characters of each feedback document analysed (a long article is read in part).
MAX_FEEDBACK_CHARS = 20_000
#: Matches re-ranked by feedback: the best this many by the query's own score (the
#: usual re-ranking depth); the rest keep their scores, which are below all of them,
#: since feedback only adds. A broad query over a large archive thus costs the same.
FEEDBACK_DEPTH = 1000
#: A word held by more than this share of the articles is not added: its idf is near
#: zero (0.13 for "said" in 88 % of 200,000 articles), so it adds about the same little
#: to most matches, while scoring it reads one of the longest posting lists there is.
#: (Bo1 weighs by occurrences, so it picks such words when the best matches repeat them.)
FEEDBACK_MAX_SHARE = 0.5


def query_words(query: wq.Query) -> set[str]:
    """The distinct words a query scores (terms and phrase words, not under a NOT)."""
    words: set[str] = set()

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            walk(node.a)
            return
        if type(node) is wq.Term and isinstance(node.text, str):
            words.add(node.text)
        elif type(node) is wq.Phrase:
            words.update(node.words)
        for child in node.children():
            walk(child)

    walk(query)
    return words


def feedback_words(texts: Iterable[str], analyzer: Analyzer) -> tuple[Counter[str], Counter[str]]:
    """How often each indexed word (stem) occurs in ``texts``, as the analyzer
    indexes them (stop words dropped), and in how many of the texts."""
    counts: Counter[str] = Counter()
    holding: Counter[str] = Counter()
    parts = analysis_parts(analyzer)
    for text in texts:
        text = text[:MAX_FEEDBACK_CHARS]
        if parts is not None:
            found = Counter(stem.decode("utf-8") for stem in parts.index_stems(parts.words(text)))
        else:
            found = Counter(token.text for token in analyzer(text))
        found.pop("", None)
        counts.update(found)
        holding.update(found.keys())
    return counts, holding


def bo1_terms(
    scorer: QueryScorer, counts: Counter[str], holding: Counter[str], wanted: int
) -> list[tuple[str, float]]:
    """The ``wanted`` words of ``counts`` (frequencies in the feedback documents)
    with the highest Bo1 weight, and that weight divided by the highest. With more
    than one feedback document, only words in at least two of them are candidates
    (``holding``: in how many; this also bounds the statistics looked up), and words
    in more than `FEEDBACK_MAX_SHARE` of the articles are not."""
    documents = scorer.doc_count or 1
    least = min(2, max(holding.values(), default=0))
    weighted = []
    for word, tf in counts.items():
        if holding[word] < least:
            continue
        frequency = scorer.collection_frequency(FEEDBACK_FIELDS, word)
        if frequency <= 0:
            continue
        common = FEEDBACK_MAX_SHARE * documents  # occurrences bound documents from above
        if frequency > common and scorer.document_frequency(FEEDBACK_FIELDS, word) > common:
            continue
        p = frequency / documents
        weighted.append((tf * log2((1 + p) / p) + log2(1 + p), word))
    weighted.sort(key=lambda item: (-item[0], item[1]))
    best = weighted[:wanted]
    if not best or best[0][0] <= 0:
        return []
    top = best[0][0]
    return [(word, weight / top) for weight, word in best]


def expand_scores(
    scorer: QueryScorer,
    docs: np.ndarray,
    scores: np.ndarray,
    terms: list[tuple[str, float]],
    read: Callable[[str, str, np.ndarray], TermPostings] | None = None,
) -> np.ndarray:
    """``scores`` (aligned with ``docs``, ascending) plus the feedback words' weighted
    BM25F, each computed only on the documents holding the word, for the
    `FEEDBACK_DEPTH` best-scored of ``docs``. ``read`` reads a word's postings for
    documents (default `QueryScorer.term_for`; the query's evaluation reuses its reads)."""
    weight = scorer.params.feedback_weight
    expanded = scores.copy()
    if not len(docs):
        return expanded
    if len(docs) > FEEDBACK_DEPTH:  # the best by the query's own score, ascending
        best = np.sort(np.argpartition(-scores, FEEDBACK_DEPTH - 1)[:FEEDBACK_DEPTH])
        expanded[best] = expand_scores(scorer, docs[best], scores[best], terms, read)
        return expanded
    read = read or scorer.term_for
    for word, share in terms:
        holding = np.zeros(len(docs), dtype=bool)
        postings_read = [read(fieldname, word, docs) for fieldname in FEEDBACK_FIELDS]
        for term in postings_read:  # which matches hold the word (no set union)
            postings = term.docs
            if not len(postings):
                continue
            if len(postings) < len(docs):  # search the shorter list in the longer one
                at = np.searchsorted(docs, postings)
                np.minimum(at, len(docs) - 1, out=at)
                holding[at[docs[at] == postings]] = True
            else:
                at = np.searchsorted(postings, docs)
                np.minimum(at, len(postings) - 1, out=at)
                holding |= postings[at] == docs
        if holding.any():
            found = docs[holding]
            expanded[holding] += (
                weight * share * fields_scores(scorer, FEEDBACK_FIELDS, word, found, postings_read)
            )
    return expanded
