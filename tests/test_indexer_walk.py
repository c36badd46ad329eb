"""Walking folders safely: unreadable folders keep their articles (issue 21 item 2), the
same file is read once (item 5), deep folders never crash (item 10), and links to
files outside the given paths are not followed (the "Also" item)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from indexer_helpers import article_line, run_indexer, split_articles, stored_docs
from walk_inputs import (
    as_unprivileged,
    deep_tree,
    outside_link,
    overlapping_paths,
    readable_again,
    unreadable_folder,
)

from corpus import ReadReport, read_paths
from corpus.discover import iter_files
from indexer.generations import current_generation


def build(paths: list[str], index: Path, *extra: str) -> str:
    result = run_indexer("build", *paths, "--index", str(index), "--workers", "1", *extra)
    assert result.returncode in (0, 3), result.stderr
    return result.stderr


# Item 2: unreadable folders and files ------------------------------------------------


def test_update_keeps_the_articles_of_an_unreadable_folder(tmp_path: Path) -> None:
    source, index = tmp_path / "src", tmp_path / "ix"
    split_articles(source, 3)
    locked = unreadable_folder(source, articles=3)
    readable_again(locked)
    build([str(source)], index)
    assert len(stored_docs(index)) == 15
    locked.chmod(0)
    (source / "new.jsonl").write_text(article_line("new-1", "New story", "Added meanwhile."))
    try:
        result = run_indexer(
            "update", str(source), "--index", str(index), "--workers", "1",
            prefix=as_unprivileged(),
        )  # fmt: skip
    finally:
        readable_again(locked)
    assert result.returncode == 3, result.stderr  # done, with a problem named
    assert f"{locked}: unreadable folder: Permission denied: its 3 indexed article(s) kept" in (
        result.stderr
    )
    assert "1 added, 0 deleted" in result.stderr
    docs = stored_docs(index)
    assert len(docs) == 16 and {"locked-0", "locked-1", "locked-2", "new-1"} <= set(docs)
    # Readable again: nothing to do, the manifest still knows the folder's file.
    again = run_indexer("update", str(source), "--index", str(index))
    assert again.returncode == 0 and "nothing changed" in again.stderr, again.stderr


def test_update_keeps_the_articles_of_an_unreadable_changed_file(tmp_path: Path) -> None:
    source, index = tmp_path / "src", tmp_path / "ix"
    first, *_ = split_articles(source, 3)
    build([str(source)], index)
    docs = stored_docs(index)
    first.chmod(0)
    os.utime(first, (1, 1))  # a new mtime: the update must hash the file, and cannot
    try:
        result = run_indexer(
            "update", "--index", str(index), "--workers", "1", prefix=as_unprivileged()
        )
    finally:
        readable_again(first)
    assert result.returncode == 3, result.stderr
    assert f"{first}: unreadable: Permission denied: its 4 indexed article(s) kept" in (
        result.stderr
    )
    assert stored_docs(index) == docs


def test_update_refuses_when_an_unreadable_file_would_have_to_be_read(tmp_path: Path) -> None:
    source, index = tmp_path / "src", tmp_path / "ix"
    source.mkdir()
    story = article_line("same-1", "Same story", "The same story in two files.")
    (source / "a.jsonl").write_text(story + article_line("a-2", "A two", "Only in a."))
    locked = source / "locked"
    locked.mkdir()
    (locked / "b.jsonl").write_text(story)  # a duplicate: indexed from a.jsonl
    build([str(source)], index)
    docs = stored_docs(index)
    (source / "a.jsonl").write_text(article_line("a-2", "A two", "Only in a."))
    locked.chmod(0)  # same-1 must now come from locked/b.jsonl, which cannot be read
    try:
        result = run_indexer("update", "--index", str(index), prefix=as_unprivileged())
    finally:
        readable_again(locked)
    assert result.returncode == 1, result.stderr
    assert f"{locked / 'b.jsonl'} cannot be read" in result.stderr
    assert stored_docs(index) == docs  # same-1 not deleted


def test_build_names_an_unreadable_folder_and_indexes_the_rest(tmp_path: Path) -> None:
    source, index = tmp_path / "src", tmp_path / "ix"
    split_articles(source, 3)
    locked = unreadable_folder(source)
    try:
        result = run_indexer(
            "build", str(source), "--index", str(index), "--workers", "1",
            prefix=as_unprivileged(),
        )  # fmt: skip
    finally:
        readable_again(locked)
    assert result.returncode == 3, result.stderr
    assert f"{locked}: unreadable folder: Permission denied" in result.stderr
    assert len(stored_docs(index)) == 12


# Item 5: the same file reached twice ------------------------------------------------


def test_overlapping_paths_read_each_file_once(tmp_path: Path) -> None:
    paths = overlapping_paths(tmp_path / "src")
    report = ReadReport()
    files = list(iter_files(paths, report))
    assert [f.name for f in files] == ["again.jsonl", "top.jsonl"], files
    assert not report.problems
    index = tmp_path / "ix"
    stderr = build(paths, index)
    assert "0 problems" in stderr and sorted(stored_docs(index)) == ["inner-1", "top-1"]
    for _ in range(2):  # used to fail every time: "wrote N articles but the index holds 2N"
        update = run_indexer("update", "--index", str(index))
        assert update.returncode == 0, update.stderr
        assert "nothing changed" in update.stderr


@pytest.mark.parametrize("twice", ["same file", "folder and subfolder"])
def test_build_then_update_over_the_same_paths_twice(tmp_path: Path, twice: str) -> None:
    source = tmp_path / "src"
    parts = split_articles(source / "sub", 3)
    paths = [str(parts[0])] * 2 if twice == "same file" else [str(source), str(source / "sub")]
    index = tmp_path / "ix"
    build(paths, index)
    served = current_generation(index)
    parts[1].write_text(parts[1].read_text() + article_line("extra-1", "Extra", "More text."))
    update = run_indexer("update", "--index", str(index))
    assert update.returncode == 0, update.stderr
    expected = 4 if twice == "same file" else 13
    assert len(stored_docs(index)) == expected
    if twice == "same file":
        assert current_generation(index) == served  # the changed file is not a source


# Item 10: deep folders ----------------------------------------------------------------


def test_a_folder_1100_levels_deep_is_walked(tmp_path: Path) -> None:
    source = tmp_path / "src"
    split_articles(source, 1)
    with deep_tree(source, 1100):
        report = ReadReport()
        assert len(list(read_paths([source], report))) == 13, report.problems
        index = tmp_path / "ix"
        stderr = build([str(source)], index)
        assert "deep-1" in stored_docs(index) and "0 problems" in stderr


def test_a_folder_past_the_path_length_limit_is_named(tmp_path: Path) -> None:
    source = tmp_path / "src"
    split_articles(source, 1)
    with deep_tree(source, 1100, name="level-name"):  # about 12,000 characters deep
        index = tmp_path / "ix"
        result = run_indexer("build", str(source), "--index", str(index), "--workers", "1")
        assert result.returncode == 3, result.stderr
        assert "unreadable folder: File name too long" in result.stderr
        assert "Traceback" not in result.stderr
        assert len(stored_docs(index)) == 12


# Also: links to files outside the given paths ---------------------------------------


def test_links_to_files_outside_the_given_paths_are_not_followed(tmp_path: Path) -> None:
    source = tmp_path / "src"
    split_articles(source, 1)
    link = outside_link(source, tmp_path / "outside")
    (source / "inside-link.jsonl").symlink_to(source / "part-0.jsonl")  # inside: read once
    index = tmp_path / "ix"
    result = run_indexer("build", str(source), "--index", str(index), "--workers", "1")
    assert result.returncode == 3, result.stderr
    assert f"{link}: link to a file outside the given paths" in result.stderr
    docs = stored_docs(index)
    assert len(docs) == 12 and not any("secret" in d.get("body", "") for d in docs.values())
    # Linked from a given path, the target is inside: followed.
    other = tmp_path / "ix2"
    build([str(source), str(tmp_path / "outside")], other)
    assert any("outside secret" in d.get("body", "") for d in stored_docs(other).values())


def test_follow_links_follows_them_and_update_remembers_it(tmp_path: Path) -> None:
    source = tmp_path / "src"
    split_articles(source, 1)
    outside_link(source, tmp_path / "outside")
    index = tmp_path / "ix"
    stderr = build([str(source)], index, "--follow-links")
    assert "0 problems" in stderr
    assert any("outside secret" in d.get("body", "") for d in stored_docs(index).values())
    update = run_indexer("update", "--index", str(index))
    assert update.returncode == 0 and "nothing changed" in update.stderr, update.stderr
    off = run_indexer("update", "--index", str(index), "--no-follow-links")
    assert off.returncode == 3, off.stderr
    assert "1 deleted" in off.stderr and len(stored_docs(index)) == 12
