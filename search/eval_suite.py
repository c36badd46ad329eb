"""The judged-collection suite: one index per collection, every query, one table.

A suite folder (``../shared/data/ir-collections``) holds one folder per collection
with ``corpus.jsonl.gz``, ``queries.tsv`` and ``qrels.txt``, and a README whose
baseline table (``| name | (a) system | MAP | nDCG@10 | P@10 | R@100 |``) is printed
beside our numbers. Each collection is indexed with the real indexer
(`indexer.build_from_paths`, as ``python -m indexer build`` does) into a cache
folder named by the corpus checksum, the schema version and a fingerprint of the
reading and indexing code, so an index is rebuilt exactly when what it holds
could differ. Queries are lowercased and every character that is not a letter or
digit becomes a space (the baselines' rule), then run through
`SearchService.search` (the JSON API's entry point) with ``op=or``, ``collapse=0``
and the top `search.evaluate.RUN_DEPTH` kept (`search.evaluate.run_topics`).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search.evaluate import MEASURES, measure, read_qrels, read_topics, run_topics

#: The collections of ``ir-collections``, in the README's order.
COLLECTIONS = ("cran", "cisi", "med", "cacm", "npl")
#: Baseline systems shown beside ours: the README's row label starts with this.
BASELINE_LABELS = {"bm25s+stem": "(a)", "fts5-porter": "(b)"}
_REPO = Path(__file__).resolve().parent.parent
#: Code whose changes can change what an index holds (readers, schema, analysis).
_INDEX_CODE = ("corpus", "indexer")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ROW = re.compile(r"^\|\s*(\w+)\s*\|\s*(\([a-z]\))[^|]*\|((?:\s*[\d.]+\s*\|){4})\s*$")


def prepare_query(text: str) -> str:
    """The baselines' query rule: lowercase, anything but letters and digits to spaces."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


@dataclass(frozen=True, slots=True)
class CollectionResult:
    """One collection's mean measures and each query's."""

    name: str
    means: dict[str, float]
    per_query: dict[str, dict[str, float]]
    run: dict[str, list[str]] = field(repr=False, default_factory=dict)


def read_baselines(readme: Path) -> dict[str, dict[str, dict[str, float]]]:
    """``{system: {collection: {measure: value}}}`` from the suite README's table
    (empty when there is none)."""
    if not readme.is_file():
        return {}
    found: dict[str, dict[str, dict[str, float]]] = {}
    labels = {label: system for system, label in BASELINE_LABELS.items()}
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.strip())
        if match is None or match[2] not in labels:
            continue
        values = [float(cell) for cell in match[3].split("|") if cell.strip()]
        found.setdefault(labels[match[2]], {})[match[1]] = dict(zip(MEASURES, values, strict=True))
    return found


def code_fingerprint(packages: Iterable[str] = _INDEX_CODE) -> str:
    """A digest of the Python source of ``packages`` (what builds an index)."""
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted((_REPO / package).rglob("*.py")):
            digest.update(path.relative_to(_REPO).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def index_key(corpus: Path) -> str:
    """Cache key of a collection's index: corpus checksum, schema version, code."""
    from indexer.whoosh.schema import SCHEMA_VERSION

    checksum = hashlib.sha256(corpus.read_bytes()).hexdigest()[:12]
    return f"{checksum}-s{SCHEMA_VERSION}-{code_fingerprint()}"


def collection_index(folder: Path, cache: Path, log: Callable[[str], None] = print) -> Path:
    """The index of the collection in ``folder``, built into ``cache`` unless a build
    of the same key is there (older builds of that collection are removed)."""
    from corpus import ReadReport
    from indexer.whoosh.build import build_from_paths

    corpus = folder / "corpus.jsonl.gz"
    target = cache / f"{folder.name}-{index_key(corpus)}"
    if (target / "CURRENT").is_file():
        return target
    for stale in cache.glob(f"{folder.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    report = ReadReport()
    result = build_from_paths([corpus], target, report)
    log(
        f"{folder.name}: indexed {result.articles} articles in {result.seconds:.1f} s "
        f"({report.duplicates} duplicates dropped, {len(report.problems)} problems)"
    )
    if report.problems:
        log(report.summary())
    return target


def evaluate_collection(
    folder: Path, index: Path, service_factory: Callable[[Path], Any] | None = None
) -> CollectionResult:
    """Run every query of the collection in ``folder`` against ``index`` and measure."""
    from search.whoosh.engine import SearchService

    topics = {qid: prepare_query(text) for qid, text in read_topics(folder / "queries.tsv").items()}
    service = (service_factory or SearchService)(index)
    try:
        run = run_topics(service, topics)
    finally:
        service.close()
    means, per_query = measure(read_qrels(folder / "qrels.txt"), run)
    return CollectionResult(folder.name, means, per_query, run)


def run_suite(
    suite: Path,
    cache: Path,
    names: Iterable[str] = COLLECTIONS,
    log: Callable[[str], None] = print,
    service_factory: Callable[[Path], Any] | None = None,
) -> list[CollectionResult]:
    """Index (or reuse) and evaluate each named collection of ``suite``."""
    results = []
    for name in names:
        folder = suite / name
        index = collection_index(folder, cache, log)
        results.append(evaluate_collection(folder, index, service_factory))
    return results


def mean_row(results: list[CollectionResult]) -> dict[str, float]:
    """The unweighted mean of each measure over the collections."""
    count = len(results) or 1
    return {name: sum(r.means[name] for r in results) / count for name in MEASURES}


def format_table(
    results: list[CollectionResult], baselines: dict[str, dict[str, dict[str, float]]]
) -> str:
    """Our four measures per collection and their mean, each baseline's MAP and
    nDCG@10 beside them."""
    systems = list(baselines)
    head = ["collection", *MEASURES]
    for system in systems:
        head += [f"{system} MAP", f"{system} nDCG@10"]
    rows = [head]

    def cells(name: str, ours: dict[str, float], theirs: dict[str, dict[str, float]]) -> list[str]:
        row = [name, *(f"{ours[m]:.4f}" for m in MEASURES)]
        for system in systems:
            values = theirs.get(system)
            row += [f"{values['MAP']:.4f}", f"{values['nDCG@10']:.4f}"] if values else ["", ""]
        return row

    for result in results:
        theirs = {s: baselines[s].get(result.name) for s in systems}
        rows.append(cells(result.name, result.means, {k: v for k, v in theirs.items() if v}))
    names = [r.name for r in results]
    theirs_mean: dict[str, dict[str, float]] = {}
    for system in systems:
        per = [found for name in names if (found := baselines[system].get(name))]
        if len(per) == len(names):
            theirs_mean[system] = {m: sum(p[m] for p in per) / len(per) for m in MEASURES}
    rows.append(cells("mean", mean_row(results), theirs_mean))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if number == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
