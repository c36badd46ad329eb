"""A routine build or update never publishes an index that lost what was served:
a missing or unreadable source path stops it, and so does a run that would remove
more than a set share of the served articles (issue 21, item 1)."""

from __future__ import annotations

from pathlib import Path

from indexer_helpers import article_line, run_indexer, split_articles, stored_docs
from walk_inputs import as_unprivileged, readable_again

from indexer.generations import current_generation


def built(tmp_path: Path, parts: int = 3) -> tuple[Path, Path]:
    """The 12 test articles in ``parts`` files under ``src``, built into ``ix``."""
    source, index = tmp_path / "src", tmp_path / "ix"
    split_articles(source, parts)
    done = run_indexer("build", str(source), "--index", str(index), "--workers", "1")
    assert done.returncode == 0, done.stderr
    return source, index


def assert_unchanged(index: Path, generation: Path, docs: dict) -> None:
    assert current_generation(index) == generation
    assert stored_docs(index) == docs


def test_update_stops_when_the_source_folder_is_missing(tmp_path: Path) -> None:
    source, index = built(tmp_path)
    generation, docs = current_generation(index), stored_docs(index)
    source.rename(tmp_path / "away")  # an unmounted disk, a renamed folder
    result = run_indexer("update", "--index", str(index), "--workers", "1")
    assert result.returncode == 1, result.stderr
    assert f"{source}: not found" in result.stderr
    assert "the served index is unchanged" in result.stderr
    assert_unchanged(index, generation, docs)
    assert len(docs) == 12
    # Given explicitly, a missing path stops it too, next to one that exists.
    other = tmp_path / "other"
    split_articles(other, 1)
    result = run_indexer("update", str(other), str(source), "--index", str(index))
    assert result.returncode == 1 and str(source) in result.stderr
    assert_unchanged(index, generation, docs)


def test_update_stops_when_the_source_folder_is_unreadable(tmp_path: Path) -> None:
    source, index = built(tmp_path)
    generation, docs = current_generation(index), stored_docs(index)
    source.chmod(0)
    try:
        result = run_indexer(
            "update", "--index", str(index), "--workers", "1", prefix=as_unprivileged()
        )
    finally:
        readable_again(source)
    assert result.returncode == 1, result.stderr
    assert f"{source}: unreadable folder: Permission denied" in result.stderr
    assert_unchanged(index, generation, docs)


def test_update_refuses_to_remove_most_of_the_index(tmp_path: Path) -> None:
    source, index = built(tmp_path)
    generation, docs = current_generation(index), stored_docs(index)
    for path in sorted(source.iterdir())[:2]:
        path.unlink()  # 8 of the 12 articles: a half-synced folder
    result = run_indexer("update", "--index", str(index), "--workers", "1")
    assert result.returncode == 1, result.stderr
    assert "would remove 8 of the 12 articles now served (67%)" in result.stderr
    assert "--allow-mass-delete" in result.stderr
    assert_unchanged(index, generation, docs)
    # The share is configurable: by environment, then by option.
    env = {"BROADSHEET_MAX_DELETE_PERCENT": "60"}
    result = run_indexer("update", "--index", str(index), env=env)
    assert result.returncode == 1 and "more than the 60% allowed" in result.stderr
    result = run_indexer("update", "--index", str(index), "--max-delete-percent", "70", env=env)
    assert result.returncode == 0, result.stderr
    assert len(stored_docs(index)) == 4


def test_allow_mass_delete_forces_the_update(tmp_path: Path) -> None:
    source, index = built(tmp_path)
    for path in sorted(source.iterdir())[:2]:
        path.unlink()
    result = run_indexer("update", "--index", str(index), "--allow-mass-delete")
    assert result.returncode == 0, result.stderr
    assert "8 deleted" in result.stderr and len(stored_docs(index)) == 4


def test_update_under_the_limit_goes_through(tmp_path: Path) -> None:
    source, index = built(tmp_path, parts=2)
    sorted(source.iterdir())[0].unlink()  # 6 of 12: exactly 50 % is allowed
    result = run_indexer("update", "--index", str(index), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert len(stored_docs(index)) == 6


def test_rebuild_from_the_same_paths_refuses_to_lose_most_articles(tmp_path: Path) -> None:
    source, index = built(tmp_path)
    generation, docs = current_generation(index), stored_docs(index)
    for path in sorted(source.iterdir())[:2]:
        path.unlink()  # a scheduled rebuild over a half-synced folder
    args = ["build", str(source), "--index", str(index), "--workers", "1"]
    result = run_indexer(*args)
    assert result.returncode == 1, result.stderr
    assert "this build would remove 8 of the 12 articles now served" in result.stderr
    assert_unchanged(index, generation, docs)
    relative = run_indexer("build", "src", "--index", str(index), cwd=tmp_path)
    assert relative.returncode == 1 and "would remove 8" in relative.stderr  # same place
    forced = run_indexer(*args, "--allow-mass-delete")
    assert forced.returncode == 0, forced.stderr
    assert len(stored_docs(index)) == 4


def test_build_from_other_paths_replaces_the_corpus(tmp_path: Path) -> None:
    _source, index = built(tmp_path)  # say, the demo index
    own = tmp_path / "own"
    own.mkdir()
    (own / "mine.jsonl").write_text(article_line("mine-1", "My story", "My own text."))
    result = run_indexer("build", str(own), "--index", str(index), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert list(stored_docs(index)) == ["mine-1"]


def test_build_stops_when_a_given_path_is_missing(tmp_path: Path) -> None:
    source, index = built(tmp_path)
    generation, docs = current_generation(index), stored_docs(index)
    missing = tmp_path / "unmounted"
    result = run_indexer("build", str(source), str(missing), "--index", str(index))
    assert result.returncode == 1, result.stderr
    assert f"{missing}: not found" in result.stderr
    assert_unchanged(index, generation, docs)
