"""Summaries of raw measurements: percentiles, cold/warm splits, ratios, target checks."""

from __future__ import annotations

import math
import statistics
from typing import Any


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(passes: list[dict]) -> dict[str, Any]:
    """p50/p95/p99 of pooled request latencies, CPU ms per request, RSS, truncation."""
    lat = [ms for p in passes for ms in p["lat_ms"]]
    count = len(lat)
    cpu = sum(p["cpu_ms"] for p in passes)
    totals = [t for p in passes for t in p.get("totals", [])]
    return {
        "n": count,
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "p99": percentile(lat, 99),
        "mean": statistics.fmean(lat) if lat else None,
        "cpu_ms_per_q": cpu / count if count else None,
        "truncated": sum(p.get("truncated", 0) for p in passes),
        "rss_mb": max((p.get("rss_kb", 0) for p in passes), default=0) / 1024,
        "hwm_mb": max((p.get("hwm_kb", 0) for p in passes), default=0) / 1024,
        "mean_total": statistics.fmean(totals) if totals else None,
    }


def split_cold_warm(passes: list[dict]) -> dict[str, dict[str, Any]]:
    """Cold passes are those in which every query was new to the process that answered;
    the rest are warm. In-process engines: round 1 is cold. Served passes name the
    ``worker`` that took them, and each worker's first pass is cold: with 2 gunicorn
    workers, round 2 may go to the worker that has not seen the queries yet."""
    seen: set[Any] = set()
    cold: list[dict] = []
    warm: list[dict] = []
    for one in passes:
        worker = one.get("worker")  # None: an in-process engine, one process
        (warm if worker in seen else cold).append(one)
        seen.add(worker)
    out = {"cold": latency_summary(cold)}
    if warm:
        out["warm"] = latency_summary(warm)
    return out


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, None when either is missing or zero."""
    if not numerator or not denominator:
        return None
    return numerator / denominator


def fmt(value: float | None, digits: int = 2) -> str:
    """A number for a table cell; ``-`` when missing."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def check(name: str, value: float | None, limit: float, kind: str, note: str = "") -> dict:
    """One target: ``kind`` is ``max`` (value must be at most limit) or ``min``."""
    if value is None:
        verdict = "not measured"
    elif (value <= limit) if kind == "max" else (value >= limit):
        verdict = "met"
    else:
        verdict = "MISSED"
    return {"target": name, "value": value, "limit": limit, "kind": kind, "verdict": verdict,
            "note": note}  # fmt: skip
