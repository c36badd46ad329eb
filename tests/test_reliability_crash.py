"""``kill -9`` of ``build`` and of ``update`` at ten phases each.

Each writer is stopped at a phase it announces (`indexer.phases`: reading, indexing
at several tenths of the input, writing segments, spelling, verifying, publishing,
published) and killed there, so every kill lands mid-run at the same point on a busy
machine as on an idle one. After each kill: ``python -m indexer check`` calls the
served index healthy, a `SearchService` opens it and answers, and it holds exactly the
old articles (killed before ``published``) or exactly the new ones (after), never a
mix or a partial set; then the same command, run again, completes and serves the new
content.

tests/test_indexer_crash.py checks counts, workers and optimize; this one the exact
article sets and a searcher.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from crash_helpers import kill_at_phase, wait_until_gone
from indexer_helpers import generations, run_indexer, stored_docs, synthetic_corpus

from corpus import ReadReport
from indexer.whoosh.build import build_from_paths
from search import SearchRequest, SearchService

pytestmark = pytest.mark.slow

FILES, PER_FILE = 3, 120
#: Ten kill points of a build and of an update, in the order a run reaches them.
BUILD_KILLS = [
    "reading",
    "indexing 20%",
    "indexing 50%",
    "indexing 80%",
    "indexing 90%",
    "writing segments",
    "spelling",
    "verifying",
    "publishing",
    "published",
]
UPDATE_KILLS = [
    "reading",
    "deleting",
    "indexing 10%",
    "indexing 50%",
    "indexing 90%",
    "writing segments",
    "spelling",
    "verifying",
    "publishing",
    "published",
]


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


def kill_series(
    args: list[str],
    phases: list[str],
    reset: Callable[[], None],
    index_dir: Path,
    old: frozenset[str],
    new: frozenset[str],
    work: Path,
) -> None:
    """For each phase: restore the old index (``reset``), kill ``args`` there; the index
    must serve exactly ``old`` before ``published`` and ``new`` from it on, and running
    ``args`` again must complete and serve ``new``."""
    for number, phase in enumerate(phases):
        reset()
        killed = kill_at_phase(args, phase, work / f"kill-{number}")
        assert not wait_until_gone(killed.workers), f"workers outlived a kill at {phase!r}"
        ids = served_ids(index_dir)
        expected = new if phase == "published" else old
        assert ids == expected, f"after a kill at {phase!r}: {len(ids)} articles served"
        again = run_indexer(*args)
        assert again.returncode == 0, again.stderr
        assert "Traceback" not in again.stderr
        assert "an earlier writer was killed" in again.stderr
        assert served_ids(index_dir) == new
        assert len(generations(index_dir)) <= 2


def test_kill_9_of_build_at_ten_phases(tmp_path: Path) -> None:
    old_files = synthetic_corpus(tmp_path / "old", 1, 40, seed=1)
    new_files = synthetic_corpus(tmp_path / "new", FILES, PER_FILE, seed=2)
    old, new = expected_ids(old_files), expected_ids(new_files)
    index_dir = tmp_path / "ix"
    args = ["build", str(tmp_path / "new"), "--index", str(index_dir), "--workers", "2"]

    def reset() -> None:
        if index_dir.exists():
            shutil.rmtree(index_dir)
        build_from_paths([str(path) for path in old_files], index_dir, ReadReport())

    kill_series(args, BUILD_KILLS, reset, index_dir, old, new, tmp_path / "runs")


def test_kill_9_of_update_at_ten_phases(tmp_path: Path) -> None:
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

    def reset() -> None:
        if index_dir.exists():
            shutil.rmtree(index_dir)
        shutil.copytree(pristine, index_dir)
        assert served_ids(index_dir) == old

    kill_series(args, UPDATE_KILLS, reset, index_dir, old, new, tmp_path / "runs")
