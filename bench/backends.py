"""Whoosh, Typesense and OpenSearch side by side on one corpus (issue 20's table).

    python -m bench.backends --corpus reuters
    python -m bench.backends --corpus synthetic --size 200000 --heap 2g

For each backend, in turn (never two at once): start it (Typesense: a 3-node Raft
cluster; OpenSearch: a 3-node cluster from ops/opensearch, one index per year with
``--shards`` primaries (default 1: the years are the shards) and 1 replica each; Whoosh:
one index folder, 2 indexing workers), rebuild the corpus through the backend's own
writer (`indexer.backends.writer_from_config`, so the alias swap and
verification are part of the time), then run the same searches through its search
service (`search.backends.service_from_config`): frequent title words, word pairs, a
date sort, a tag filter; facets and snippets on. One warm-up round, then the measured
round; p50 and p99 in ms. Memory: each server process's RSS after the searches
(Whoosh: the index on disk and the searching process's RSS growth). The table is
printed and written to bench/results/backends-<time>.json (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.corpora import REPO, available_specs, iter_articles
from corpus import Article
from search import SearchRequest

RESULTS = REPO / "bench" / "results"
OPS = REPO / "ops" / "opensearch"
ENGINES = ("whoosh", "typesense", "opensearch")


def queries_for(articles: list[Article], count: int = 200) -> list[SearchRequest]:
    """Frequent title words, pairs of them, a date sort and a tag filter (plain words
    only: every backend answers them the same way)."""
    words = Counter(
        word
        for article in articles
        for word in article.title.lower().split()
        if word.isalpha() and len(word) > 3
    )
    common = [word for word, _ in words.most_common(count)]
    requests = []
    for index, word in enumerate(common):
        if index % 4 == 1:
            requests.append(SearchRequest(q=f"{word} {common[(index * 7) % len(common)]}"))
        elif index % 4 == 2:
            requests.append(SearchRequest(q=word, sort="newest"))
        elif index % 4 == 3:
            tags = [tag for article in articles[index::97] for tag in article.tags][:1]
            requests.append(SearchRequest(q=word, tags=tuple(tags)))
        else:
            requests.append(SearchRequest(q=word))
    return requests


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _latency(service: Any, requests: list[SearchRequest]) -> dict[str, float]:
    for request in requests:  # warm-up round
        service.search(request)
    times = []
    for request in requests:
        started = time.perf_counter()
        service.search(request)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
        "queries": len(times),
    }


@contextmanager
def _opensearch(root: Path, heap: str) -> Iterator[tuple[str, list[int]]]:
    """A 3-node OpenSearch cluster under ``root``: (nodes, pids); stopped afterwards."""
    subprocess.run([str(OPS / "assemble.sh")], check=True, cwd=REPO)
    base = [sys.executable, str(OPS / "cluster.py"), "--state", str(root), "--timeout", "600"]
    up = base + ["up", "--heap", heap, "--http-port", "0", "--transport-port", "0"]
    try:
        subprocess.run(up, check=True, cwd=REPO, capture_output=True, text=True)
        data = json.loads((root / "cluster.json").read_text())
        nodes = ",".join(f"127.0.0.1:{node['http_port']}" for node in data["nodes"])
        yield nodes, [int(node["pid"]) for node in data["nodes"]]
    finally:
        subprocess.run(base + ["down"], cwd=REPO, capture_output=True, text=True)


@contextmanager
def _typesense(root: Path) -> Iterator[tuple[str, str, list[int]]]:
    """A 3-node Typesense cluster under ``root``: (nodes, api key, pids)."""
    sys.path.insert(0, str(REPO / "tests"))
    from typesense_servers import API_KEY, binary_or_reason, typesense_cluster

    binary, reason = binary_or_reason()
    if binary is None:
        raise RuntimeError(f"cannot run Typesense: {reason}")
    with typesense_cluster(binary, root) as nodes:
        addresses = ",".join(node.address for node in nodes)
        pids = [node.process.pid for node in nodes if node.process is not None]
        yield addresses, API_KEY, pids


def _measure(
    config: dict[str, str], articles: list[Article], requests: list[SearchRequest]
) -> dict[str, Any]:
    from indexer.backends import writer_from_config
    from search.backends import service_from_config

    writer = writer_from_config(config)
    try:
        started = time.perf_counter()
        result = writer.rebuild(articles)
        seconds = time.perf_counter() - started
    finally:
        writer.close()
    if config["BACKEND"] == "typesense":
        _replicated(config, result.articles)
    before = _rss_mb(os.getpid())
    service = service_from_config(config)
    try:
        searched = _latency(service, requests)
    finally:
        grown = _rss_mb(os.getpid()) - before
        service.close()
    return {
        "articles": result.articles,
        "build_s": round(seconds, 1),
        "articles_per_s": round(result.articles / seconds, 1),
        **{key: round(value, 2) for key, value in searched.items()},
        "client_rss_growth_mb": round(grown, 1),
    }


def _replicated(config: dict[str, str], expected: int, timeout: float = 300.0) -> None:
    """Wait until every Typesense node serves the rebuilt collection (Raft followers
    apply the alias swap a little after the leader answers)."""
    from search.errors import IndexUnavailable
    from search.typesense.backend import TypesenseSearchService

    deadline = time.monotonic() + timeout
    for node in config["TYPESENSE_NODES"].split(","):
        service = TypesenseSearchService(node, config["TYPESENSE_API_KEY"])
        try:
            while True:
                try:
                    if service.doc_count() == expected:
                        break
                except IndexUnavailable:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Typesense node {node} did not catch up")
                time.sleep(0.5)
        finally:
            service.close()


def _index_count(nodes: str) -> int:
    from indexer.opensearch.schema import make_client

    client = make_client(nodes)
    try:
        return len(client.indices.get_alias(name="broadsheet"))
    finally:
        client.close()


def run_engine(
    engine: str,
    articles: list[Article],
    requests: list[SearchRequest],
    heap: str,
    shards: int = 1,
    years_per_index: int = 1,
) -> dict[str, Any]:
    """Start ``engine``, measure it, stop it; its row of the table."""
    root = Path(tempfile.mkdtemp(prefix=f"bench-{engine}-"))
    root.chmod(0o755)  # OpenSearch nodes run as an unprivileged user when this runs as root
    try:
        if engine == "whoosh":
            config = {"BACKEND": "whoosh", "INDEX_DIR": str(root / "index"), "WORKERS": "2"}
            row = _measure(config, articles, requests)
            size = sum(p.stat().st_size for p in (root / "index").rglob("*") if p.is_file())
            row["index_mb"] = round(size / 2**20, 1)
            row["node_rss_mb"] = [row["client_rss_growth_mb"]]
            return row
        if engine == "typesense":
            with _typesense(root) as (nodes, key, pids):
                config = {"BACKEND": "typesense", "TYPESENSE_NODES": nodes}
                config["TYPESENSE_API_KEY"] = key
                row = _measure(config, articles, requests)
                row["node_rss_mb"] = [round(_rss_mb(pid)) for pid in pids]
                return row
        with _opensearch(root, heap) as (nodes, pids):
            config = {
                "BACKEND": "opensearch",
                "OPENSEARCH_NODES": nodes,
                "OPENSEARCH_SHARDS": str(shards),
                "OPENSEARCH_YEARS_PER_INDEX": str(years_per_index),
                "OPENSEARCH_REPLICAS": "1",
            }
            row = _measure(config, articles, requests)
            row["node_rss_mb"] = [round(_rss_mb(pid)) for pid in pids]
            row["heap"], row["shards"], row["indices"] = heap, shards, _index_count(nodes)
            row["years_per_index"] = years_per_index
            return row
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; print the table; write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=("reuters", "demo", "synthetic"), default="reuters")
    parser.add_argument("--size", type=int, default=200_000, help="synthetic articles")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--heap", default="1g", help="OpenSearch heap per node")
    parser.add_argument(
        "--shards", type=int, default=1, help="OpenSearch primary shards per yearly index"
    )
    parser.add_argument(
        "--years-per-index", type=int, default=1, help="OpenSearch: years of articles per index"
    )
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    specs, skipped = available_specs([args.corpus], [args.size])
    if not specs:
        print(f"no corpus: {skipped}", file=sys.stderr)
        return 1
    articles = list(iter_articles(specs[0]))
    requests = queries_for(articles, args.queries)
    load = os.getloadavg()[0]
    rows: dict[str, Any] = {}
    for engine in args.engines.split(","):
        print(f"{engine}: {len(articles):,} articles of {specs[0].name} ...", flush=True)
        rows[engine] = run_engine(
            engine, articles, requests, args.heap, args.shards, args.years_per_index
        )
        print(f"{engine}: {rows[engine]}", flush=True)
    print()
    print(f"corpus {specs[0].name}: {len(articles):,} articles; load at start {load:.2f}")
    print("| backend | build a/s | search p50 ms | p99 ms | memory per node (RSS MB) |")
    print("|---|---|---|---|---|")
    for engine, row in rows.items():
        memory = ", ".join(str(value) for value in row["node_rss_mb"])
        if engine == "whoosh":
            memory = f"index {row['index_mb']} MB on disk; searcher +{memory}"
        print(
            f"| {engine} | {row['articles_per_s']:,.0f} | {row['p50_ms']:.1f} | "
            f"{row['p99_ms']:.1f} | {memory} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"backends-{specs[0].name}-{stamp}.json"
    out.write_text(json.dumps({"corpus": specs[0].name, "load": load, "rows": rows}, indent=2))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
