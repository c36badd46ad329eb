"""Export throughput and worker memory on Reuters-21578, served by gunicorn (`bench.served`).

Builds a Whoosh index of Reuters (research use only: read from ../shared, never
copied) in a temporary folder, starts ``gunicorn wsgi:app`` (2 workers) on 127.0.0.1,
warms both workers with searches, then downloads over one kept-alive connection:

- the whole archive (``/api/export``, no query: every article) as CSV, several times,
- the whole archive as JSONL with every field (bodies included),
- the matches of a few queries,

reading each body in 64 KiB pieces as a client saving the file would. It prints rows
per second per download and the workers' memory before and after (VmRSS, and VmHWM,
the peak), and checks that the counts agree: rows == ``/api/search`` total with
``collapse=0``; the timeline's counts sum to that total; its "all articles" sum to the
index size.

Bars (issue 17): at least 20,000 rows/s; worker RSS growth under 50 MB over the
exports. Skips (exit 0) when Reuters is not there.

    .venv/bin/python -m bench.export_bench [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.corpora import REPO, reuters_paths
from bench.served import Connection, Server, start
from corpus import ReadReport, read_paths
from indexer import build_index

QUERIES = ["oil", "coffee OR cocoa", "interest rates", "merger", "bank"]
ROWS_PER_SECOND, RSS_GROWTH_MB = 20_000, 50.0
EVERY_FIELD = "id,title,date,source,url,tags,author,views,language,body"


def download(conn: Connection, path: str) -> tuple[int, int, float]:
    """GET ``path`` reading the body in pieces: (rows, bytes, seconds)."""
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status} for {path}: {response.read()[:200]!r}")
    size = lines = 0
    while piece := response.read(65536):
        size += len(piece)
        lines += piece.count(b"\n")
    seconds = time.perf_counter() - started
    rows = int(response.getheader("X-Total-Count") or -1)
    header = 1 if "format=jsonl" not in path else 0
    if lines != rows + header and "format=jsonl" in path:
        raise RuntimeError(f"{path}: {lines} lines for {rows} rows")
    return rows, size, seconds


def memory_mb(server: Server) -> tuple[float, float]:
    """(largest worker VmRSS, largest worker VmHWM) in MB."""
    rss, peak = server.worker_rss_kb()
    return rss / 1024, peak / 1024


def check_counts(conn: Connection, query: str, size: int) -> str:
    """The agreement of export, search and timeline for ``query``, as one line."""
    encoded = urlencode({"q": query, "collapse": "0"})
    total = json.loads(conn.get(f"/api/search?{encoded}&per_page=1"))["total"]
    rows, _, _ = download(conn, f"/api/export?{encoded}&fields=id")
    series = json.loads(conn.get(f"/api/timeline?{encoded}&interval=year"))
    counted = sum(series["series"][0]["counts"]) + series["series"][0]["undated"]
    every = sum(period["total"] for period in series["periods"])
    verdict = "ok" if rows == total == counted else "DIFFER"
    return (
        f"{query or '(every article)':<16} export rows {rows:>6}  search total {total:>6}  "
        f"timeline sum {counted:>6}  {verdict}; timeline all-articles sum {every} "
        f"(dated articles of {size})"
    )


def main(argv: list[str] | None = None) -> int:
    """Build, serve, download, print; exit 1 when a bar is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    paths = reuters_paths()
    if not paths:
        print("Reuters-21578 not found beside the repository: skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="export-bench-") as folder:
        index_dir = Path(folder) / "index"
        started = time.perf_counter()
        result = build_index(read_paths(paths, ReadReport(), "reuters"), index_dir)
        took = time.perf_counter() - started
        print(f"indexed {result.articles} Reuters articles in {took:.1f} s")
        server = start("broadsheet", index_dir, REPO, "oil")
        conn = Connection("127.0.0.1", server.port, timeout=120)
        try:
            for query in ["oil", "wheat", "gold", "bank"] * 4:  # load the index in both workers
                conn.get(f"/api/search?{urlencode({'q': query})}")
            download(conn, "/api/export?q=oil&fields=id")
            before_rss, before_peak = memory_mb(server)
            print(f"workers before: RSS {before_rss:.0f} MB, peak {before_peak:.0f} MB")
            rates = []
            for _ in range(args.rounds):
                rows, size, seconds = download(conn, "/api/export")
                rates.append(rows / seconds)
                print(
                    f"whole archive, CSV:         {rows:>6} rows  {size / 2**20:6.1f} MiB  "
                    f"{seconds:6.2f} s  {rows / seconds:8,.0f} rows/s"
                )
            rows, size, seconds = download(conn, f"/api/export?format=jsonl&fields={EVERY_FIELD}")
            print(
                f"whole archive, JSONL+bodies: {rows:>5} rows  {size / 2**20:6.1f} MiB  "
                f"{seconds:6.2f} s  {rows / seconds:8,.0f} rows/s"
            )
            for query in QUERIES:
                rows, size, seconds = download(conn, f"/api/export?{urlencode({'q': query})}")
                print(
                    f"q={query:<24} {rows:>6} rows  {size / 2**20:6.1f} MiB  {seconds:6.2f} s  "
                    f"{rows / max(seconds, 1e-9):8,.0f} rows/s"
                )
            after_rss, after_peak = memory_mb(server)
            growth = after_rss - before_rss
            print(
                f"workers after: RSS {after_rss:.0f} MB (growth {growth:+.1f} MB), "
                f"peak {after_peak:.0f} MB (growth {after_peak - before_peak:+.1f} MB)"
            )
            for query in ["", *QUERIES]:
                print(check_counts(conn, query, result.articles))
        finally:
            conn.close()
            server.stop()
    median = statistics.median(rates)
    ok = median >= ROWS_PER_SECOND and growth < RSS_GROWTH_MB
    print(
        f"median whole-archive rate {median:,.0f} rows/s (bar {ROWS_PER_SECOND:,}); "
        f"RSS growth {growth:+.1f} MB (bar < {RSS_GROWTH_MB:g}): {'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
