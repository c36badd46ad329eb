"""Measure one corpus: builds in subprocesses, then interleaved query rounds and load tests."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import served
from bench.corpora import REPO, CorpusSpec, write_work_file
from bench.engines import ENGINES, VARIANTS, installable
from bench.procs import QueryWorker, WorkerError, run_measured
from bench.queries import load
from bench.stats import latency_summary, split_cold_warm

HTTP_TARGETS = {"broadsheet-http": ("broadsheet", "broadsheet"), "fts5-http": ("fts5", "fts5")}


@dataclass(frozen=True, slots=True)
class Settings:
    """How much to measure: rounds, time bounds and load-test bounds."""

    rounds: int = 3
    pass_budget_s: float = 60.0
    build_timeout_s: float = 1800.0
    load_clients: int = 4
    load_requests: int = 1000
    load_seconds: float = 10.0
    load_rounds: int = 2
    whoosh_max: int = 25_000
    max_queries: int = 0  # 0: all


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _dir_mb(path: Path) -> float:
    """Size of the files under ``path`` in MB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _engines_for(spec: CorpusSpec, count: int, settings: Settings, out: dict) -> list[str]:
    """The engines to run on this corpus; the others go into ``out["skipped"]``."""
    names = []
    for name, engine in ENGINES.items():
        reason = installable(engine)
        if name == "whoosh" and count > settings.whoosh_max:
            reason = f"skipped above {settings.whoosh_max} articles (--whoosh-max)"
        if reason:
            out["skipped"][name] = reason
        else:
            names.append(name)
    return names


def _build_all(engines: list[str], work: Path, root: Path, settings: Settings, out: dict) -> None:
    """Build every engine in its own measured subprocess."""
    for name in engines:
        index_dir = root / name
        log(f"  build {name}")
        measured = run_measured(
            [sys.executable, "-m", "bench.worker", "build", name, str(work), str(index_dir)],
            cwd=REPO,
            timeout=settings.build_timeout_s,
        )
        if measured.returncode != 0 or not measured.stdout.strip():
            out["errors"][name] = f"build failed ({measured.returncode}): {measured.stderr[-600:]}"
            continue
        info = json.loads(measured.stdout.strip().splitlines()[-1])
        out["builds"][name] = {
            "articles": info["articles"],
            "wall_s": info["wall_s"],
            "cpu_s": info["cpu_s"],
            "aps_wall": info["articles"] / info["wall_s"],
            "aps_cpu": info["articles"] / info["cpu_s"] if info["cpu_s"] else None,
            "peak_rss_mb": measured.maxrss_kb / 1024,
            "loaded_rss_mb": info["loaded_rss_kb"] / 1024,
            "index_mb": _dir_mb(index_dir),
        }


def _start_targets(
    engines: list[str], root: Path, spec: CorpusSpec, first: str, out: dict
) -> tuple[dict[str, QueryWorker], dict[str, served.Server]]:
    """Start the query workers and servers, recording each cold start."""
    workers: dict[str, QueryWorker] = {}
    servers: dict[str, served.Server] = {}
    for name in engines:
        if name not in out["builds"]:
            continue
        worker = QueryWorker(name, root / name, spec.queries, REPO)
        try:
            answer = worker.ask({"cmd": "first", "variant": "full"}, timeout=300)
            out["cold_start_ms"][name] = (time.perf_counter() - worker.started) * 1000
            out["first_query_ms"][name] = answer["ms"]
            workers[name] = worker
        except WorkerError as error:
            out["errors"][name] = f"query worker: {error}"
            worker.close()
    for target, (engine, kind) in HTTP_TARGETS.items():
        if engine not in out["builds"]:
            continue
        try:
            server = served.start(kind, root / engine, REPO, first)
        except (RuntimeError, TimeoutError) as error:
            out["errors"][target] = f"server: {error}"
            continue
        servers[target] = server
        out["cold_start_ms"][target] = server.cold_start_ms
        out["first_query_ms"][target] = server.first_answer_ms
    return workers, servers


def _rounds(
    workers: dict[str, QueryWorker],
    servers: dict[str, served.Server],
    queries: list[str],
    settings: Settings,
    out: dict,
) -> None:
    """Interleaved rounds: every target runs every variant once per round."""
    raw: dict[str, dict[str, list[dict]]] = {}
    targets = [*workers, *servers]
    for number in range(settings.rounds):
        shift = number % max(1, len(targets))
        order = targets[shift:] + targets[:shift]  # interleaved: each round starts elsewhere
        log(f"  round {number + 1}/{settings.rounds}: {', '.join(order)}")
        for target in order:
            variants = VARIANTS if target in workers else ("full",)
            for variant in variants:
                try:
                    if target in workers:
                        result = workers[target].ask(
                            {"cmd": "pass", "variant": variant, "budget_s": settings.pass_budget_s},
                            timeout=settings.pass_budget_s + 120,
                        )
                    else:
                        result = served.latency_pass(
                            servers[target], queries, settings.pass_budget_s
                        )
                except (WorkerError, RuntimeError, OSError) as error:
                    out["errors"][f"{target}/{variant}"] = str(error)
                    continue
                raw.setdefault(target, {}).setdefault(variant, []).append(result)
    for target, by_variant in raw.items():
        out["latency"][target] = {v: split_cold_warm(p) for v, p in by_variant.items()}
        out["totals"][target] = {v: p[0].get("totals", []) for v, p in by_variant.items()}


def _load_tests(
    servers: dict[str, served.Server], queries: list[str], settings: Settings, out: dict
) -> None:
    """Bounded load tests of each server, in alternating order."""
    names = list(servers)
    for number in range(settings.load_rounds):
        for target in names if number % 2 == 0 else names[::-1]:
            log(f"  load test {target} ({settings.load_clients} clients)")
            result = served.load_test(
                servers[target],
                queries,
                settings.load_clients,
                settings.load_requests,
                settings.load_seconds,
            )
            summary = latency_summary([{"lat_ms": result.pop("lat_ms"), "cpu_ms": 0}])
            result.update({"p50": summary["p50"], "p95": summary["p95"], "p99": summary["p99"]})
            out["load"].setdefault(target, []).append(result)
    for target, server in servers.items():
        rss, hwm = server.worker_rss_kb()
        out["worker_rss_mb"][target] = {"rss": rss / 1024, "hwm": hwm / 1024}


def measure_corpus(spec: CorpusSpec, settings: Settings, scratch: Path) -> dict[str, Any]:
    """Everything for one corpus; the scratch folder (indexes, work file) is removed."""
    out: dict[str, Any] = {
        "corpus": spec.name,
        "builds": {},
        "cold_start_ms": {},
        "first_query_ms": {},
        "latency": {},
        "totals": {},
        "load": {},
        "worker_rss_mb": {},
        "errors": {},
        "skipped": {},
    }
    root = scratch / spec.name
    root.mkdir(parents=True)
    try:
        work = root / "articles.jsonl"
        log(f"{spec.name}: writing the work file")
        out["articles"] = write_work_file(spec, work)
        queries = [q for _, q in load(spec.queries)]
        if settings.max_queries:
            queries = queries[: settings.max_queries]
        out["queries"] = len(queries)
        engines = _engines_for(spec, out["articles"], settings, out)
        if settings.max_queries:
            # Workers read a query set file: the shortened one goes beside the indexes.
            spec = _short_query_set(spec, queries, root)
        _build_all(engines, work, root, settings, out)
        workers, servers = _start_targets(engines, root, spec, queries[0], out)
        try:
            _rounds(workers, servers, queries, settings, out)
            _load_tests(servers, queries, settings, out)
        finally:
            for worker in workers.values():
                worker.close()
            for server in servers.values():
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out


def _short_query_set(spec: CorpusSpec, queries: list[str], root: Path) -> CorpusSpec:
    """Write the first queries to a scratch file (for ``--quick``)."""
    kinds = {q: k for k, q in load(spec.queries)}
    path = root / "queries.tsv"
    path.write_text("".join(f"{kinds[q]}\t{q}\n" for q in queries), encoding="utf-8")
    return CorpusSpec(spec.name, spec.kind, spec.size, str(path))
