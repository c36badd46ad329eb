"""The relevance function: BM25F over the searched fields, its parameters in one place.

A word searched in the default fields (`search.whoosh.fields_query.FieldsQuery`) is
scored by BM25F (Robertson, Zaragoza and Taylor, "Simple BM25 extension to
multiple weighted fields", 2004; computed in `search.whoosh.bm25f`): each field's term
frequency is normalised by that field's length, weighted, and summed, and the
sum is saturated once::

    tf~(d) = sum over fields f of  w_f * tf_f(d) / (1 - b_f + b_f * len_f(d) / avglen_f)
    score  = qtf * idf * tf~(d) * (k1 + 1) / (tf~(d) + k1)
    idf    = ln(1 + (N - df + 0.5) / (df + 0.5))        (Lucene's, never negative)

where ``df`` counts the documents holding the word in any of the fields and
``qtf`` is how often the query repeats the word. A title that repeats the start
of the body thus adds to one saturating frequency instead of scoring the word
twice. A word in one named field (``title:budget``) is the same formula over that
field alone, with weight 1: Whoosh's BM25 with this idf
(`search.whoosh.weighting`).

This module is backend-neutral: the parameters and the idf, not an engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import log
from typing import Any

__all__ = [
    "DEFAULT_FIELD_BOOSTS",
    "DEFAULT_RANKING",
    "RankingParams",
    "lucene_idf",
]


#: Fields searched when a query names none, with their boosts (both backends).
DEFAULT_FIELD_BOOSTS = {"title": 1.5, "body": 1.0}


@dataclass(frozen=True, slots=True)
class RankingParams:
    """Everything relevance ranking can be tuned by (immutable; `with_` makes variants).

    The defaults are what ``python -m search tune`` chose on all five judged collections
    (leave-one-collection-out held-out MAP 0.3477; docs/relevance.md)."""

    #: Term-frequency saturation.
    k1: float = 1.5
    #: Length normalisation per field (fields not named use ``default_b``).
    b: tuple[tuple[str, float], ...] = (("title", 0.75), ("body", 0.65))
    default_b: float = 0.75
    #: BM25F weight of each default field (a term frequency multiplier).
    weights: tuple[tuple[str, float], ...] = (("title", 3.0), ("body", 1.0))
    #: Pseudo-relevance feedback (Bo1): documents read, terms added, their weight (0: off).
    feedback_docs: int = 10
    feedback_terms: int = 30
    feedback_weight: float = 1.0
    #: Feedback runs for queries of at least this many distinct words.
    feedback_min_words: int = 4
    #: Extra settings an experiment may carry (not used by the shipped ranking).
    extra: tuple[tuple[str, Any], ...] = field(default=())

    def field_b(self, fieldname: str) -> float:
        """Length normalisation of ``fieldname`` (``*_exact`` fields share their base's)."""
        base = fieldname.removesuffix("_exact")
        return dict(self.b).get(base, self.default_b)

    def weight(self, fieldname: str) -> float:
        """BM25F weight of ``fieldname`` (1 for fields not listed)."""
        base = fieldname.removesuffix("_exact")
        return dict(self.weights).get(base, 1.0)

    def with_(self, **changes: Any) -> RankingParams:
        """A copy with ``changes``; ``title_b``/``body_b``/``title_weight`` set one field."""
        b, weights = dict(self.b), dict(self.weights)
        for name in list(changes):
            if name.endswith("_b"):
                b[name.removesuffix("_b")] = float(changes.pop(name))
            elif name.endswith("_weight") and name != "feedback_weight":
                weights[name.removesuffix("_weight")] = float(changes.pop(name))
        return replace(self, b=tuple(b.items()), weights=tuple(weights.items()), **changes)

    def whoosh_b(self) -> dict[str, float]:
        """The per-field b as Whoosh's ``BM25F`` takes them (``title_B=...``)."""
        return {f"{name}_B": value for name, value in self.b}

    def describe(self) -> str:
        """One line naming every parameter."""
        parts = [f"k1={self.k1:g}"]
        parts += [f"{name}_b={value:g}" for name, value in self.b]
        parts += [f"{name}_weight={value:g}" for name, value in self.weights]
        if self.feedback_docs and self.feedback_terms and self.feedback_weight:
            parts.append(
                f"feedback={self.feedback_docs} docs/{self.feedback_terms} terms"
                f"/weight {self.feedback_weight:g}/from {self.feedback_min_words} words"
            )
        return " ".join(parts)


#: The ranking every search uses unless a caller (evaluation, tuning) passes another.
DEFAULT_RANKING = RankingParams()


def lucene_idf(documents: int, df: int) -> float:
    """``ln(1 + (N - df + 0.5) / (df + 0.5))``: high for rare words, near 0 (never
    below) for words in nearly every document."""
    return log(1.0 + (documents - df + 0.5) / (df + 0.5))
