"""``python -m bench.run``: the side-by-side benchmark of issue 7, in one interleaved run.

Builds every engine's index of each corpus in a subprocess (articles/s on wall and
CPU time, peak RSS), starts one query process per in-process engine plus the two
served ones (Broadsheet under gunicorn with 2 workers, the minimal FTS5 HTTP
server), then runs rounds in which the engines take turns (the cold pass: round 1, or a
served worker's first),
then a bounded load test of each server. Writes ``bench/results/<stamp>.json`` and
``.md`` and prints the markdown. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpora import REPO, available_specs
from bench.measure import Settings, log, measure_corpus
from bench.report import render, targets

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus",
        default=None,
        help="comma list of reuters,demo,synthetic (default: all; --quick: demo,synthetic)",
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help="synthetic sizes (default 10000,50000; add 200000 for the growth target; "
        "--quick: 10000)",
    )
    parser.add_argument("--quick", action="store_true", help="small and short: a smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="query rounds (default 3)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent load-test clients")
    parser.add_argument(
        "--whoosh-max",
        type=int,
        default=25_000,
        help="skip naive Whoosh on corpora larger than this (it takes minutes to build)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    return parser.parse_args(argv)


def settings_for(args: argparse.Namespace) -> Settings:
    """Measurement bounds for a full or a quick run."""
    if args.quick:
        return Settings(
            rounds=args.rounds or 2,
            pass_budget_s=20,
            load_clients=args.clients,
            load_requests=300,
            load_seconds=5,
            load_rounds=1,
            whoosh_max=args.whoosh_max,
            max_queries=40,
        )
    return Settings(rounds=args.rounds or 3, load_clients=args.clients, whoosh_max=args.whoosh_max)


def machine(load_before: str) -> dict:
    """What the numbers were taken on."""
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = "unknown"
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_before": load_before,
        "load_after": _load(),
        "commit": commit or "unknown",
    }


def _load() -> str:
    """The load averages as text."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str]) -> int:
    """Run, write results, print the table."""
    args = parse_args(argv)
    settings = settings_for(args)
    names = (args.corpus or ("demo,synthetic" if args.quick else "reuters,demo,synthetic")).split(
        ","
    )
    sizes = [int(s) for s in (args.sizes or ("10000" if args.quick else "10000,50000")).split(",")]
    specs, skipped = available_specs([n.strip() for n in names if n.strip()], sorted(sizes))
    for name, reason in skipped:
        log(f"skipping corpus {name}: {reason}")
    started, load_before, clock = time.strftime("%Y%m%dT%H%M%S"), _load(), time.perf_counter()
    corpora = []
    with tempfile.TemporaryDirectory(prefix="broadsheet-bench-") as scratch:
        for spec in specs:
            corpora.append(measure_corpus(spec, settings, Path(scratch)))
    result = {
        "started": started,
        "command": "python -m bench.run " + shlex.join(argv),
        "settings": settings.__dict__ if hasattr(settings, "__dict__") else _fields(settings),
        "seconds": time.perf_counter() - clock,
        "skipped_corpora": skipped,
        "corpora": corpora,
    }
    result["machine"] = machine(load_before)
    result["targets"] = targets(corpora)
    markdown = render(result)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{started}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    (args.out / f"{started}.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    log(f"wrote {args.out / started}.json and .md")
    return 0


def _fields(settings: Settings) -> dict:
    """The settings as a dict."""
    return {name: getattr(settings, name) for name in settings.__slots__}


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
