"""Timeline and comparison latency on Reuters-21578, served by gunicorn (`bench.served`).

Builds a Whoosh index of Reuters (research use only: read from ../shared, never
copied) in a temporary folder, starts ``gunicorn wsgi:app`` (2 workers) on 127.0.0.1
and times, one request at a time over a kept-alive connection:

- ``/api/timeline`` with one query (the interval chosen from the range, and by day),
- ``/api/timeline`` comparing five queries,
- the results page (``/``) comparing five queries (the page's search plus five timelines).

Bars (issue 17): ``/api/timeline`` p50 <= 50 ms; the 5-query comparison page < 300 ms.
Wall time over loopback is the server time plus well under a millisecond of transport.
Skips (exit 0) when Reuters is not there.

    .venv/bin/python -m bench.timeline_bench [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.corpora import REPO, reuters_paths
from bench.served import Connection, start
from corpus import ReadReport, read_paths
from indexer import build_index

SINGLE = [
    "oil", "wheat", "coffee", "gold", "dollar", "interest rates", "trade deficit", "opec",
    "merger", "bank", "crude oil prices", "japan", "grain exports", "earnings", "strike",
]  # fmt: skip
COMPARED = [
    ["oil", "wheat", "coffee", "gold", "dollar"],
    ["opec", "crude oil prices", "gasoline", "natural gas", "refinery"],
    ["japan", "germany", "france", "britain", "canada"],
    ["merger", "acquisition", "takeover", "stake", "bid"],
]
BARS = {"timeline": 50.0, "compare_page": 300.0}


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(conn: Connection, paths: list[str], rounds: int) -> list[float]:
    """Wall milliseconds of every request of ``paths``, ``rounds`` times over."""
    found = []
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            conn.get(path)
            found.append((time.perf_counter() - started) * 1000)
    return found


def report(name: str, values: list[float], bar: float | None = None) -> bool:
    """Print one line of figures; whether ``bar`` (on p50) is met."""
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    verdict = "" if bar is None else (" ok" if p50 <= bar else f" ABOVE the {bar:g} ms bar")
    print(
        f"{name:<34} n={len(values):>4}  p50={p50:7.1f} ms  p95={p95:7.1f} ms  "
        f"mean={statistics.fmean(values):7.1f} ms{verdict}"
    )
    return bar is None or p50 <= bar


def main(argv: list[str] | None = None) -> int:
    """Build, serve, measure, print; exit 1 when a bar is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    paths = reuters_paths()
    if not paths:
        print("Reuters-21578 not found beside the repository: skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="timeline-bench-") as folder:
        index_dir = Path(folder) / "index"
        started = time.perf_counter()
        build_index(read_paths(paths, ReadReport(), "reuters"), index_dir)
        print(f"indexed Reuters in {time.perf_counter() - started:.1f} s")
        server = start("broadsheet", index_dir, REPO, "oil")
        conn = Connection("127.0.0.1", server.port, timeout=60)
        try:
            single = [f"/api/timeline?{urlencode({'q': q})}" for q in SINGLE]
            by_day = [f"/api/timeline?{urlencode({'q': q, 'interval': 'day'})}" for q in SINGLE]
            compared = [f"/api/timeline?{urlencode([('q', q) for q in qs])}" for qs in COMPARED]
            pages = [f"/?{urlencode([('q', q) for q in qs])}" for qs in COMPARED]
            timed(conn, single + by_day + compared + pages, 2)  # warm both workers
            print(f"one client, one request at a time, {args.rounds} rounds, gunicorn 2 workers")
            ok = report("/api/timeline 1 query (auto)", timed(conn, single, args.rounds), 50)
            ok &= report("/api/timeline 1 query (day)", timed(conn, by_day, args.rounds), 50)
            ok &= report("/api/timeline 5 queries", timed(conn, compared, args.rounds), 50)
            ok &= report("results page, 5 queries compared", timed(conn, pages, args.rounds), 300)
            plain = [f"/?{urlencode({'q': qs[0]})}" for qs in COMPARED]
            report("results page, 1 query (reference)", timed(conn, plain, args.rounds))
        finally:
            conn.close()
            server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
