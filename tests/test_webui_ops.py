"""Operations: /healthz, /metrics and the gunicorn configuration."""

from __future__ import annotations

import gc
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from servers import gunicorn
from support import metric
from webui import create_app

REPO = Path(__file__).resolve().parents[1]


def test_healthz_reports_count_and_generation(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["status"] == "ok" and payload["docs"] == 12
    assert payload["generation"].startswith("gen-")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload["last_commit"])


def test_server_timing_says_the_search_and_the_app_time(client: FlaskClient) -> None:
    def timings(path: str) -> dict[str, float]:
        response = client.get(path)
        assert response.status_code == 200
        header = response.headers["Server-Timing"]
        return {name: float(ms) for name, ms in re.findall(r"(\w+);dur=([\d.]+)", header)}

    for path in ("/api/search?q=harbour", "/?q=harbour"):
        searched = timings(path)
        assert set(searched) == {"search", "app"}, path
        assert 0 < searched["search"] <= searched["app"], path
    assert set(timings("/healthz")) == {"app"}  # no search, no search time


def test_healthz_is_503_without_an_index(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"


def test_healthz_is_503_when_the_index_cannot_be_opened(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    (index_dir / "gen-20240101T000000000000-1").mkdir(parents=True)  # no Whoosh files
    (index_dir / "CURRENT").write_text("gen-20240101T000000000000-1\n", encoding="utf-8")
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    response = client.get("/healthz")
    payload = response.get_json()
    assert response.status_code == 503 and "cannot open" in payload["error"]["message"]
    assert payload["status"] == "unavailable" and payload["error"]["code"] == "index_unavailable"
    assert client.get("/").status_code == 503
    metrics = client.get("/metrics").get_data(as_text=True)
    assert metric(metrics, "broadsheet_index_up") == 0


def test_metrics_count_requests_by_endpoint(client: FlaskClient) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    start = metric(before, "broadsheet_http_requests_total", endpoint="api.search", status="200")
    start = start or 0
    for _ in range(3):
        client.get("/api/search?q=election")
    client.get("/api/search?per_page=0")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    ok = metric(text, "broadsheet_http_requests_total", endpoint="api.search", status="200")
    assert ok is not None and ok >= start + 3
    bad = metric(text, "broadsheet_http_requests_total", endpoint="api.search", status="400")
    assert bad is not None and bad >= 1
    count = metric(text, "broadsheet_http_request_duration_seconds_count", endpoint="api.search")
    assert count is not None and count >= 4
    assert metric(text, "broadsheet_index_up") == 1
    assert metric(text, "broadsheet_index_docs") == 12
    assert metric(text, "broadsheet_index_size_bytes") > 0
    assert metric(text, "broadsheet_index_age_seconds") >= 0
    assert metric(text, "broadsheet_index_last_commit_timestamp_seconds") > 1.6e9


def test_unmatched_paths_do_not_explode_label_cardinality(client: FlaskClient) -> None:
    for number in range(5):
        client.get(f"/no/such/page/{number}")
    text = client.get("/metrics").get_data(as_text=True)
    assert "/no/such" not in text
    assert metric(text, "broadsheet_http_requests_total", endpoint="unmatched", status="404")


def test_unknown_methods_share_one_label_value(client: FlaskClient) -> None:
    def invent_methods(first: int) -> str:
        for number in range(first, first + 300):
            client.open(f"/nope/{number}", method=f"X{number}ABCD")
            client.open("/api/search", method=f"Y{number}")
        return client.get("/metrics").get_data(as_text=True)

    before = invent_methods(0)
    after = invent_methods(300)
    methods = set(re.findall(r'method="([^"]*)"', after))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}
    assert metric(after, "broadsheet_http_requests_total", endpoint="unmatched", method="other")
    assert len(after) - len(before) < 500, "600 new methods grew /metrics"


def test_gunicorn_config_defaults() -> None:
    config: dict = {}
    exec(compile((REPO / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), config)
    assert config["bind"] == "127.0.0.1:8000"
    assert 1 <= config["workers"] <= 8 and config["timeout"] > 0 and config["accesslog"]
    assert config["worker_class"] == "webui.worker.HeadBufferingWorker"


def test_a_started_gunicorn_worker_freezes_what_it_holds() -> None:
    config: dict = {}
    exec(compile((REPO / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), config)
    assert gc.get_freeze_count() == 0
    try:
        config["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000  # this test process's modules, at least
    finally:
        gc.unfreeze()


@pytest.mark.slow
def test_metrics_are_summed_over_gunicorn_workers(small_index: Path, tmp_path: Path) -> None:
    access_log = tmp_path / "access.log"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"BROADSHEET_ACCESS_LOG": str(access_log), "TMPDIR": str(scratch)}
    with gunicorn(small_index, workers=2, extra_env=env) as base:
        assert len(list(scratch.glob("broadsheet-metrics-*"))) == 1
        for _ in range(20):
            with urllib.request.urlopen(f"{base}/api/search?q=election", timeout=10) as answer:
                assert json.loads(answer.read())["total"] == 2
        totals = set()
        for _ in range(4):  # whichever worker answers, it reports all workers' requests
            with urllib.request.urlopen(f"{base}/metrics", timeout=10) as answer:
                text = answer.read().decode()
            totals.add(
                metric(text, "broadsheet_http_requests_total", endpoint="api.search", status="200")
            )
        assert totals == {20.0}
        assert metric(text, "broadsheet_index_docs") == 12
    lines = access_log.read_text(encoding="utf-8").splitlines()
    assert sum("GET /api/search?q=election" in line for line in lines) == 20
    assert not list(scratch.glob("broadsheet-metrics-*"))  # the private folder went too


def test_a_gunicorn_that_cannot_start_leaves_no_metrics_folder(
    small_index: Path, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "BROADSHEET_INDEX_DIR": str(small_index),
            "BROADSHEET_BIND": f"127.0.0.1:{port}",
            "TMPDIR": str(tmp_path),
        }
        done = subprocess.run(
            [sys.executable, "-m", "gunicorn", "--no-control-socket", "wsgi:app"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode != 0 and "Address already in use" in done.stderr
    assert not list(tmp_path.glob("broadsheet-metrics-*"))


def test_reading_the_gunicorn_config_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    tempfile.tempdir = None  # re-read TMPDIR
    try:
        config: dict = {}
        exec(compile((REPO / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), config)
        assert not list(tmp_path.iterdir())
    finally:
        tempfile.tempdir = None
