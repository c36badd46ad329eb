"""Operations: ``/healthz``, ``/metrics`` (Prometheus) and per-request instrumentation.

Metrics and gunicorn workers: each worker is its own process. When
``PROMETHEUS_MULTIPROC_DIR`` is set (``gunicorn.conf.py`` sets it up and cleans
it), request counters and latency histograms are written there by every worker
and ``/metrics`` sums them, so any worker answers for the whole server. Without
it (Flask's dev server, tests) the numbers are those of the one process. The
index gauges are read at scrape time from the index the answering worker serves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from search import IndexUnavailable
from search.backends import SearchBackend
from webui import SERVICE_KEY
from webui.errors import error_payload

bp = Blueprint("ops", __name__)

#: Methods counted under their own name; any other (``XABCD``) is counted as ``other``,
#: as any path that matches no route is ``unmatched``: a client cannot grow the number
#: of label values (and /metrics with them).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
OTHER_METHOD = "other"
UNMATCHED_ENDPOINT = "unmatched"

#: Request metrics live in their own registry (not the global one), so that
#: several apps in one process (tests) share them without duplicate registration.
REQUEST_REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "broadsheet_http_requests",
    "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    registry=REQUEST_REGISTRY,
)
LATENCY = Histogram(
    "broadsheet_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REQUEST_REGISTRY,
)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 with the article count and index generation; 503 while no index can be
    opened or read, with the error in the one error shape."""
    service = current_app.extensions[SERVICE_KEY]
    try:
        status = service.index_info()
    except IndexUnavailable as error:
        payload = {"status": "unavailable", **error_payload(error.code, str(error))}
        return jsonify(payload), 503
    last = status.last_commit.strftime("%Y-%m-%dT%H:%M:%SZ") if status.last_commit else None
    return jsonify(
        {
            "status": "ok",
            "docs": status.docs,
            "generation": status.generation,
            "last_commit": last,
        }
    ), 200


class IndexCollector:
    """Prometheus collector for the index gauges, read when scraped."""

    def __init__(self, service: SearchBackend) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        """Yield index size, age and availability."""
        up = GaugeMetricFamily("broadsheet_index_up", "1 when the index opens, else 0.")
        try:
            status = self.service.index_info()
        except IndexUnavailable:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "broadsheet_index_docs", "Articles in the served index.", value=status.docs
        )
        yield GaugeMetricFamily(
            "broadsheet_index_size_bytes",
            "Bytes on disk of the served index generation.",
            value=status.size_bytes,
        )
        if status.last_commit is not None:
            stamp = status.last_commit.timestamp()
            yield GaugeMetricFamily(
                "broadsheet_index_last_commit_timestamp_seconds",
                "Unix time of the served index's last commit.",
                value=stamp,
            )
            yield GaugeMetricFamily(
                "broadsheet_index_age_seconds",
                "Seconds since the served index's last commit.",
                value=max(0.0, time.time() - stamp),
            )


class _Forward:
    """Expose another registry's metrics inside a per-scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format: request counts and latencies, index gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client
    else:
        registry.register(_Forward(REQUEST_REGISTRY))
    registry.register(IndexCollector(current_app.extensions[SERVICE_KEY]))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _start_timer() -> None:
    g.broadsheet_started = time.perf_counter()


def note_search_time(took_ms: float) -> None:
    """Record the search's own milliseconds of this request (``Server-Timing: search``)."""
    g.broadsheet_search_ms = took_ms


def _record(response: Response) -> Response:
    """Count and time the request; say the app's (and the search's) time in
    ``Server-Timing``, as browsers' developer tools and the benchmark read it."""
    started = g.pop("broadsheet_started", None)
    if started is None:
        return response
    seconds = time.perf_counter() - started
    rule = request.url_rule
    endpoint = rule.endpoint if rule is not None else UNMATCHED_ENDPOINT
    method = request.method if request.method in KNOWN_METHODS else OTHER_METHOD
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(seconds)
    timing = f"app;dur={seconds * 1000:.2f}"
    searched = g.pop("broadsheet_search_ms", None)
    if searched is not None:
        timing = f"search;dur={searched:.2f}, {timing}"
    response.headers["Server-Timing"] = timing
    return response


def register(app: Flask) -> None:
    """Time and count every request of ``app``."""
    app.before_request(_start_timer)
    app.after_request(_record)
