"""Where a served request's time goes outside the search (issue 19, item 2).

Three measures over the bench query set of Reuters-21578 (`bench/queries/reuters.tsv`,
``/api/search`` with facets and snippets, as the page asks):

1. In-process, paired per query: the search alone (``SearchService.search`` of the
   parsed request) and the whole WSGI call of the Flask app (routing, parameter
   parsing, ETag, metrics, JSON encoding, compression check, the search): the
   difference is the app's own cost per request.
2. A profile of the whole WSGI calls, its own time summed by the code it belongs to
   (search, Flask/Werkzeug, parameters, metrics, ETag, JSON, logging, other).
3. Served by gunicorn (2 workers, gthread, access log on): the client's latency and
   the app's own time for the same request (the ``Server-Timing`` header): the rest is
   transport and the worker's hand-off.

    .venv/bin/python -m bench.served_path [--index DIR] [--rounds 5]

Builds the Reuters index in a temporary folder unless ``--index`` names one.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import queries as query_sets
from bench.corpora import REPO, reuters_paths
from bench.served import Connection, search_path, start
from bench.timeline_bench import percentile
from corpus import ReadReport, read_paths
from indexer import build_index

#: Profile buckets: the first pattern a function's file matches names its bucket.
BUCKETS = (
    ("metrics", r"prometheus_client|webui/ops\.py"),
    ("etag", r"webui/http_cache\.py|hashlib"),
    ("compression", r"flask_compress"),
    ("parameters", r"webui/params\.py|search/parameters\.py|search/cursor\.py"),
    ("json", r"json/|flask/json|search/models\.py"),
    ("logging", r"logging/"),
    ("search", r"/search/|whoosh/|numpy|/indexer/"),
    ("flask+werkzeug", r"/flask/|/werkzeug/|/jinja2/|/click/"),
)


def _wsgi_environ(path: str) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=path, base_url="http://127.0.0.1/")
    try:
        return builder.get_environ()
    finally:
        builder.close()


def in_process(index_dir: Path, queries: list[str], rounds: int) -> dict[str, Any]:
    """Paired per-query milliseconds of the search alone and of the whole WSGI call."""
    from werkzeug.datastructures import MultiDict

    from webui import SERVICE_KEY, create_app
    from webui.params import request_to_search_request

    app = create_app({"INDEX_DIR": str(index_dir)})
    service = app.extensions[SERVICE_KEY]
    paths = [search_path(q) for q in queries]
    asked = [request_to_search_request(MultiDict({"q": q, "per_page": "10"})) for q in queries]

    def call(path: str) -> bytes:
        status: list[str] = []
        body = b"".join(app(_wsgi_environ(path), lambda s, h, e=None: status.append(s)))
        if not status or not status[0].startswith("200"):
            raise RuntimeError(f"{path}: {status}")
        return body

    for path, request in zip(paths, asked, strict=True):  # warm both
        call(path)
        service.search(request)
    search_ms: list[float] = []
    whole_ms: list[float] = []
    for _ in range(rounds):
        for path, request in zip(paths, asked, strict=True):
            started = time.perf_counter()
            service.search(request)
            search_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            call(path)
            whole_ms.append((time.perf_counter() - started) * 1000)
    own = [w - s for w, s in zip(whole_ms, search_ms, strict=True)]
    profile = cProfile.Profile()
    profile.enable()
    for path in paths:
        call(path)
    profile.disable()
    service.close()
    return {
        "search_p50": percentile(search_ms, 0.5),
        "whole_p50": percentile(whole_ms, 0.5),
        "own_p50": statistics.median(own),
        "own_mean": statistics.fmean(own),
        "buckets": _buckets(profile, len(paths)),
    }


def _buckets(profile: cProfile.Profile, requests: int) -> dict[str, float]:
    """Own (not cumulative) milliseconds per request, summed by bucket."""
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        own_seconds = row[2]
        bucket = next((n for n, p in BUCKETS if re.search(p, filename)), "other")
        totals[bucket] = totals.get(bucket, 0.0) + own_seconds
    return {k: v * 1000 / requests for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def served(index_dir: Path, queries: list[str], rounds: int) -> dict[str, Any]:
    """Client milliseconds and the app's own (``Server-Timing: app``) per request."""
    server = start("broadsheet", index_dir, REPO, "oil")
    conn = Connection("127.0.0.1", server.port, timeout=60)
    client_ms: list[float] = []
    app_ms: list[float] = []
    search_ms: list[float] = []
    try:
        for round_number in range(rounds + 1):
            for query in queries:
                started = time.perf_counter()
                conn.request("GET", search_path(query))
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                if round_number == 0:
                    continue  # warming: each worker sees the queries
                timing = dict(
                    re.findall(r"(\w+);dur=([\d.]+)", response.getheader("Server-Timing") or "")
                )
                client_ms.append(elapsed)
                app_ms.append(float(timing.get("app", "nan")))
                search_ms.append(float(timing.get("search", "nan")))
    finally:
        conn.close()
        server.stop()
    outside = [c - a for c, a in zip(client_ms, app_ms, strict=True)]
    return {
        "client_p50": percentile(client_ms, 0.5),
        "client_p99": percentile(client_ms, 0.99),
        "app_p50": percentile(app_ms, 0.5),
        "search_p50": percentile(search_ms, 0.5),
        "outside_app_p50": statistics.median(outside),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print the three tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="a Reuters index built before")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    queries = [query for _kind, query in query_sets.load("reuters")]
    with tempfile.TemporaryDirectory(prefix="served-path-") as folder:
        index_dir = args.index
        if index_dir is None:
            paths = reuters_paths()
            if not paths:
                print("Reuters-21578 not found beside the repository: skipped")
                return 0
            index_dir = Path(folder) / "index"
            build_index(read_paths(paths, ReadReport(), "reuters"), index_dir)
        inner = in_process(index_dir, queries, args.rounds)
        outer = served(index_dir, queries, args.rounds)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Reuters-21578, {len(queries)} bench queries x {args.rounds} rounds, load {load}")
    print("in-process (ms)   search p50 {search_p50:.2f}  whole WSGI call p50 {whole_p50:.2f}"
          "  app's own p50 {own_p50:.2f} (mean {own_mean:.2f})".format(**inner))  # fmt: skip
    print("profile, own ms per request by code:")
    for bucket, ms in inner["buckets"].items():
        print(f"  {bucket:<16} {ms:7.3f}")
    print("served (ms)       client p50 {client_p50:.2f}  p99 {client_p99:.2f}  app p50 "
          "{app_p50:.2f}  search p50 {search_p50:.2f}  outside the app p50 "
          "{outside_app_p50:.2f}".format(**outer))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
