"""Pseudo-relevance feedback (Bo1): re-ranks the matches of long queries, never adds one."""

from __future__ import annotations

from math import log2

import pytest

from corpus import Article
from indexer import build_index
from search import SearchRequest, SearchService
from search.relevance import DEFAULT_RANKING
from search.whoosh.feedback import bo1_terms, feedback_words

# Four reactor stories share "uranium enrichment centrifuge"; "plant" stories share
# nothing else. The query names "reactor safety inspection report" (4 words).
ARTICLES = [
    Article(
        id=f"reactor-{n}",
        title=f"Reactor safety inspection report {n}",
        body="The reactor safety inspection report covered uranium enrichment and centrifuge "
        "halls; inspectors checked the uranium stock and the centrifuge cascade.",
    )
    for n in range(4)
] + [
    Article(
        id="centrifuge-only",
        title="Centrifuge halls expand",
        body="New uranium enrichment centrifuge halls opened; the safety of the uranium "
        "centrifuge cascade was praised.",
    ),
    Article(
        id="garden-safety",
        title="Garden safety tips",
        body="Safety in the garden: wear gloves, store tools, and keep children away from "
        "ponds and sheds; a short safety checklist for the spring.",
    ),
    *[
        Article(id=f"filler-{n}", title=f"Weather note {n}", body="Sunny spells and light winds.")
        for n in range(12)
    ],
]
QUERY = "reactor safety inspection report"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("feedback") / "index"
    build_index(ARTICLES, folder)
    return folder


def ranked(index, q: str, feedback: bool) -> list[str]:
    params = DEFAULT_RANKING if feedback else DEFAULT_RANKING.with_(feedback_docs=0)
    service = SearchService(index, ranking=params)
    try:
        response = service.search(SearchRequest(q=q, op="or", collapse=False, per_page=50))
    finally:
        service.close()
    return [hit.id for hit in response.hits]


def test_feedback_reranks_but_never_adds_or_drops_a_match(index) -> None:
    without, with_ = ranked(index, QUERY, False), ranked(index, QUERY, True)
    assert set(with_) == set(without)
    # The story about the feedback words ("uranium", "centrifuge") rises above the one
    # that only shares the common query word "safety".
    assert with_.index("centrifuge-only") < with_.index("garden-safety")
    assert with_.index("centrifuge-only") <= without.index("centrifuge-only")


def test_short_queries_are_not_expanded(index) -> None:
    assert ranked(index, "reactor safety", True) == ranked(index, "reactor safety", False)


def test_bo1_weights_follow_the_formula(index) -> None:
    from indexer.whoosh.schema import TEXT_ANALYZER
    from search.whoosh.feedback import FEEDBACK_FIELDS

    texts = ["uranium centrifuge uranium weather", "uranium centrifuge sunny"]
    counts, holding = feedback_words(texts, TEXT_ANALYZER)
    assert counts["uranium"] == 3 and holding["uranium"] == 2 and holding["weather"] == 1
    service = SearchService(index)
    try:
        scorer = service.served.current().scorer
        terms = dict(bo1_terms(scorer, counts, holding, 5))
        assert "weather" not in terms and "sunny" not in terms  # in one document only

        def bo1(word: str) -> float:
            p = scorer.collection_frequency(FEEDBACK_FIELDS, word) / scorer.doc_count
            return counts[word] * log2((1 + p) / p) + log2(1 + p)

        top = max(bo1(word) for word in terms)
        for word, share in terms.items():
            assert share == pytest.approx(bo1(word) / top)
    finally:
        service.close()


def test_only_the_best_matches_are_reranked(index, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from search.whoosh import feedback

    service = SearchService(index)
    try:
        scorer = service.served.current().scorer
        docs = np.arange(scorer.doc_count, dtype=np.int64)
        scores = np.linspace(1.0, 2.0, len(docs))[::-1].copy()  # document 0 best
        terms = [("uranium", 1.0), ("centrifuge", 0.5)]
        everywhere = feedback.expand_scores(scorer, docs, scores, terms)
        monkeypatch.setattr(feedback, "FEEDBACK_DEPTH", 3)
        deep3 = feedback.expand_scores(scorer, docs, scores, terms)
    finally:
        service.close()
    changed = np.flatnonzero(everywhere != scores)
    assert len(changed) > 3  # the words are in more than the three best
    assert np.array_equal(deep3[:3], everywhere[:3])  # the three best: re-ranked
    assert np.array_equal(deep3[3:], scores[3:])  # the rest keep their own scores
    assert deep3[:3].min() >= deep3[3:].max()


def test_words_in_most_articles_are_not_added(index, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.whoosh.schema import TEXT_ANALYZER
    from search.whoosh import feedback

    # "sunny" is in the 12 weather notes of 18 articles; "uranium" in 5.
    texts = ["sunny uranium centrifuge sunny", "sunny uranium centrifuge sunny sunny"]
    counts, holding = feedback_words(texts, TEXT_ANALYZER)
    service = SearchService(index)
    try:
        scorer = service.served.current().scorer
        kept = dict(bo1_terms(scorer, counts, holding, 5))
        assert "uranium" in kept and "sunni" not in kept  # stems
        monkeypatch.setattr(feedback, "FEEDBACK_MAX_SHARE", 1.0)
        assert "sunni" in dict(bo1_terms(scorer, counts, holding, 5))
    finally:
        service.close()
