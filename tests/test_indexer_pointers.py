"""A damaged CURRENT or PREVIOUS never costs a generation (issue 21, item 3): every
writer refuses to run past it, `check` names it, `recover` repairs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from indexer_helpers import generations, run_indexer, split_articles, stored_docs

from indexer.generations import (
    DamagedPointer,
    current_generation,
    new_generation,
    publish,
    remove_strays,
)
from indexer.whoosh.schema import SCHEMA_VERSION

DAMAGE = {
    "names no folder": b"gen-bogus\n",
    "empty": b"",
    "not a generation name": b"../../etc\n",
    "not text": b"\xff\xfe\x00garbage",
}


def two_generations(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """An index built twice (CURRENT and PREVIOUS), its source folder and generations."""
    source, index = tmp_path / "src", tmp_path / "ix"
    split_articles(source, 3)
    for _ in range(2):
        done = run_indexer("build", str(source), "--index", str(index), "--workers", "1")
        assert done.returncode == 0, done.stderr
    return source, index, generations(index)


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_current_stops_every_writer_and_deletes_nothing(
    tmp_path: Path, damage: str
) -> None:
    source, index, before = two_generations(tmp_path)
    (index / "CURRENT").write_bytes(DAMAGE[damage])
    for args in (
        ["update", "--workers", "1"],
        ["update", str(source)],
        ["build", str(source), "--workers", "1"],
        ["optimize"],
    ):
        result = run_indexer(*args, "--index", str(index))
        assert result.returncode == 1, (args, result.stderr)
        assert f"{index / 'CURRENT'}" in result.stderr, result.stderr
        assert "leftover" not in result.stderr
        assert generations(index) == before, args
    check = run_indexer("check", "--index", str(index))
    assert check.returncode == 1
    assert "problem:" in check.stdout and "indexer recover" in check.stdout


def test_missing_current_beside_complete_generations_is_damage(tmp_path: Path) -> None:
    source, index, before = two_generations(tmp_path)
    (index / "CURRENT").unlink()
    result = run_indexer("update", str(source), "--index", str(index))
    assert result.returncode == 1 and "CURRENT is missing" in result.stderr
    assert generations(index) == before


def test_damaged_previous_stops_writers_too(tmp_path: Path) -> None:
    source, index, before = two_generations(tmp_path)
    (index / "PREVIOUS").write_text("gen-bogus\n")
    result = run_indexer("build", str(source), "--index", str(index), "--workers", "1")
    assert result.returncode == 1 and "PREVIOUS names gen-bogus" in result.stderr
    assert generations(index) == before
    assert run_indexer("check", "--index", str(index)).returncode == 1


def test_remove_strays_and_publish_refuse_and_keep_every_folder(tmp_path: Path) -> None:
    _source, index, before = two_generations(tmp_path)
    (index / "CURRENT").write_text("gen-bogus\n")
    with pytest.raises(DamagedPointer):
        remove_strays(index)
    assert generations(index) == before
    fresh = new_generation(index)
    with pytest.raises(DamagedPointer):
        publish(index, fresh)
    assert generations(index) == sorted([*before, fresh.name])
    assert (index / "CURRENT").read_text() == "gen-bogus\n"


def test_recover_points_current_at_the_newest_complete_generation(tmp_path: Path) -> None:
    source, index, (older, newer) = two_generations(tmp_path)
    docs = stored_docs(index)
    half_built = new_generation(index)  # a killed writer's folder: newest, not complete
    (index / "CURRENT").write_text("gen-bogus\n")
    result = run_indexer("recover", "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert f"CURRENT now names {newer}, PREVIOUS {older}" in result.stderr
    assert f"passed over: {half_built.name}: incomplete" in result.stderr
    assert current_generation(index).name == newer and stored_docs(index) == docs
    assert half_built.exists()  # recover deletes nothing
    assert run_indexer("check", "--index", str(index), "--deep").returncode == 0
    update = run_indexer("update", "--index", str(index))
    assert update.returncode == 0 and "nothing changed" in update.stderr, update.stderr
    assert not half_built.exists()  # now a leftover, removed by the next writer
    again = run_indexer("recover", "--index", str(index))
    assert again.returncode == 0 and "nothing to recover" in again.stderr


def test_recover_passes_over_a_generation_that_does_not_verify(tmp_path: Path) -> None:
    _source, index, (older, newer) = two_generations(tmp_path)
    (index / newer / "broadsheet.json").write_text(
        json.dumps({"schema_version": SCHEMA_VERSION, "articles": 99})
    )
    (index / newer / "manifest.json").unlink()
    (index / "CURRENT").write_text("")
    result = run_indexer("recover", "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert f"passed over: {newer}: wrote 99 articles but the index holds 12" in result.stderr
    assert current_generation(index).name == older
    assert not (index / "PREVIOUS").exists()


def test_recover_without_any_complete_generation_fails_clearly(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    new_generation(index)
    (index / "CURRENT").write_text("gen-bogus\n")
    result = run_indexer("recover", "--index", str(index))
    assert result.returncode == 1
    assert "no generation" in result.stderr and "indexer build" in result.stderr
