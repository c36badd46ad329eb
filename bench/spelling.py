"""Served latency of query assistance (issue 15): misspelled queries and autocomplete.

``python -m bench.spelling --index DIR [--reuters-index DIR]`` starts ``gunicorn wsgi:app``
(2 workers, 127.0.0.1, `bench.served.start`) over DIR and, with one keep-alive client:

- sends every query of ``search/eval/spelling_demo.tsv`` to ``/api/search`` twice (a cold
  and a warm pass) and prints p50/p99 of all of them and of the zero-hit ones (the
  query as typed found nothing: ``total`` 0, or a ``corrected_query`` was shown);
- sends prefixes of the set's phrases to ``/api/suggest`` (two passes) and prints p50/p99,
  and what ``/api/suggest?q=climate ch`` puts first;
- with ``--reuters-index``, serves Reuters too and prints the warm latency of the query
  ``acq`` against the median of ``bench/queries/reuters.tsv``.

The server is always stopped. Numbers are wall milliseconds per request on loopback.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

import click

from bench.served import Connection, Server, search_path, start
from search.spelling_eval import percentile, read_cases

REPO = Path(__file__).resolve().parents[1]
SET_FILE = REPO / "search" / "eval" / "spelling_demo.tsv"
REUTERS_QUERIES = REPO / "bench" / "queries" / "reuters.tsv"
#: Prefixes always asked, besides those made from the set.
FIXED_PREFIXES = ("climate ch", "prime mi", "new yo", "pre", "united na", "george w")


def prefixes(phrases: list[str]) -> list[str]:
    """Each phrase cut inside its last word (two letters of it kept at least)."""
    found = dict.fromkeys(FIXED_PREFIXES)
    for phrase in phrases:
        words = phrase.split()
        if not words or len(words[-1]) < 3:
            continue
        cut = len(words[-1]) // 2 + 1
        found[" ".join([*words[:-1], words[-1][:cut]])] = None
    return list(found)


#: Server CPU ms per request of the last `timed` pass (all gunicorn processes).
LAST_CPU_MS: list[float] = [0.0]


def timed(
    conn: Connection, paths: list[str], server: Server | None = None
) -> tuple[list[float], list[bytes]]:
    """Wall ms and body of each GET, in order (and the server's CPU per request)."""
    times, bodies = [], []
    cpu = server.cpu_s() if server is not None else 0.0
    for path in paths:
        started = time.perf_counter()
        bodies.append(conn.get(path))
        times.append((time.perf_counter() - started) * 1000)
    if server is not None and paths:
        LAST_CPU_MS[0] = (server.cpu_s() - cpu) * 1000 / len(paths)
    return times, bodies


def line(label: str, times: list[float]) -> str:
    """``label (n): p50 .. ms  p99 .. ms``."""
    return (
        f"{label} ({len(times)}): p50 {percentile(times, 0.5):.1f} ms  "
        f"p99 {percentile(times, 0.99):.1f} ms  max {max(times, default=0):.1f} ms"
    )


def measure_demo(server: Server, part: str) -> None:
    """Search and suggest latency over the demo index (``part`` of the set, or all)."""
    cases = [case for case in read_cases(SET_FILE) if part in ("all", case.part)]
    paths = [search_path(case.query) for case in cases]
    conn = Connection("127.0.0.1", server.port, timeout=60)
    try:
        cold, _ = timed(conn, paths)
        warm, bodies = timed(conn, paths, server)
        click.echo(f"/api/search, warm: server CPU {LAST_CPU_MS[0]:.1f} ms per request")
        zero = []
        for body in bodies:
            answer = json.loads(body)
            zero.append(answer["total"] == 0 or bool(answer.get("corrected_query")))
        click.echo(line("/api/search, all set queries, cold", cold))
        click.echo(line("/api/search, all set queries, warm", warm))
        for label, times in (("cold", cold), ("warm", warm)):
            hits = [t for t, z in zip(times, zero, strict=True) if z]
            click.echo(line(f"/api/search, zero-hit, {label}", hits))
        phrases = [case.expected or case.query for case in cases if case.kind != "gibberish"]
        asked = prefixes(phrases)
        suggest_paths = [f"/api/suggest?q={quote(prefix)}" for prefix in asked]
        cold, _ = timed(conn, suggest_paths)
        warm, _ = timed(conn, suggest_paths, server)
        click.echo(f"/api/suggest, warm: server CPU {LAST_CPU_MS[0]:.1f} ms per request")
        click.echo(line("/api/suggest, cold", cold))
        click.echo(line("/api/suggest, warm", warm))
        for prefix in ("climate ch", "new yo", "prime mi"):
            completions = json.loads(conn.get(f"/api/suggest?q={quote(prefix)}"))[1]
            click.echo(f"/api/suggest?q={prefix}: {completions[:5]}")
    finally:
        conn.close()


def measure_reuters(server: Server) -> None:
    """``acq`` against the median Reuters query (warm pass)."""
    queries = [
        row.split("\t", 1)[1]
        for row in REUTERS_QUERIES.read_text(encoding="utf-8").splitlines()
        if row and not row.startswith("#")
    ]
    conn = Connection("127.0.0.1", server.port, timeout=60)
    try:
        paths = [search_path(query) for query in queries]
        timed(conn, paths)
        warm, _ = timed(conn, paths)
        acq = [timed(conn, [search_path("acq")])[0][0] for _ in range(5)]
    finally:
        conn.close()
    median = statistics.median(warm)
    click.echo(
        f"Reuters: median query {median:.1f} ms (p99 {percentile(warm, 0.99):.1f}); "
        f"acq median of 5: {statistics.median(acq):.1f} ms = {statistics.median(acq) / median:.1f}x"
    )


@click.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), required=True)
@click.option("--reuters-index", type=click.Path(path_type=Path), default=None)
@click.option("--part", type=click.Choice(["dev", "test", "all"]), default="all")
def main(index_dir: Path, reuters_index: Path | None, part: str) -> None:
    """Measure query assistance served by gunicorn."""
    click.echo(f"load average before: {os.getloadavg()}")
    server = start("broadsheet", index_dir, REPO, "election")
    try:
        measure_demo(server, part)
        rss, hwm = server.worker_rss_kb()
        click.echo(f"worker RSS {rss / 1024:.0f} MB (peak {hwm / 1024:.0f} MB)")
    finally:
        server.stop()
    if reuters_index is not None:
        server = start("broadsheet", reuters_index, REPO, "oil")
        try:
            measure_reuters(server)
        finally:
            server.stop()
    click.echo(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
