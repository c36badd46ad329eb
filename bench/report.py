"""The markdown report of one run: per corpus, builds, latency, served, cold start, targets."""

from __future__ import annotations

from typing import Any

from bench.stats import check, fmt, ratio

LABELS = {
    "broadsheet": "Broadsheet in-process",
    "broadsheet-http": "Broadsheet served (gunicorn, 2 workers)",
    "whoosh": "naive Whoosh in-process",
    "fts5": "SQLite FTS5 in-process",
    "fts5-http": "FTS5 minimal HTTP server",
    "tantivy": "tantivy in-process",
}
PEERS = ("whoosh", "fts5", "tantivy")


def _warm(corpus: dict, target: str, variant: str, key: str = "p50") -> float | None:
    """A warm-pass statistic (the cold one when there was one round)."""
    phases = corpus["latency"].get(target, {}).get(variant, {})
    return (phases.get("warm") or phases.get("cold") or {}).get(key)


def _cold(corpus: dict, target: str, variant: str, key: str = "p50") -> float | None:
    """A cold-pass statistic (`bench.stats.split_cold_warm`)."""
    return corpus["latency"].get(target, {}).get(variant, {}).get("cold", {}).get(key)


def builds_table(corpus: dict) -> list[str]:
    """Indexing: articles/s (wall, CPU), peak RSS, index size, ratio to Broadsheet."""
    rows = [
        "| engine | wall s | CPU s | articles/s wall | articles/s CPU | peak RSS MB "
        "(after loading) | index MB | Broadsheet speed ÷ this |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ours = corpus["builds"].get("broadsheet", {}).get("aps_wall")
    for name, b in corpus["builds"].items():
        rows.append(
            f"| {LABELS.get(name, name)} | {fmt(b['wall_s'])} | {fmt(b['cpu_s'])} | "
            f"{fmt(b['aps_wall'])} | {fmt(b['aps_cpu'])} | {fmt(b['peak_rss_mb'])} "
            f"({fmt(b['loaded_rss_mb'])}) | {fmt(b['index_mb'])} | "
            f"{fmt(ratio(ours, b['aps_wall']))} |"
        )
    return rows


def latency_table(corpus: dict) -> list[str]:
    """Query latency per target and variant: cold pass and warm passes, CPU per query."""
    rows = [
        "| engine | variant | cold p50 | warm p50 | warm p95 | warm p99 | CPU ms/q | "
        "mean hits | Broadsheet warm p50 ÷ this |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for target, by_variant in corpus["latency"].items():
        ours = "broadsheet-http" if target.endswith("-http") else "broadsheet"
        for variant, phases in by_variant.items():
            warm = phases.get("warm") or phases["cold"]
            truncated = f" ({warm['truncated']} cut)" if warm.get("truncated") else ""
            rows.append(
                f"| {LABELS.get(target, target)} | {variant}{truncated} | "
                f"{fmt(phases['cold']['p50'])} | {fmt(warm['p50'])} | {fmt(warm['p95'])} | "
                f"{fmt(warm['p99'])} | {fmt(warm['cpu_ms_per_q'])} | "
                f"{fmt(warm['mean_total'], 1)} | "
                f"{fmt(ratio(_warm(corpus, ours, variant), warm['p50']))} |"
            )
    return rows


def served_table(corpus: dict) -> list[str]:
    """Served: requests/s under concurrent clients, server CPU per request, RSS, cold start."""
    rows = [
        "| server | clients | requests | req/s (best) | p50 / p99 ms under load | server CPU "
        "ms/req | worker RSS MB (peak) | cold start ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target, runs in corpus["load"].items():
        best = max(runs, key=lambda r: r["rps"])
        rss = corpus["worker_rss_mb"].get(target, {})
        rows.append(
            f"| {LABELS.get(target, target)} | {best['clients']} | {best['requests']} "
            f"({best['errors']} errors) | {fmt(best['rps'])} | {fmt(best['p50'])} / "
            f"{fmt(best['p99'])} | {fmt(best['server_cpu_ms_per_req'])} | "
            f"{fmt(rss.get('rss'))} ({fmt(rss.get('hwm'))}) | "
            f"{fmt(corpus['cold_start_ms'].get(target))} |"
        )
    return rows


def cold_start_table(corpus: dict) -> list[str]:
    """Process start to first answer, and the first query alone, for every target."""
    rows = ["| engine | cold start ms | first query ms |", "|---|---|---|"]
    for target, ms in corpus["cold_start_ms"].items():
        first = corpus["first_query_ms"].get(target)
        rows.append(f"| {LABELS.get(target, target)} | {fmt(ms)} | {fmt(first)} |")
    return rows


def targets(corpora: list[dict]) -> list[dict]:
    """The issue's targets, checked on the largest real corpus and the synthetic series."""
    checks: list[dict] = []
    real = [c for c in corpora if not c["corpus"].startswith("synthetic")]
    main = real[0] if real else (corpora[0] if corpora else None)
    if main:
        name = main["corpus"]
        for phase, get in (("warm", _warm), ("cold-cache", _cold)):
            ours = get(main, "broadsheet-http", "full")
            checks.append(
                check(
                    f"{name}: served full p50 ÷ FTS5-HTTP p50 ({phase})",
                    ratio(ours, get(main, "fts5-http", "full")),
                    2.0,
                    "max",
                )
            )
            checks.append(
                check(
                    f"{name}: naive Whoosh full p50 ÷ served full p50 ({phase})",
                    ratio(get(main, "whoosh", "full"), ours),
                    20.0,
                    "min",
                    "naive Whoosh in-process with facets + snippets",
                )
            )
            checks.append(
                check(
                    f"{name}: naive Whoosh full p50 ÷ in-process full p50 ({phase})",
                    ratio(get(main, "whoosh", "full"), get(main, "broadsheet", "full")),
                    20.0,
                    "min",
                    "both in-process: the engines compared without the HTTP layer",
                )
            )
        b = main["builds"]
        checks.append(
            check(
                f"{name}: indexing articles/s ÷ naive Whoosh",
                ratio(b.get("broadsheet", {}).get("aps_wall"), b.get("whoosh", {}).get("aps_wall")),
                4.0,
                "min",
            )
        )
        checks.append(
            check(
                f"{name}: cold start s",
                (main["cold_start_ms"].get("broadsheet-http") or 0) / 1000 or None,
                2.0,
                "max",
            )
        )
    synthetic = [c for c in corpora if c["corpus"].startswith("synthetic")]
    if len(synthetic) >= 2:
        small, large = synthetic[0], synthetic[-1]
        label = f"{small['corpus']} -> {large['corpus']}"
        for target in ("broadsheet-http", "broadsheet"):
            checks.append(
                check(
                    f"growth {label}: {target} full p50 ratio",
                    ratio(_warm(large, target, "full"), _warm(small, target, "full")),
                    3.0,
                    "max",
                    "" if large["corpus"].endswith("200k") else "target is 10k -> 200k",
                )
            )
        rss = large["worker_rss_mb"].get("broadsheet-http", {}).get("hwm")
        checks.append(check(f"{large['corpus']}: worker peak RSS MB", rss, 300.0, "max"))
    return checks


def render(result: dict[str, Any]) -> str:
    """The whole report as markdown."""
    machine = result["machine"]
    lines = [
        f"# Broadsheet benchmark {result['started']}",
        "",
        f"Command: `{result['command']}`  ",
        f"Machine: {machine['cpus']} CPUs, Python {machine['python']}; load average "
        f"before {machine['load_before']}, after {machine['load_after']}; "
        f"code {machine['commit']}; took {fmt(result['seconds'])} s.  ",
        "Times in ms unless named; p50/p95/p99 over every query of the passes; cold = the "
        "first pass (every query new to the process), warm = later passes; ratios > 1 in "
        "'Broadsheet ÷ this' mean Broadsheet is slower (latency) or faster (articles/s).",
    ]
    for name, reason in result.get("skipped_corpora", []):
        lines.append(f"\nCorpus {name} skipped: {reason}")
    for corpus in result["corpora"]:
        lines += ["", f"## {corpus['corpus']}: {corpus['articles']:,} articles, "
                  f"{corpus['queries']} queries", ""]  # fmt: skip
        for title, table in (
            ("Indexing", builds_table),
            ("Query latency (ms)", latency_table),
            ("Served, concurrent clients", served_table),
            ("Cold start", cold_start_table),
        ):
            lines += [f"### {title}", "", *table(corpus), ""]
        for key in ("skipped", "errors"):
            for name, reason in corpus[key].items():
                lines.append(f"- {key[:-1] if key == 'errors' else 'skipped'} {name}: {reason}")
    lines += ["", "## Targets (issue 7)", "", "| target | measured | limit | verdict | note |",
              "|---|---|---|---|---|"]  # fmt: skip
    for item in result["targets"]:
        bound = ("≤ " if item["kind"] == "max" else "≥ ") + fmt(item["limit"])
        lines.append(
            f"| {item['target']} | {fmt(item['value'])} | {bound} | {item['verdict']} | "
            f"{item['note']} |"
        )
    return "\n".join(lines) + "\n"
