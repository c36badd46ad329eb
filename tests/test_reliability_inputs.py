"""Hostile inputs at the unit level (fast): what the torture build relies on.

Non-regular files (FIFO), links to folders and link loops are named and skipped;
``indexer build`` survives binary and unsupported files (it raised KeyError); a reader
that fails costs only its own input; markup nested 50,000 deep and JSON lists nested
900 deep are read without recursion.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from indexer_helpers import article_line, stored_docs

import corpus.discover
from corpus import ReadReport, read_paths
from corpus.article import Article
from corpus.html_reader import MAX_NESTING, parse_html_page
from corpus.html_text import fragment_to_text
from corpus.jsonl import read_jsonl
from indexer.whoosh.build import build_from_paths


def reasons(report: ReadReport, folder: Path) -> dict[str, str]:
    """``{origin relative to folder: reason}``."""
    return {str(Path(p.origin).relative_to(folder)): p.reason for p in report.problems}


def test_fifo_links_and_loops_are_named_not_read(tmp_path: Path) -> None:
    (tmp_path / "good.jsonl").write_text(article_line("ok", "Fine", "A fine body."))
    os.mkfifo(tmp_path / "pipe.jsonl")  # opening it would block the reader forever
    (tmp_path / "loop-a").symlink_to("loop-b")
    (tmp_path / "loop-b").symlink_to("loop-a")
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "up").symlink_to("..")
    (tmp_path / "inner" / "zero.txt").symlink_to("/dev/zero")
    report = ReadReport()
    assert [article.id for article in read_paths([tmp_path], report)] == ["ok"]
    assert reasons(report, tmp_path) == {
        "pipe.jsonl": "not a regular file (FIFO): skipped",
        "loop-a": "unreadable: Too many levels of symbolic links",
        "loop-b": "unreadable: Too many levels of symbolic links",
        "inner/up": "link to a folder: not followed",
        "inner/zero.txt": "not a regular file (device): skipped",
    }


def test_build_survives_binary_and_unsupported_files(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "good.jsonl").write_text(article_line("ok", "Fine", "A fine body."))
    (source / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (source / "README.md").write_text("# Notes\n\nNot an article.\n")
    report = ReadReport()
    result = build_from_paths([str(source)], tmp_path / "ix", report)
    assert result.articles == 1 and list(stored_docs(tmp_path / "ix")) == ["ok"]
    assert reasons(report, source) == {
        "image.png": "binary file",
        "README.md": "unsupported file type: .md (--format forces one)",
    }


@pytest.fixture()
def failing_reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The ``text`` reader yields one article, then fails."""

    def reader(data: bytes, origin: str, report: ReadReport) -> Iterator[Article]:
        yield Article(id="first", title="First", body="Read before the failure.", origin=origin)
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setitem(corpus.discover.READERS, "text", reader)
    yield


@pytest.mark.usefixtures("failing_reader")
def test_a_failing_reader_costs_only_its_input(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("Title\n\nBody\n")
    (tmp_path / "good.jsonl").write_text(article_line("ok", "Fine", "A fine body."))
    report = ReadReport()
    assert sorted(article.id for article in read_paths([tmp_path], report)) == ["first", "ok"]
    assert reasons(report, tmp_path) == {
        "bad.txt": "reader failed (RecursionError: maximum recursion depth exceeded): "
        "rest of this input skipped"
    }


def test_deep_markup_is_read_as_text_without_recursion() -> None:
    report = ReadReport()
    depth = 50_000
    page = f"<html><body>{'<div>' * depth}<p>{'Deep words here. ' * 10}</p>{'</div>' * depth}"
    started = time.perf_counter()
    article = parse_html_page(page + "</body></html>", "deep.html", report)
    assert time.perf_counter() - started < 10
    assert article is not None and "Deep words here." in article.body
    assert [p.reason for p in report.problems] == [
        f"markup nested over {MAX_NESTING} levels deep: read as plain text"
    ]
    assert fragment_to_text("<b>" * 20_000 + "bold" + "</b>" * 20_000) == "bold"


def test_nested_json_lists_are_flattened_not_recursed() -> None:
    line = '{"id": "n", "title": "T", "body": ' + "[" * 900 + '"deep body"' + "]" * 900 + "}\n"
    report = ReadReport()
    [article] = list(read_jsonl(line.encode(), "nested.jsonl", report))
    assert article.body == "deep body" and not report.problems
