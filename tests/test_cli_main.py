"""The ``broadsheet`` console script that ``pip install -e .`` (run by ``make``) installs.

Runs the script from the venv's ``bin`` as a user would, with this checkout first
on the path: ``--help``, ``index build`` and ``inspect`` on a tiny corpus in
``tmp_path``, ``search`` (text and JSON), and ``serve`` (real gunicorn on
127.0.0.1, stopped by the test).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO / "tests" / "data" / "articles.jsonl"
SCRIPT = Path(sys.executable).parent / "broadsheet"


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout, whichever one is installed
    env.pop("BROADSHEET_INDEX_DIR", None)
    return env


def _broadsheet(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: run `make` (or `pip install -e .`) first")
    return subprocess.run(
        [str(SCRIPT), *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("broadsheet-cli")
    done = _broadsheet(
        "index", "build", str(ARTICLES), "--index", "idx", "--workers", "1", cwd=work
    )
    assert done.returncode == 0, done.stderr
    assert "12 articles" in done.stderr
    return work / "idx"


def test_help_names_every_command(tmp_path: Path) -> None:
    done = _broadsheet("--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    commands = re.findall(r"^  (\S+)", done.stdout.split("Commands:")[1], re.MULTILINE)
    assert commands == ["index", "inspect", "search", "serve"]
    index_help = _broadsheet("index", "--help", cwd=tmp_path).stdout
    for command in ("build", "update", "optimize", "check", "recover", "stats"):
        assert re.search(rf"^  {command} ", index_help, re.MULTILINE), command


def test_index_build_then_inspect(built: Path) -> None:
    assert (built / "CURRENT").is_file()
    done = _broadsheet("inspect", "--index", str(built), cwd=built.parent)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^articles\s+12$", done.stdout, re.MULTILINE)


def test_search_answers_from_the_built_index(built: Path) -> None:
    done = _broadsheet("search", "budget", "--index", str(built), "--json", cwd=built.parent)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["total"] == 3
    assert {hit["id"] for hit in answer["results"]} == {
        "t-budget-old",
        "t-budget-title",
        "t-budget-body",
    }
    text = _broadsheet("search", "budget", "--index", str(built), cwd=built.parent)
    assert text.returncode == 0 and "3 results" in text.stdout
    missing = _broadsheet(
        "search", "budget", "--index", str(built.parent / "none"), cwd=built.parent
    )
    assert missing.returncode == 1  # search's own exit status: no index


def test_serve_runs_gunicorn_on_loopback(built: Path) -> None:
    server = subprocess.Popen(
        [str(SCRIPT), "serve", "--index", str(built), "--port", "0", "--workers", "1"],
        cwd=built.parent,
        env=_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        address = None
        assert server.stderr is not None
        for line in server.stderr:  # gunicorn's log: wait for the socket it bound
            found = re.search(r"Listening at: http://(127\.0\.0\.1:\d+)", line)
            if found:
                address = found.group(1)
                break
        assert address is not None, "gunicorn exited before listening"
        with urllib.request.urlopen(f"http://{address}/api/search?q=budget", timeout=60) as reply:
            assert reply.status == 200
            assert json.load(reply)["total"] == 3
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        if server.stderr is not None:
            server.stderr.close()
