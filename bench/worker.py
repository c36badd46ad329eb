"""Subprocesses of the benchmark: one engine build, or one engine answering query passes.

``python -m bench.worker build ENGINE WORK_FILE INDEX_DIR`` loads the articles, then
builds and prints one JSON line (wall and CPU seconds of the build alone, RSS
after loading). The parent reads the peak RSS from ``wait4``.

``python -m bench.worker query ENGINE INDEX_DIR QUERY_SET`` reads JSON commands on
stdin, one a line, and answers each with one JSON line on stdout:
``{"cmd": "first", "variant": V}`` runs the first query (the cold start ends at
its answer; the index is opened lazily, so opening is part of it);
``{"cmd": "pass", "variant": V, "budget_s": S}`` runs every query once, stopping
early when ``S`` seconds have passed; ``{"cmd": "quit"}`` ends the process.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench.engines import ENGINES, Searcher
from bench.queries import load


def _cpu() -> float:
    """CPU seconds of this process (all threads) and its children."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


def proc_status_kb(field: str) -> int:
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM), 0 where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def build_main(engine: str, work_file: str, index_dir: str) -> int:
    """Build one engine's index from the work file; print the timing JSON line."""
    from bench.corpora import load_articles

    articles = load_articles(Path(work_file))
    loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    build = ENGINES[engine].build()
    cpu0, wall0 = _cpu(), time.perf_counter()
    build(articles, Path(index_dir))
    wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
    out = {"articles": len(articles), "wall_s": wall, "cpu_s": cpu, "loaded_rss_kb": loaded_rss}
    print(json.dumps(out), flush=True)
    return 0


def _run_pass(searcher: Searcher, queries: list[str], variant: str, budget: float) -> dict:
    """Every query once in ``variant``, bounded by ``budget`` seconds."""
    latencies: list[float] = []
    totals: list[int] = []
    deadline = time.monotonic() + budget
    cpu0 = time.process_time()
    for query in queries:
        started = time.perf_counter()
        totals.append(searcher.search(query, variant))
        latencies.append((time.perf_counter() - started) * 1000)
        if time.monotonic() > deadline:
            break
    cpu_ms = (time.process_time() - cpu0) * 1000
    return {
        "lat_ms": latencies,
        "totals": totals,
        "cpu_ms": cpu_ms,
        "truncated": len(queries) - len(latencies),
        "rss_kb": proc_status_kb("VmRSS"),
        "hwm_kb": proc_status_kb("VmHWM"),
    }


def query_main(engine: str, index_dir: str, query_set: str) -> int:
    """Answer commands from stdin until ``quit`` or end of input."""
    queries = [query for _, query in load(query_set)]
    searcher: Searcher | None = None
    for line in sys.stdin:
        command: dict[str, Any] = json.loads(line)
        if command["cmd"] == "quit":
            break
        try:
            if searcher is None:
                searcher = ENGINES[engine].open(Path(index_dir))
            if command["cmd"] == "first":
                started = time.perf_counter()
                total = searcher.search(queries[0], command["variant"])
                reply: dict[str, Any] = {
                    "ms": (time.perf_counter() - started) * 1000,
                    "total": total,
                }
            else:
                reply = _run_pass(searcher, queries, command["variant"], command["budget_s"])
        except Exception as error:  # reported to the parent, which records it
            reply = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)
    return 0


def main(argv: list[str]) -> int:
    """Dispatch ``build`` or ``query``."""
    if argv[:1] == ["build"] and len(argv) == 4:
        return build_main(*argv[1:])
    if argv[:1] == ["query"] and len(argv) == 4:
        return query_main(*argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
