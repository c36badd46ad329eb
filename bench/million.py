"""One million articles on one machine (issue 19): build, size, memory, cold start, tail.

Writes the seeded synthetic corpus (`bench.synthetic`, the generator of the 10k-200k
levels) as ``--files`` JSONL files under ``--work`` (kept, so a rerun skips what is
there), then:

1. builds it with ``python -m indexer build`` (``--workers 2``), sampling the memory
   of the whole process group every 0.2 s: wall seconds, articles/s, peak RSS;
2. the index's size on disk;
3. serves it with gunicorn (2 workers): cold start (start to first answer), worker
   RSS after the first answer and after the query classes;
4. the query classes of `bench.tail_bench` (synthetic vocabulary): p50/p99/max each,
   and their p50 growth against a 10,000-article index of the same generator;
5. ``python -m indexer update`` after rewriting one file in a hundred (1 % of the
   articles change their title): wall seconds, against the full build's.

Prints the table and writes ``bench/results/million-<stamp>.json``. Targets: worker RSS
under 1 GB, p50 growth from 10k to 1M under 4x, cold start under 5 s, the 1 % update
under a tenth of the full build. Takes about 45 minutes on 2 cores (the corpus files
3.5 minutes, the build 32, serving and the update the rest); the files take 1.9 GB and
the index 6.1 GB. ``--reuse`` serves and updates the index an earlier run built (its
build figures are kept in ``bench/results/million-build-<size>.json``).

    .venv/bin/python -m bench.million [--size 1000000] [--files 100] [--work var/bench-million]
        [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.corpora import REPO, _to_record
from bench.procs import group_pids, status_kb
from bench.served import start
from bench.synthetic import SyntheticCorpus
from bench.tail_bench import measure_classes, print_table, synthetic_classes
from indexer import build_index

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"worker_rss_mb": 1024.0, "p50_growth": 4.0, "cold_start_s": 5.0, "update_share": 0.1}


def _write_part(path: str, first: int, count: int) -> int:
    """Write articles ``first`` to ``first + count - 1`` to ``path`` (a worker process)."""
    corpus = SyntheticCorpus()
    partial = Path(path + ".part")
    with partial.open("w", encoding="utf-8") as handle:
        for index in range(first, first + count):
            record = _to_record(corpus.article(index))
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    partial.rename(path)
    return count


def write_corpus(folder: Path, size: int, files: int) -> list[Path]:
    """The corpus as ``files`` JSONL files (written by two processes; kept ones reused)."""
    folder.mkdir(parents=True, exist_ok=True)
    per_file = -(-size // files)
    jobs = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        for number in range(files):
            first = number * per_file
            count = min(per_file, size - first)
            path = folder / f"part-{number:04d}.jsonl"
            if count > 0 and not path.exists():
                jobs.append(pool.submit(_write_part, str(path), first, count))
        for job in jobs:
            job.result()
    return sorted(folder.glob("part-*.jsonl"))


class PeakMemory:
    """The largest summed RSS of a process group, sampled every 0.2 s in a thread."""

    def __init__(self, leader: int) -> None:
        self.leader = leader
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            try:
                total = sum(status_kb(pid, "VmRSS") for pid in group_pids(self.leader))
            except OSError:
                continue
            self.peak_kb = max(self.peak_kb, total)

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def run_indexer(args: list[str]) -> tuple[float, float, str]:
    """``python -m indexer ARGS`` in its own process group: (wall s, peak MB, output)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    memory = PeakMemory(process.pid)
    output, _ = process.communicate()
    wall = time.perf_counter() - started
    peak = memory.stop()
    if process.returncode != 0:
        raise RuntimeError(f"indexer {args[0]} failed ({process.returncode}): {output[-800:]}")
    return wall, peak, output


def folder_mb(path: Path) -> float:
    """Bytes under ``path``, in MB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def served_classes(index_dir: Path, rounds: int) -> dict[str, Any]:
    """Serve ``index_dir``: cold start, worker RSS, the query classes."""
    server = start("broadsheet", index_dir, REPO, "the", timeout=600)
    try:
        first_rss, _ = server.worker_rss_kb()
        table = measure_classes(server.port, synthetic_classes(), rounds)
        rss, peak = server.worker_rss_kb()
        workers = [p for p in group_pids(server.process.pid) if p != server.process.pid]
        # RSS counts the index pages a worker has mapped (shared, reclaimable page cache).
        anon = max(status_kb(p, "RssAnon") for p in workers)
        mapped = max(status_kb(p, "RssFile") for p in workers)
    finally:
        server.stop()
    return {
        "cold_start_s": server.cold_start_ms / 1000,
        "first_answer_ms": server.first_answer_ms,
        "worker_rss_first_mb": first_rss / 1024,
        "worker_rss_mb": rss / 1024,
        "worker_peak_mb": peak / 1024,
        "worker_anon_mb": anon / 1024,
        "worker_file_mb": mapped / 1024,
        "classes": table,
    }


def rewrite_one_percent(part: Path) -> None:
    """Change the title of every article of ``part`` (one file of a hundred)."""
    lines = part.read_text(encoding="utf-8").splitlines()
    changed = []
    for line in lines:
        record = json.loads(line)
        record["title"] = record["title"] + " (revised)"
        changed.append(json.dumps(record, ensure_ascii=False))
    part.write_text("\n".join(changed) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Write, build, serve, measure, update; print and save the row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench-million")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference", type=int, default=10_000, help="articles of the baseline")
    parser.add_argument(
        "--reuse", action="store_true", help="serve and update the index a run before built"
    )
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"size": args.size, "load_before": os.getloadavg()}
    started = time.perf_counter()
    corpus_dir = args.work / f"corpus-{args.size}"
    paths = write_corpus(corpus_dir, args.size, args.files)
    result["corpus_s"] = time.perf_counter() - started
    result["corpus_mb"] = folder_mb(corpus_dir)
    print(f"corpus: {len(paths)} files, {result['corpus_mb']:.0f} MB ({result['corpus_s']:.0f} s)")
    index_dir = args.work / f"index-{args.size}"
    built = RESULTS / f"million-build-{args.size}.json"
    if args.reuse and index_dir.exists() and built.exists():
        result.update(json.loads(built.read_text(encoding="utf-8")))
        wall = result["build_s"]
        print(f"build: reused, measured {result['measured']} (from {built.name})")
    else:
        if index_dir.exists():
            subprocess.run(["rm", "-rf", str(index_dir)], check=True)
        wall, peak, _ = run_indexer(
            ["build", str(corpus_dir), "--index", str(index_dir), "--workers", "2"]
        )
        measured = {
            "build_s": wall,
            "build_aps": args.size / wall,
            "build_peak_mb": peak,
            "index_mb": folder_mb(index_dir),
            "measured": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        built.write_text(json.dumps(measured), encoding="utf-8")
        result.update(measured)
    print(
        f"build: {wall:.0f} s, {args.size / wall:,.0f} articles/s, peak "
        f"{result['build_peak_mb']:.0f} MB, index {result['index_mb']:.0f} MB"
    )
    result["served"] = served_classes(index_dir, args.rounds)
    served = result["served"]
    print(
        f"served: cold start {served['cold_start_s']:.1f} s, worker RSS "
        f"{served['worker_rss_first_mb']:.0f} MB after the first answer, "
        f"{served['worker_rss_mb']:.0f} MB after the classes ({served['worker_anon_mb']:.0f} MB "
        f"private, {served['worker_file_mb']:.0f} MB mapped index pages)"
    )
    print_table(served["classes"], 150.0)
    reference_dir = args.work / f"index-{args.reference}"
    if not reference_dir.exists():
        build_index(SyntheticCorpus().articles(args.reference), reference_dir)
    result["reference"] = served_classes(reference_dir, args.rounds)
    growth = {
        name: row["p50"] / max(result["reference"]["classes"][name]["p50"], 1e-9)
        for name, row in served["classes"].items()
    }
    result["p50_growth"] = growth
    print("p50 growth from", f"{args.reference:,}", "to", f"{args.size:,}:")
    for name, ratio in growth.items():
        print(f"  {name:<24} {ratio:5.2f}x")
    rewrite_one_percent(paths[0])
    wall_update, peak_update, _ = run_indexer(
        ["update", "--index", str(index_dir), "--workers", "2"]
    )
    result.update(update_s=wall_update, update_peak_mb=peak_update, update_share=wall_update / wall)
    print(
        f"update of 1 % of the files: {wall_update:.0f} s ({wall_update / wall:.1%} of the build)"
    )
    result["load_after"] = os.getloadavg()
    result["targets"] = {
        "worker_rss_mb": served["worker_rss_mb"] < TARGETS["worker_rss_mb"],
        "p50_growth": max(growth.values()) < TARGETS["p50_growth"],
        "cold_start_s": served["cold_start_s"] < TARGETS["cold_start_s"],
        "update_share": result["update_share"] < TARGETS["update_share"],
    }
    print(
        "targets:",
        ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in result["targets"].items()),
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"million-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
