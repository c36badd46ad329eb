"""``kill -9`` of ``build`` and of ``update`` at 20 random (seeded) moments.

After each kill: ``python -m indexer check`` calls the served index healthy, a
`SearchService` opens it and answers, and it holds exactly the old or exactly the new
articles (never a mix, never a partial set); then the same command, run again,
completes and serves the new content. The moments are drawn uniformly over the
measured length of an uninterrupted run (so they fall in start-up, reading, writing
segments, verifying and publishing alike), from a fixed seed. A busy machine makes runs
shorter or longer than the timed one: while fewer than half of the kills landed
mid-run, more seeded moments early in a run are added (`kill_series`), so the test
waits for what it needs instead of failing on the machine's speed.

tests/test_indexer_crash.py kills at named phases; this one at arbitrary moments.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from indexer_helpers import generations, run_indexer, stored_docs, synthetic_corpus
from reliability_helpers import REPO, children, indexer_env

from corpus import ReadReport
from indexer.build import build_from_paths
from search import SearchRequest, SearchService

pytestmark = pytest.mark.slow

SEED = 20_260_814
KILLS_PER_COMMAND = 10
#: Failure guard: most runs a series may take while it waits for enough mid-run kills.
MAX_RUNS = 3 * KILLS_PER_COMMAND
FILES, PER_FILE = 3, 120


def kill_after(args: list[str], delay: float) -> tuple[bool, list[int]]:
    """Start ``python -m indexer ARGS``, SIGKILL it after ``delay`` seconds; return
    whether it was still running then, and the worker pids it had."""
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", *args],
        cwd=REPO,
        env=indexer_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + delay
    workers: set[int] = set()
    while time.monotonic() < deadline and process.poll() is None:
        workers.update(children(process.pid))
        time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
    running = process.poll() is None
    if running:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return running, sorted(workers)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def served_ids(index_dir: Path) -> frozenset[str]:
    """Check the served index as an operator and a web worker would; return its ids."""
    check = run_indexer("check", "--index", str(index_dir))
    assert check.returncode == 0, check.stdout + check.stderr
    service = SearchService(index_dir)
    try:
        response = service.search(SearchRequest(q="harbour OR council", per_page=5))
        assert response.total > 0 and response.hits
        assert service.doc_count() == len(docs := stored_docs(index_dir))
    finally:
        service.close()
    return frozenset(docs)


def expected_ids(paths: list[Path]) -> frozenset[str]:
    """The ids a complete index of ``paths`` holds."""
    ids = set()
    for path in paths:
        ids.update(json.loads(line)["id"] for line in path.read_text().splitlines())
    return frozenset(ids)


def timed_run(args: list[str]) -> float:
    """Seconds an uninterrupted run of ``python -m indexer ARGS`` takes."""
    started = time.monotonic()
    result = run_indexer(*args)
    assert result.returncode == 0, result.stderr
    return time.monotonic() - started


def moments(length: float, salt: int) -> list[float]:
    """``KILLS_PER_COMMAND`` seeded moments within a run of ``length`` seconds: most
    anywhere, three near its end (verifying, publishing, exiting, or just done)."""
    rng = random.Random(SEED + salt)
    late = 3
    early = [rng.uniform(0.05, length) for _ in range(KILLS_PER_COMMAND - late)]
    tail = [rng.uniform(length * 0.9, length * 1.4) for _ in range(late)]
    return sorted(round(moment, 3) for moment in early + tail)


def kill_series(
    args: list[str],
    length: float,
    salt: int,
    reset: Callable[[], None],
    index_dir: Path,
    old: frozenset[str],
    new: frozenset[str],
) -> list[dict]:
    """Kill ``args`` at the seeded `moments`, then, while fewer than half of the kills
    landed mid-run (a busy machine runs faster or slower than the timed run), at more
    seeded moments early in a run, up to `MAX_RUNS`. ``reset`` restores the old index."""
    planned = moments(length, salt)
    more = random.Random(SEED + 100 + salt)
    outcomes: list[dict] = []
    while planned and len(outcomes) < MAX_RUNS:
        reset()
        outcomes.append(_kill_and_rerun(args, planned.pop(0), index_dir, old, new))
        mid_run = sum(outcome["killed"] for outcome in outcomes)
        if not planned and mid_run < KILLS_PER_COMMAND // 2:
            planned.append(round(more.uniform(0.05, length * 0.6), 3))
    return outcomes


def _report(kind: str, length: float, outcomes: list[dict]) -> None:
    killed = sum(1 for outcome in outcomes if outcome["killed"])
    served = {"old": 0, "new": 0}
    for outcome in outcomes:
        served[outcome["served"]] += 1
    delays = [outcome["delay"] for outcome in outcomes]
    print(
        f"\nkill -9 of {kind} (a run takes {length:.2f} s) at {delays}: {killed} killed "
        f"mid-run, {len(outcomes) - killed} finished first; served after: {served}; "
        "every next run completed"
    )


def _kill_and_rerun(
    args: list[str], delay: float, index_dir: Path, old: frozenset[str], new: frozenset[str]
) -> dict:
    """kill -9 the indexer ``delay`` s into ``args``; the index must serve exactly the old
    or the new articles, and running ``args`` again must complete and serve the new."""
    killed, workers = kill_after(args, delay)
    _wait_for_workers(workers)
    ids = served_ids(index_dir)
    assert ids in (old, new), f"after a kill at {delay} s: {len(ids)} articles, a mix"
    again = run_indexer(*args)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert served_ids(index_dir) == new
    return {"delay": delay, "killed": killed, "served": "new" if ids == new else "old"}


def _wait_for_workers(workers: list[int]) -> None:
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)], "workers outlived the killed writer"


def test_kill_9_of_build_at_ten_random_moments(tmp_path: Path) -> None:
    old_files = synthetic_corpus(tmp_path / "old", 1, 40, seed=1)
    new_files = synthetic_corpus(tmp_path / "new", FILES, PER_FILE, seed=2)
    old, new = expected_ids(old_files), expected_ids(new_files)
    index_dir = tmp_path / "ix"
    build_from_paths([str(path) for path in old_files], index_dir, ReadReport())
    args = ["build", str(tmp_path / "new"), "--index", str(index_dir), "--workers", "2"]
    length = timed_run(["build", str(tmp_path / "new"), "--index", str(tmp_path / "probe")])

    def reset() -> None:
        assert len(generations(index_dir)) <= 2
        shutil.rmtree(index_dir)
        build_from_paths([str(path) for path in old_files], index_dir, ReadReport())

    outcomes = kill_series(args, length, 1, reset, index_dir, old, new)
    assert len(generations(index_dir)) <= 2
    _report("build", length, outcomes)
    assert sum(outcome["killed"] for outcome in outcomes) >= KILLS_PER_COMMAND // 2


def test_kill_9_of_update_at_ten_random_moments(tmp_path: Path) -> None:
    # Three times the articles of the build test: an update re-reads only part of them,
    # and a run must last long enough for most kills to land while it works.
    per_file = PER_FILE * 3
    files = synthetic_corpus(tmp_path / "all", FILES + 1, per_file, seed=3)
    folder = tmp_path / "src"
    folder.mkdir()
    for path in files[:2]:
        shutil.copy(path, folder / path.name)
    pristine = tmp_path / "pristine"
    build_from_paths([str(folder)], pristine, ReadReport())
    old = expected_ids(files[:2])
    # The update removes one file, changes another and adds two.
    (folder / files[0].name).unlink()
    changed = folder / files[1].name
    lines = changed.read_text().splitlines(keepends=True)
    changed.write_text("".join(lines[: per_file // 2]))
    for path in files[2:]:
        shutil.copy(path, folder / path.name)
    new = expected_ids(sorted(folder.iterdir()))
    index_dir = tmp_path / "ix"
    # It removes 75 % of the served articles (on purpose, to re-read much): allowed.
    args = ["update", str(folder), "--index", str(index_dir), "--workers", "2"]
    args.append("--allow-mass-delete")
    # The shorter of two runs: the first one also warms the page cache.
    lengths = []
    for _ in range(2):
        shutil.copytree(pristine, index_dir)
        lengths.append(timed_run(args))
        shutil.rmtree(index_dir)
    shutil.copytree(pristine, index_dir)
    length = min(lengths)

    def reset() -> None:
        shutil.rmtree(index_dir)
        shutil.copytree(pristine, index_dir)
        assert served_ids(index_dir) == old

    outcomes = kill_series(args, length, 2, reset, index_dir, old, new)
    _report("update", length, outcomes)
    assert sum(outcome["killed"] for outcome in outcomes) >= KILLS_PER_COMMAND // 2
