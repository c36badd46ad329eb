"""Spelling evaluation: a misspelling test set in, accuracy and latency out.

The set (``search/eval/spelling_demo.tsv``, made by ``python -m bench.spelling_set``)
has one ``part<TAB>kind<TAB>query<TAB>expected`` a line; an empty ``expected`` means
no suggestion is right (a correct word, a name, gibberish). Each query runs through
`SearchService.search`, the entry point of the API and the pages, and its answer is
the query the results were corrected to (``corrected_query``) or else the
did-you-mean ``suggestion``; it is right when it equals ``expected`` ignoring case
and spacing. Every query runs twice: the first pass is timed as "cold" (the
generation's caches and spelling model not yet loaded), the second as "warm".
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from search.backends import SearchBackend
from search.models import SearchRequest

#: Parts of a set, in the order printed.
PARTS = ("dev", "test")


class SpellingSetError(ValueError):
    """A test set file that cannot be read."""


@dataclass(frozen=True, slots=True)
class SpellingCase:
    """One query of the set and the suggestion it should get ("" for none)."""

    part: str
    kind: str
    query: str
    expected: str


@dataclass(frozen=True, slots=True)
class SpellingResult:
    """What one case got: the answer, whether it is right, timings and hits as typed."""

    case: SpellingCase
    answer: str
    right: bool
    cold_ms: float
    warm_ms: float
    #: Whether the query as typed found nothing (then it is a "zero-hit" query).
    zero_hit: bool
    #: Whether the results shown were those of the correction (``corrected_query``).
    shown: bool = False


def read_cases(path: Path) -> list[SpellingCase]:
    """The cases of a tab-separated set file (``#`` comments and blank lines skipped)."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4 or fields[0] not in PARTS or not fields[2].strip():
            raise SpellingSetError(f"{path}:{number}: expected part, kind, query, expected")
        cases.append(SpellingCase(*fields))
    return cases


def normalise(text: str | None) -> str:
    """Lower case, single spaces."""
    return " ".join((text or "").lower().split())


def _ask(service: SearchBackend, query: str) -> tuple[str, bool, float, bool]:
    started = time.perf_counter()
    response = service.search(SearchRequest(q=query, per_page=10))
    elapsed = (time.perf_counter() - started) * 1000
    corrected = getattr(response, "corrected_query", None)
    answer = corrected or response.suggestion or ""
    return answer, bool(corrected) or response.total == 0, elapsed, bool(corrected)


def run_cases(service: SearchBackend, cases: Iterable[SpellingCase]) -> list[SpellingResult]:
    """Run every case twice (cold, then warm) and judge the warm answer."""
    cases = list(cases)
    cold = [_ask(service, case.query) for case in cases]
    results = []
    for case, (_, _, cold_ms, _) in zip(cases, cold, strict=True):
        answer, zero_hit, warm_ms, shown = _ask(service, case.query)
        right = normalise(answer) == normalise(case.expected)
        results.append(SpellingResult(case, answer, right, cold_ms, warm_ms, zero_hit, shown))
    return results


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (0.0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def accuracy(results: list[SpellingResult]) -> float:
    """Share of right answers (0.0 for none)."""
    return sum(result.right for result in results) / len(results) if results else 0.0


def report_lines(results: list[SpellingResult], show_wrong: bool = False) -> list[str]:
    """The printed report: accuracy per part and kind, then latency."""
    lines = []
    for part in PARTS:
        chosen = [result for result in results if result.case.part == part]
        if not chosen:
            continue
        kinds = sorted({result.case.kind for result in chosen})
        by_kind = "  ".join(
            f"{kind}={accuracy([r for r in chosen if r.case.kind == kind]):.3f}"
            f"/{sum(r.case.kind == kind for r in chosen)}"
            for kind in kinds
        )
        share = accuracy(chosen)
        lines.append(f"{part:<5} accuracy {share:.3f} ({len(chosen)} queries)  {by_kind}")
    lines.append(f"all   accuracy {accuracy(results):.3f} ({len(results)} queries)")
    shown = [result for result in results if result.shown]
    lines.append(
        f"results of the correction shown at once: {len(shown)} queries, "
        f"{sum(result.right for result in shown)} of them right"
    )
    for label, chosen in (
        ("all queries", results),
        ("zero-hit queries", [result for result in results if result.zero_hit]),
    ):
        for pass_name in ("cold", "warm"):
            times = [getattr(result, f"{pass_name}_ms") for result in chosen]
            lines.append(
                f"latency {label} ({len(chosen)}), {pass_name}: "
                f"p50 {percentile(times, 0.5):.1f} ms  p99 {percentile(times, 0.99):.1f} ms"
            )
    if show_wrong:
        for result in results:
            if not result.right:
                case = result.case
                lines.append(
                    f"wrong  {case.part} {case.kind:<9} {case.query!r} -> {result.answer!r}"
                    f" (expected {case.expected!r})"
                )
    return lines
