"""Choosing ranking parameters by leave-one-collection-out cross-validation.

``python -m search tune --suite ../shared/data/ir-collections`` indexes the judged
collections as ``evaluate --suite`` does (same cache), parses every query once
(``op=or``, as evaluated), and ranks it under each parameter set of a grid with
the served code (`search.whoosh.scorer`, `search.whoosh.bm25f`,
`search.whoosh.feedback`, the same top-k as `search.whoosh.execution`); only the
parameters change between runs (postings, document frequencies and parsed queries do
not depend on them and are reused).

Selection is in two stages, each by mean MAP over collections, never per
collection: first BM25F's ``k1``, ``b`` per field and the title weight with
feedback off, then the feedback settings on top of the chosen ones. For each
collection in turn ("fold"), both stages are chosen on the other four and the
held-out collection's MAP is reported; the shipped parameters are then chosen the
same way on all five. The printed report names the grid, every fold's choice and
held-out MAP, and the final choice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from search.deadline import Deadline
from search.eval_suite import COLLECTIONS, collection_index, prepare_query
from search.evaluate import RUN_DEPTH, measure, read_qrels, read_topics
from search.relevance import DEFAULT_RANKING, RankingParams
from search.whoosh.execution import Snapshot, best_positions, with_feedback
from search.whoosh.query import parse_query

__all__ = ["BASE_GRID", "FEEDBACK_GRID", "Collection", "cross_validate", "load_collection"]

#: Stage 1: BM25F parameters (feedback off).
BASE_GRID: dict[str, Sequence[float]] = {
    "k1": (0.9, 1.2, 1.5, 2.0),
    "body_b": (0.5, 0.65, 0.75, 0.9),
    "title_b": (0.3, 0.5, 0.75, 0.9),
    "title_weight": (1.0, 1.5, 2.0, 3.0, 4.0),
}
#: Stage 2: pseudo-relevance feedback (Bo1) on top of stage 1's choice.
FEEDBACK_GRID: dict[str, Sequence[float]] = {
    "feedback_docs": (5, 10),
    "feedback_terms": (10, 20, 30),
    "feedback_weight": (0.5, 1.0),
}


@dataclass
class Collection:
    """One judged collection, opened once: its snapshot, parsed queries, ids, qrels."""

    name: str
    snapshot: Snapshot
    queries: dict[str, object]
    ids: list[str]
    judgements: list[Any]


def load_collection(service: object, folder: Path) -> Collection:
    """Parse ``folder``'s queries against the index ``service`` serves."""
    snapshot = service.served.current()  # type: ignore[attr-defined]
    searcher = snapshot.searcher
    reader = searcher.reader()
    queries = {}
    for qid, text in read_topics(folder / "queries.tsv").items():
        queries[qid] = parse_query(prepare_query(text), searcher.schema, "or", reader=reader).query
    ids = [fields.get("id", "") for fields in reader.all_stored_fields()]
    if len(ids) != reader.doc_count_all():  # deletions: number by document
        ids = [searcher.stored_fields(d)["id"] for d in range(reader.doc_count_all())]
    return Collection(folder.name, snapshot, queries, ids, read_qrels(folder / "qrels.txt"))


def run_collection(collection: Collection, params: RankingParams) -> float:
    """MAP of ``collection`` ranked with ``params`` (top `RUN_DEPTH`, no collapsing)."""
    scorer = collection.snapshot.scorer
    scorer.params = params  # postings and document frequencies do not depend on them
    run: dict[str, list[str]] = {}
    for qid, query in collection.queries.items():
        evaluation = scorer.evaluate(query)
        docs = evaluation.docs
        if not len(docs):
            run[qid] = []
            continue
        unlimited = Deadline.unlimited()
        scores = evaluation.scores(docs)
        scores = with_feedback(collection.snapshot, query, docs, scores, unlimited)
        best = best_positions(docs, scores, RUN_DEPTH, None, unlimited)
        run[qid] = [collection.ids[d] for d in docs[best].tolist()]
    means, _ = measure(collection.judgements, run)
    return means["MAP"]


def grid(base: RankingParams, axes: dict[str, Sequence[float]]) -> list[RankingParams]:
    """Every combination of ``axes`` applied to ``base``."""
    names = list(axes)
    found = []
    for values in itertools.product(*(axes[name] for name in names)):
        changes = {
            n: (int(v) if n in ("feedback_docs", "feedback_terms", "feedback_min_words") else v)
            for n, v in zip(names, values, strict=True)
        }
        found.append(base.with_(**changes))
    return found


def read_log(lines: Iterable[str]) -> dict[str, dict[str, float]]:
    """The scores an earlier run logged (``describe()  name=MAP ...`` lines), by the
    parameters' description: ``tune --resume LOG`` measures only what is missing."""
    found: dict[str, dict[str, float]] = {}
    for line in lines:
        described, _, values = line.rstrip("\n").rpartition("  ")
        pairs = [item.split("=", 1) for item in values.split()]
        if described and pairs and all(len(pair) == 2 for pair in pairs):
            try:
                found[described] = {name: float(value) for name, value in pairs}
            except ValueError:
                continue
    return found


def _scores(
    collections: Sequence[Collection],
    candidates: Iterable[RankingParams],
    cache: dict[RankingParams, dict[str, float]],
    log: Callable[[str], None],
    logged: dict[str, dict[str, float]] | None = None,
) -> None:
    names = {c.name for c in collections}
    for params in candidates:
        earlier = (logged or {}).get(params.describe())
        if params not in cache and earlier is not None and names <= set(earlier):
            cache[params] = {c.name: earlier[c.name] for c in collections}
        if params not in cache:
            cache[params] = {c.name: run_collection(c, params) for c in collections}
            values = " ".join(f"{n}={v:.4f}" for n, v in cache[params].items())
            log(f"{params.describe()}  {values}")


def _best(
    cache: dict[RankingParams, dict[str, float]],
    candidates: Iterable[RankingParams],
    names: Sequence[str],
) -> RankingParams:
    """The candidate with the highest mean MAP over ``names`` (first on ties)."""
    return max(candidates, key=lambda p: float(np.mean([cache[p][n] for n in names])))


@dataclass(frozen=True)
class Fold:
    """One held-out collection: what the other four chose, and its MAP."""

    held_out: str
    base: RankingParams
    chosen: RankingParams
    train_map: float
    held_out_map: float
    held_out_base_map: float


def cross_validate(
    collections: Sequence[Collection],
    base_grid: dict[str, Sequence[float]] = BASE_GRID,
    feedback_grid: dict[str, Sequence[float]] = FEEDBACK_GRID,
    start: RankingParams = DEFAULT_RANKING,
    log: Callable[[str], None] = print,
    logged: dict[str, dict[str, float]] | None = None,
) -> tuple[list[Fold], RankingParams]:
    """Leave-one-collection-out folds of the two-stage selection, and the parameters
    the same selection picks on every collection (``logged``: `read_log` of an earlier
    run, whose scores are reused)."""
    cache: dict[RankingParams, dict[str, float]] = {}
    stage1 = grid(replace(start, feedback_docs=0, feedback_terms=0, feedback_weight=0.0), base_grid)
    _scores(collections, stage1, cache, log, logged)
    names = [c.name for c in collections]

    def choose(train: Sequence[str]) -> tuple[RankingParams, RankingParams]:
        base = _best(cache, stage1, train)
        stage2 = grid(base, feedback_grid)
        _scores(collections, stage2, cache, log, logged)
        return base, _best(cache, [base, *stage2], train)

    folds = []
    for held_out in names:
        train = [n for n in names if n != held_out]
        base, chosen = choose(train)
        folds.append(
            Fold(
                held_out,
                base,
                chosen,
                float(np.mean([cache[chosen][n] for n in train])),
                cache[chosen][held_out],
                cache[base][held_out],
            )
        )
    _, final = choose(names)
    return folds, final


def report(folds: Sequence[Fold], final: RankingParams, cache_note: str = "") -> str:
    """The folds and the final choice as text."""
    lines = ["leave-one-collection-out (choose on four, test on the fifth):"]
    for fold in folds:
        lines.append(
            f"  held out {fold.held_out:<5} chosen: {fold.chosen.describe()}  "
            f"train MAP {fold.train_map:.4f}  held-out MAP {fold.held_out_map:.4f} "
            f"(stage 1 only: {fold.held_out_base_map:.4f})"
        )
    mean = float(np.mean([f.held_out_map for f in folds])) if folds else 0.0
    lines.append(f"  mean held-out MAP {mean:.4f}")
    lines.append(f"chosen on all collections: {final.describe()}")
    if cache_note:
        lines.append(cache_note)
    return "\n".join(lines)


def open_collections(suite: Path, cache: Path, names: Sequence[str] = COLLECTIONS) -> list[Any]:
    """(service, collection) for each named collection of ``suite`` (close the services)."""
    from search.whoosh.engine import SearchService

    opened = []
    for name in names:
        index = collection_index(suite / name, cache)
        service = SearchService(index)
        opened.append((service, load_collection(service, suite / name)))
    return opened
