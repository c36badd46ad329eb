"""Characteristic-terms latency on Reuters-21578, served by gunicorn (`bench.served`).

Builds a Whoosh index of Reuters (research use only: read from ../shared, never
copied) in a temporary folder, starts ``gunicorn wsgi:app`` (2 workers) on 127.0.0.1
and times ``/api/terms`` one request at a time over a kept-alive connection, for the
default sample (the best 150 matches) and samples of 100 and 200; then prints the top terms
of a few queries, to read. Bar (issue 17): p50 <= 50 ms. Skips (exit 0) when Reuters
is not there.

    .venv/bin/python -m bench.terms_bench [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.corpora import REPO, reuters_paths
from bench.served import Connection, start
from bench.timeline_bench import SINGLE, report, timed
from corpus import ReadReport, read_paths
from indexer import build_index
from search.research_parameters import TERMS_SAMPLE

SHOWN = ["oil prices", "coffee", "interest rates"]
BAR = 50.0


def main(argv: list[str] | None = None) -> int:
    """Build, serve, measure, print; exit 1 when the bar is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    paths = reuters_paths()
    if not paths:
        print("Reuters-21578 not found beside the repository: skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="terms-bench-") as folder:
        index_dir = Path(folder) / "index"
        started = time.perf_counter()
        build_index(read_paths(paths, ReadReport(), "reuters"), index_dir)
        print(f"indexed Reuters in {time.perf_counter() - started:.1f} s")
        server = start("broadsheet", index_dir, REPO, "oil")
        conn = Connection("127.0.0.1", server.port, timeout=60)
        try:
            default = [f"/api/terms?{urlencode({'q': q})}" for q in SINGLE]
            sized = {
                size: [f"/api/terms?{urlencode({'q': q, 'sample': size})}" for q in SINGLE]
                for size in (100, 200)
            }
            timed(conn, default + sized[100] + sized[200], 1)  # warm both workers
            print(f"one client, one request at a time, {args.rounds} rounds, gunicorn 2 workers")
            ok = report(
                f"/api/terms (default sample, {TERMS_SAMPLE})",
                timed(conn, default, args.rounds),
                BAR,
            )
            for size, paths in sized.items():
                report(f"/api/terms (sample {size})", timed(conn, paths, args.rounds), BAR)
            for q in SHOWN:
                body = conn.get(f"/api/terms?{urlencode({'q': q, 'limit': 10})}")
                terms = json.loads(body)["terms"]
                print(f"{q}: " + "; ".join(term["term"] for term in terms))
        finally:
            conn.close()
            server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
