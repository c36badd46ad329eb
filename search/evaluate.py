"""Ranking evaluation: TREC topics and qrels in, MAP / nDCG@10 / P@10 / recall@100 out.

Topics: one ``qid<TAB>query text`` a line (``#`` comments and blank lines are
skipped). Qrels: TREC format, ``qid 0 docid relevance`` (whitespace separated).
Each topic runs through the same `SearchService.search` as every other caller,
with OR semantics (natural-language topics rarely have every word in one
article), near-duplicates not collapsed (the qrels judge articles), and the top
`RUN_DEPTH` articles kept. The measures come from ``ir-measures`` (the
``pytrec_eval`` / trec_eval implementations), imported only when evaluating.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from search.models import MAX_PER_PAGE, SearchRequest

#: Articles kept per topic (recall@100 needs 100).
RUN_DEPTH = 100
#: Measure names, in the order printed.
MEASURES = ("MAP", "nDCG@10", "P@10", "R@100")


class EvaluationInputError(ValueError):
    """A topics or qrels file that cannot be read."""


@dataclass(frozen=True, slots=True)
class Judgement:
    """One qrels line."""

    qid: str
    docid: str
    relevance: int


def read_topics(path: Path) -> dict[str, str]:
    """``qid -> query text`` from a TREC-style tab-separated topics file."""
    topics: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        qid, sep, text = line.partition("\t")
        if not sep or not qid.strip() or not text.strip():
            raise EvaluationInputError(f"{path}:{number}: expected 'qid<TAB>query text'")
        topics[qid.strip()] = text.strip()
    return topics


def read_qrels(path: Path) -> list[Judgement]:
    """The judgements of a TREC qrels file (``qid 0 docid relevance``)."""
    judgements = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 4 or not parts[3].lstrip("-").isdigit():
            raise EvaluationInputError(f"{path}:{number}: expected 'qid 0 docid relevance'")
        judgements.append(Judgement(parts[0], parts[2], int(parts[3])))
    return judgements


def run_topics(service: object, topics: dict[str, str]) -> dict[str, list[str]]:
    """Ranked article ids (best first, at most `RUN_DEPTH`) for every topic."""
    run: dict[str, list[str]] = {}
    for qid, text in topics.items():
        ranked: list[str] = []
        page = 1
        while len(ranked) < RUN_DEPTH:
            request = SearchRequest(
                q=text,
                op="or",
                page=page,
                per_page=MAX_PER_PAGE,
                collapse=False,
                facets=False,
                snippets=False,
            )
            response = service.search(request)  # type: ignore[attr-defined]
            ranked += [hit.id for hit in response.hits]
            if len(response.hits) < MAX_PER_PAGE:
                break
            page += 1
        run[qid] = ranked[:RUN_DEPTH]
    return run


def _scored(run: dict[str, list[str]]) -> Iterator[object]:
    import ir_measures

    for qid, ids in run.items():
        for rank, docid in enumerate(ids):
            # Distinct descending scores keep our order (trec_eval re-sorts by score).
            yield ir_measures.ScoredDoc(qid, docid, float(len(ids) - rank))


def measure(
    judgements: Iterable[Judgement], run: dict[str, list[str]]
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean measures over the judged topics, and the measures of each topic.

    Topics without judgements are left out (trec_eval's convention); a judged
    topic the run did not answer counts as zero.
    """
    try:
        import ir_measures
        from ir_measures import AP, P, R, nDCG
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "evaluation needs the ir-measures package: pip install ir-measures"
        ) from error
    named = {"MAP": AP, "nDCG@10": nDCG @ 10, "P@10": P @ 10, "R@100": R @ 100}
    by_measure = {str(value): name for name, value in named.items()}
    qrels = [ir_measures.Qrel(j.qid, j.docid, j.relevance) for j in judgements]
    judged = {qrel.query_id for qrel in qrels}
    full_run = {qid: run.get(qid, []) for qid in judged}
    per_query: dict[str, dict[str, float]] = {qid: dict.fromkeys(MEASURES, 0.0) for qid in judged}
    for metric in ir_measures.iter_calc(list(named.values()), qrels, list(_scored(full_run))):
        per_query[metric.query_id][by_measure[str(metric.measure)]] = float(metric.value)
    count = len(per_query) or 1
    means = {name: sum(values[name] for values in per_query.values()) / count for name in MEASURES}
    return means, per_query
