"""Benchmark Broadsheet on Typesense (and optionally Whoosh) over a corpus: indexing
articles/s, search + facets + snippets latency p50/p95 through the search API, and
server memory. Starts its own Typesense node on 127.0.0.1 and stops it.

    .venv/bin/python tests/bench_typesense.py /work/shared/data/reuters21578 [--whoosh]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from typesense_servers import API_KEY, binary_or_reason, typesense_node

from bench.backends import queries_for
from corpus import ReadReport, read_paths
from search import SearchRequest


def latency(service: object, requests: list[SearchRequest]) -> tuple[float, float]:
    """p50 and p95 in ms over two rounds (the first round warms caches)."""
    for request in requests:
        service.search(request)
    times = []
    for request in requests:
        started = time.perf_counter()
        service.search(request)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--whoosh", action="store_true", help="measure the Whoosh backend too")
    args = parser.parse_args()
    started = time.perf_counter()
    articles = list(read_paths(args.paths, ReadReport()))
    print(f"read {len(articles)} articles in {time.perf_counter() - started:.1f} s")
    requests = queries_for(articles)
    binary, reason = binary_or_reason()
    if binary is None:
        sys.exit(f"cannot run Typesense: {reason}")
    from indexer.typesense.schema import make_client
    from indexer.typesense.writer import rebuild
    from search.typesense.backend import TypesenseSearchService

    with tempfile.TemporaryDirectory() as tmp, typesense_node(binary, Path(tmp)) as node:
        idle = node.rss_mb()
        client = make_client(node.address, API_KEY, timeout=120)
        result = rebuild(client, articles)
        client.close()
        print(
            f"typesense: indexed {result.articles} articles in {result.seconds:.1f} s "
            f"({result.articles / result.seconds:,.0f} articles/s)"
        )
        service = TypesenseSearchService(node.address, API_KEY)
        p50, p95 = latency(service, requests)
        service.close()
        text_mb = sum(len(a.title) + len(a.body) for a in articles) / 1e6
        print(
            f"typesense: search+facets+snippets p50 {p50:.1f} ms, p95 {p95:.1f} ms "
            f"over {len(requests)} queries"
        )
        print(
            f"typesense: server RSS {node.rss_mb():.0f} MB (idle {idle:.0f} MB) "
            f"for {text_mb:.1f} MB of title+body text"
        )
    if args.whoosh:
        from indexer import build_index
        from search import SearchService

        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            build_index(articles, Path(tmp) / "ix")
            seconds = time.perf_counter() - started
            print(
                f"whoosh: indexed {len(articles)} articles in {seconds:.1f} s "
                f"({len(articles) / seconds:,.0f} articles/s)"
            )
            service = SearchService(Path(tmp) / "ix")
            p50, p95 = latency(service, requests)
            service.close()
            print(f"whoosh: search+facets+snippets p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
