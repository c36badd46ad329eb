"""Whoosh's weighting model with Broadsheet's idf, for the query nodes that
Whoosh's own matchers rank (the vectorised scorer covers the rest)."""

from __future__ import annotations

from typing import Any

from whoosh import scoring

from search.relevance import DEFAULT_RANKING, RankingParams, lucene_idf

__all__ = ["WhooshBM25", "relevance_model"]


class WhooshBM25(scoring.BM25F):
    """Whoosh's per-field BM25 with `lucene_idf`: what Whoosh's own matchers rank by
    when a query node is one the vectorised scorer does not cover."""

    def idf(self, searcher: Any, fieldname: str, text: Any) -> float:
        """`lucene_idf` of the term in this field."""
        parent = searcher.get_parent()
        return lucene_idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))


def relevance_model(params: RankingParams = DEFAULT_RANKING) -> scoring.WeightingModel:
    """The Whoosh weighting for searches Whoosh's matchers rank (uncovered query
    nodes): per-field BM25 with the same k1, b and idf as the scorer."""
    return WhooshBM25(B=params.default_b, K1=params.k1, **params.whoosh_b())
