"""kill -9 at any moment of build or update never breaks the served index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from indexer_helpers import generations, run_indexer, stored_docs, synthetic_corpus
from reliability_helpers import children

from corpus import ReadReport
from indexer.build import build_from_paths
from indexer.generations import LOCK_NAME
from indexer.health import check_index
from support import ARTICLES, REPO

pytestmark = pytest.mark.slow

FILES, PER_FILE = 4, 150


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def run_and_kill(args: list[str], marker: str, delay: float) -> tuple[bool, list[int]]:
    """Start ``python -m indexer ARGS``; SIGKILL it ``delay`` s after a stderr line holds
    ``marker``. Returns (killed before it finished, its worker pids)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROADSHEET_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", *args],
        cwd=REPO,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    workers: list[int] = []
    assert process.stderr is not None
    for line in process.stderr:
        workers = children(process.pid) or workers
        if marker in line:
            time.sleep(delay)
            workers = children(process.pid) or workers
            process.send_signal(signal.SIGKILL)
            break
    process.stderr.close()
    status = process.wait(timeout=120)
    return status == -signal.SIGKILL, workers


def assert_served_and_whole(index_dir: Path, allowed: set[int]) -> None:
    result = check_index(index_dir)
    assert result.healthy, result.problems
    assert result.articles in allowed
    assert len(stored_docs(index_dir)) == result.articles


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "src"
    synthetic_corpus(folder, FILES, PER_FILE)
    return folder


@pytest.mark.parametrize(
    ("marker", "delay"),
    [
        ("indexing", 0.0),
        ("indexing", 0.8),
        ("writing segments", 0.0),
        ("writing segments", 0.4),
        ("verifying", 0.0),
        ("publishing", 0.0),
    ],
)
def test_killed_build_leaves_old_or_new_index(
    tmp_path: Path, corpus: Path, marker: str, delay: float
) -> None:
    index_dir = tmp_path / "ix"
    build_from_paths([str(ARTICLES)], index_dir, ReadReport())
    args = ["build", str(corpus), "--index", str(index_dir), "--workers", "2"]
    killed, workers = run_and_kill(args, marker, delay)
    # Killed while it held the writer lock, the lock file still names it; killed after
    # it let go (the new index already served, the process ending), it names nobody.
    held_when_killed = killed and bool((index_dir / LOCK_NAME).read_text().strip())
    assert_served_and_whole(index_dir, {12, FILES * PER_FILE})
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [Path(f"/proc/{pid}/status").read_text()[:400] for pid in workers if _alive(pid)]
    assert not survivors, f"outlived the killed build: {survivors}"
    again = run_indexer(*args)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    if held_when_killed:
        assert "an earlier writer was killed" in again.stderr
    assert_served_and_whole(index_dir, {FILES * PER_FILE})
    assert len(generations(index_dir)) <= 2


@pytest.mark.parametrize(
    ("marker", "delay"),
    [("deleting", 0.0), ("indexing", 0.3), ("writing segments", 0.1), ("publishing", 0.0)],
)
def test_killed_update_leaves_old_or_new_index(
    tmp_path: Path, corpus: Path, marker: str, delay: float
) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    files = sorted(corpus.iterdir())
    for path in files[:2]:
        (folder / path.name).write_bytes(path.read_bytes())
    index_dir = tmp_path / "ix"
    build_from_paths([str(folder)], index_dir, ReadReport())
    before = stored_docs(index_dir)
    (folder / files[0].name).unlink()
    for path in files[2:]:
        (folder / path.name).write_bytes(path.read_bytes())
    args = ["update", str(folder), "--index", str(index_dir), "--workers", "2"]
    run_and_kill(args, marker, delay)
    assert_served_and_whole(index_dir, {2 * PER_FILE, (FILES - 1) * PER_FILE})
    again = run_indexer(*args)
    assert again.returncode == 0, again.stderr
    after = stored_docs(index_dir)
    assert len(after) == (FILES - 1) * PER_FILE
    assert not any(key.startswith("s0-") for key in after) and len(before) == 2 * PER_FILE
    fresh = tmp_path / "fresh"
    build_from_paths([str(folder)], fresh, ReadReport())
    assert after == stored_docs(fresh)
