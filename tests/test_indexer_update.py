"""Incremental update: equals a full rebuild, deletes, duplicates, change detection."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from indexer_helpers import article_line, split_articles, stored_docs

from corpus import ReadReport
from indexer.generations import current_generation
from indexer.sources import Manifest
from indexer.whoosh.build import build_from_paths
from indexer.whoosh.update import NoManifest, update_from_paths
from support import ARTICLES, build_from


def build(folder: Path, index_dir: Path, workers: int = 1) -> None:
    report = ReadReport()
    build_from_paths([str(folder)], index_dir, report, workers=workers)


def update(folder: Path, index_dir: Path, workers: int = 1):
    return update_from_paths([str(folder)], index_dir, ReadReport(), workers=workers)


def assert_equals_rebuild(folder: Path, index_dir: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    build(folder, fresh)
    assert stored_docs(index_dir) == stored_docs(fresh)
    served = Manifest.load(current_generation(index_dir))
    rebuilt = Manifest.load(current_generation(fresh))
    assert {k: (e.articles, e.kept) for k, e in served.files.items()} == {
        k: (e.articles, e.kept) for k, e in rebuilt.files.items()
    }


@pytest.mark.parametrize("workers", [1, 2])
def test_update_equals_full_rebuild(tmp_path: Path, workers: int) -> None:
    folder = tmp_path / "src"
    first, second, third = split_articles(folder)
    index_dir = tmp_path / "ix"
    build(folder, index_dir)
    before = current_generation(index_dir)

    text = second.read_text(encoding="utf-8")
    second.write_text(text.replace('"title": "', '"title": "Revised: ', 1), encoding="utf-8")
    third.unlink()
    (folder / "new.jsonl").write_text(
        article_line("n1", "Lighthouse restored", "The old lighthouse shines again."),
        encoding="utf-8",
    )
    result = update(folder, index_dir, workers=workers)

    assert current_generation(index_dir) != before
    assert result.files_read == 2  # the changed and the new file; `first` was not read
    docs = stored_docs(index_dir)
    assert "n1" in docs and len(docs) == 12 - 4 + 1
    assert sum(fields["title"].startswith("Revised: ") for fields in docs.values()) == 1
    assert_equals_rebuild(folder, index_dir, tmp_path)


def test_removed_file_deletes_its_articles(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    paths = split_articles(folder, parts=2)
    index_dir = tmp_path / "ix"
    build(folder, index_dir)
    gone = set(stored_docs(index_dir))
    paths[1].unlink()
    result = update(folder, index_dir)
    assert result.deleted == 6 and result.added == 0
    docs = stored_docs(index_dir)
    assert len(docs) == 6
    assert all(fields["origin"].startswith(str(paths[0])) for fields in docs.values())
    assert gone - set(docs)
    assert_equals_rebuild(folder, index_dir, tmp_path)


def test_duplicate_resolves_like_a_rebuild_when_the_first_copy_goes(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        article_line("x", "Original", "The same story text.", url="https://example.org/s")
        + article_line("y", "Only in a", "Something else entirely."),
        encoding="utf-8",
    )
    (folder / "b.jsonl").write_text(
        article_line("x", "Copy by id", "A different body for the same id.")
        + article_line("z", "Copy by url", "The same story text.", url="https://example.org/s"),
        encoding="utf-8",
    )
    index_dir = tmp_path / "ix"
    build(folder, index_dir)
    assert set(stored_docs(index_dir)) == {"x", "y"}
    (folder / "a.jsonl").unlink()
    update(folder, index_dir)
    docs = stored_docs(index_dir)
    assert set(docs) == {"x", "z"} and docs["x"]["title"] == "Copy by id"
    assert_equals_rebuild(folder, index_dir, tmp_path)


def test_new_earlier_file_wins_duplicates_like_a_rebuild(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "m.jsonl").write_text(article_line("x", "Later", "Body one."), encoding="utf-8")
    index_dir = tmp_path / "ix"
    build(folder, index_dir)
    (folder / "a.jsonl").write_text(article_line("x", "Earlier", "Body two."), encoding="utf-8")
    update(folder, index_dir)
    assert stored_docs(index_dir)["x"]["title"] == "Earlier"
    assert_equals_rebuild(folder, index_dir, tmp_path)


def test_touched_but_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    paths = split_articles(folder)
    index_dir = tmp_path / "ix"
    build(folder, index_dir)
    info = paths[0].stat()
    os.utime(paths[0], ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000_000))
    result = update(folder, index_dir)
    assert result.files_read == 0 and result.added == 0 and result.deleted == 0
    entry = Manifest.load(current_generation(index_dir)).files[str(paths[0])]
    assert entry.mtime_ns == info.st_mtime_ns + 5_000_000_000  # remembered: no hash next time


def test_nothing_changed_keeps_the_generation(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    split_articles(folder)
    index_dir = tmp_path / "ix"
    build(folder, index_dir)
    served = current_generation(index_dir)
    result = update(folder, index_dir)
    assert result.generation == served == current_generation(index_dir)
    assert result.articles == 12


def test_update_without_paths_uses_recorded_sources(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    paths = split_articles(folder)
    index_dir = tmp_path / "ix"
    build(folder, index_dir)
    paths[2].unlink()
    result = update_from_paths(None, index_dir, ReadReport())
    assert result.articles == 8


def test_update_needs_a_manifest(tmp_path: Path) -> None:
    index_dir = build_from([ARTICLES], tmp_path / "ix")
    with pytest.raises(NoManifest):
        update_from_paths([str(ARTICLES)], index_dir, ReadReport())
    with pytest.raises(FileNotFoundError):
        update_from_paths([str(ARTICLES)], tmp_path / "none", ReadReport())


def test_every_segment_has_every_sortable_column(tmp_path: Path) -> None:
    """Whoosh misreads columns of multi-segment indexes when a segment lacks one."""
    from whoosh import index as whoosh_index

    folder = tmp_path / "src"
    split_articles(folder)
    index_dir = tmp_path / "ix"
    build(folder, index_dir)
    (folder / "bare.jsonl").write_text(article_line("b1", "Bare", "No source, no date."))
    update(folder, index_dir, workers=2)
    ix = whoosh_index.open_dir(str(current_generation(index_dir)))
    with ix.searcher() as searcher:
        leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
        assert len(leaves) >= 2
        sortable = [name for name, field in ix.schema.items() if field.column_type]
        assert all(leaf.has_column(name) for leaf in leaves for name in sortable)
        column = searcher.reader().column_reader("source_exact")
        assert sorted(column[n] for n in range(searcher.reader().doc_count_all()))[0] == ""
    ix.close()
