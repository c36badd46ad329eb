"""kill -9 of build, update and optimize at every phase they announce never breaks the
served index.

Each test stops the writer at a named phase (`indexer.phases`, via `kill_at_phase`)
and kills it there, so the kill lands at the same point on a busy machine as on an
idle one. After the kill: ``python -m indexer check`` is clean, the served index is
complete and is exactly the old one (killed before ``published``) or the new one
(killed after), no worker outlives the writer, and the same command run again
completes (noting the killed writer) and serves the new index.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from crash_helpers import kill_at_phase, wait_until_gone
from indexer_helpers import generations, run_indexer, stored_docs, synthetic_corpus

from corpus import ReadReport
from indexer.whoosh.build import build_from_paths
from indexer.whoosh.health import check_index
from support import ARTICLES

pytestmark = pytest.mark.slow

FILES, PER_FILE = 4, 150
#: The phases a build announces, in order (`indexer.phases`); each is a kill point.
BUILD_PHASES = [
    "reading",
    "indexing 50%",
    "writing segments",
    "spelling",
    "verifying",
    "publishing",
    "published",
]
UPDATE_PHASES = [
    "reading",
    "deleting",
    "indexing 50%",
    "writing segments",
    "verifying",
    "publishing",
    "published",
]
OPTIMIZE_PHASES = ["merging", "writing segments", "verifying", "publishing", "published"]


def assert_served_and_whole(index_dir: Path, articles: int) -> None:
    """The served index is healthy, for ``python -m indexer check`` too, and holds
    exactly ``articles`` readable documents."""
    check = run_indexer("check", "--index", str(index_dir))
    assert check.returncode == 0 and "healthy" in check.stdout, check.stdout + check.stderr
    result = check_index(index_dir)
    assert result.healthy, result.problems
    assert result.articles == articles
    assert len(stored_docs(index_dir)) == articles


def assert_rerun_completes(args: list[str]) -> None:
    again = run_indexer(*args)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert "an earlier writer was killed" in again.stderr


def kill_and_check_workers(args: list[str], phase: str, work: Path) -> None:
    killed = kill_at_phase(args, phase, work)
    assert not wait_until_gone(killed.workers), "a worker outlived the killed writer"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "src"
    synthetic_corpus(folder, FILES, PER_FILE)
    return folder


@pytest.mark.parametrize("phase", BUILD_PHASES)
def test_killed_build_leaves_old_or_new_index(tmp_path: Path, corpus: Path, phase: str) -> None:
    index_dir = tmp_path / "ix"
    build_from_paths([str(ARTICLES)], index_dir, ReadReport())
    args = ["build", str(corpus), "--index", str(index_dir), "--workers", "2"]
    kill_and_check_workers(args, phase, tmp_path / "run")
    assert_served_and_whole(index_dir, FILES * PER_FILE if phase == "published" else 12)
    assert_rerun_completes(args)
    assert_served_and_whole(index_dir, FILES * PER_FILE)
    assert len(generations(index_dir)) <= 2


@pytest.mark.parametrize("phase", UPDATE_PHASES)
def test_killed_update_leaves_old_or_new_index(tmp_path: Path, corpus: Path, phase: str) -> None:
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
    kill_and_check_workers(args, phase, tmp_path / "run")
    served = (FILES - 1) * PER_FILE if phase == "published" else 2 * PER_FILE
    assert_served_and_whole(index_dir, served)
    if phase != "published":
        assert stored_docs(index_dir) == before
    assert_rerun_completes(args)
    after = stored_docs(index_dir)
    assert len(after) == (FILES - 1) * PER_FILE
    assert not any(key.startswith("s0-") for key in after) and len(before) == 2 * PER_FILE
    fresh = tmp_path / "fresh"
    build_from_paths([str(folder)], fresh, ReadReport())
    assert after == stored_docs(fresh)


@pytest.mark.parametrize("phase", OPTIMIZE_PHASES)
def test_killed_optimize_leaves_old_or_new_index(tmp_path: Path, corpus: Path, phase: str) -> None:
    index_dir = tmp_path / "ix"
    build_from_paths([str(corpus)], index_dir, ReadReport(), workers=2)  # several segments
    before = stored_docs(index_dir)
    args = ["optimize", "--index", str(index_dir)]
    kill_and_check_workers(args, phase, tmp_path / "run")
    assert_served_and_whole(index_dir, FILES * PER_FILE)
    assert stored_docs(index_dir) == before
    assert_rerun_completes(args)
    assert_served_and_whole(index_dir, FILES * PER_FILE)
    assert stored_docs(index_dir) == before
    assert len(generations(index_dir)) <= 2


def test_a_writer_announces_its_phases_in_order(tmp_path: Path, corpus: Path) -> None:
    """The phase names the crash tests stop at are the ones a run really passes."""
    phase_file = tmp_path / "phases"
    env = {"BROADSHEET_PHASE_FILE": str(phase_file)}
    index_dir = tmp_path / "ix"
    assert run_indexer("build", str(corpus), "--index", str(index_dir), env=env).returncode == 0
    tenths = [f"indexing {n}%" for n in range(10, 100, 10)]
    assert phase_file.read_text().splitlines() == [
        "reading",
        *tenths,
        "writing segments",
        "spelling",
        "verifying",
        "publishing",
        "published",
    ]
    phase_file.unlink()
    assert run_indexer("optimize", "--index", str(index_dir), env=env).returncode == 0
    assert phase_file.read_text().splitlines() == OPTIMIZE_PHASES
