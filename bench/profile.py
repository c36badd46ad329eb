"""``python -m bench.profile``: cProfile Broadsheet's build path and query path on the demo.

Prints (and writes to ``bench/results/profile-<stamp>.txt``) the top functions by
own time and by cumulative time for: reading the demo corpus (`read_paths`),
indexing it (`build_index`), and answering the demo query set three times with
facets and snippets (`SearchService.search`). Findings are kept in bench/PROFILE.md.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.corpora import CorpusSpec, iter_articles
from bench.eng_broadsheet import open_index, request_for
from bench.queries import load
from indexer import build_index

RESULTS = Path(__file__).resolve().parent / "results"


def _top(profile: cProfile.Profile, title: str, wall: float, lines: int = 40) -> str:
    """The top functions by own and cumulative time, as text."""
    out = io.StringIO()
    out.write(f"\n===== {title}: {wall:.2f} s wall =====\n")
    for key in ("tottime", "cumulative"):
        stats = pstats.Stats(profile, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(lines)
    return out.getvalue()


def _profiled(title: str, work: Callable[[], Any], report: list[str]) -> Any:
    """Run ``work`` under cProfile; append its report; return its value."""
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    value = work()
    profile.disable()
    report.append(_top(profile, title, time.perf_counter() - started))
    return value


def main(argv: list[str]) -> int:
    """Profile the three phases; ``--rounds N`` repeats the query set N times (default 3)."""
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    report: list[str] = []
    spec = CorpusSpec("demo", "demo", queries="demo")
    articles = _profiled("read demo corpus (read_paths)", lambda: list(iter_articles(spec)), report)
    queries = [q for _, q in load("demo")]
    with tempfile.TemporaryDirectory(prefix="broadsheet-profile-") as scratch:
        index_dir = Path(scratch) / "index"
        _profiled("build_index (demo)", lambda: build_index(articles, index_dir), report)
        searcher = open_index(index_dir)
        searcher.search(queries[0], "full")  # open the index outside the query profile

        def run_queries() -> None:
            """The query set, ``rounds`` times, with facets and snippets."""
            for _ in range(rounds):
                for query in queries:
                    searcher.service.search(request_for(query, "full"))

        _profiled(
            f"SearchService.search, full, {rounds} x {len(queries)} queries", run_queries, report
        )
    text = "".join(report)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"profile-{time.strftime('%Y%m%dT%H%M%S')}.txt"
    path.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
