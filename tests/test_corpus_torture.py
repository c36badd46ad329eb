"""The torture folder: every good article read, every bad input named, nothing raises."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

from torture_inputs import CONTENT_INPUTS, article_key, write_corpus

from corpus import ReadReport, read_paths
from corpus.jsonl import MAX_BODY_CHARS

TORTURE = Path(__file__).parent / "data" / "corpus" / "torture"


def _reasons(report: ReadReport) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in report.problems:
        found.setdefault(Path(problem.origin.split(":")[0].split("#")[0]).name, []).append(
            problem.reason
        )
    return found


def _big_page(path: Path) -> None:
    paragraph = (
        "<p>"
        + "The council met again today and talked about the budget, roads and parks. " * 12
        + "</p>\n"
    )
    with path.open("w", encoding="utf-8") as handle:
        handle.write("<!DOCTYPE html><html><head><title>Huge page</title></head><body><article>")
        while handle.tell() < 5 * 1024 * 1024:
            handle.write(paragraph)
        handle.write("</article></body></html>")


def test_torture_folder(tmp_path: Path) -> None:
    folder = tmp_path / "torture"
    shutil.copytree(TORTURE, folder)
    _big_page(folder / "huge.html")
    report = ReadReport()
    articles = {
        Path(a.origin.split(":")[0].split("#")[0]).name: a for a in read_paths([folder], report)
    }
    reasons = _reasons(report)

    assert set(articles) == {
        "good.txt",
        "lines.jsonl",
        "missing-columns.csv",
        "entity-error.rss",
        "wrong-charset.html",
        "truncated.html",
        "huge.html",
        "no-body-column.csv",
    }
    assert reasons["empty.txt"] == ["empty file"]
    assert reasons["image.png"] == ["binary file"]
    assert any(r.startswith("invalid JSON line") for r in reasons["lines.jsonl"])
    # A title with no body is an article (a flash, a brief): kept, not "no article text".
    assert "no article text" not in reasons["lines.jsonl"]
    assert (articles["lines.jsonl"].title, articles["lines.jsonl"].body) == ("No body", "")
    assert any(r.startswith("short row") for r in reasons["missing-columns.csv"])
    assert "no-body-column.csv" not in reasons
    assert (articles["no-body-column.csv"].title, articles["no-body-column.csv"].body) == (
        "Only a title",
        "",
    )
    assert reasons["no-article.html"][0].startswith("no article text")
    assert reasons["truncated.html"][0].startswith("truncated")
    assert reasons["entity-error.rss"][0].startswith("entity error")
    assert reasons["huge.html"] == [f"oversized body truncated at {MAX_BODY_CHARS} characters"]

    assert articles["wrong-charset.html"].title == "Café prices rise"
    assert "anyway – for now" in articles["wrong-charset.html"].body
    assert articles["entity-error.rss"].title == "Prices fall at M&S"
    assert "2 percent — a surprise" in articles["entity-error.rss"].body
    assert len(articles["huge.html"].body) <= MAX_BODY_CHARS
    assert report.files_seen == 11


def test_archives_and_duplicates(tmp_path: Path) -> None:
    good = (TORTURE / "good.txt").read_bytes()
    (tmp_path / "one.txt.gz").write_bytes(gzip.compress(good))
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as archive:
        archive.writestr("inner/copy.txt", good)
        archive.writestr("inner/lines.jsonl", (TORTURE / "lines.jsonl").read_bytes())
    (tmp_path / "broken.gz").write_bytes(b"not gzip at all")
    report = ReadReport()
    articles = list(read_paths([tmp_path], report))
    # The same text in two files under two ids is kept twice (grouped at search time,
    # issue 13), as are the valid JSON line and the title-only one.
    assert sorted(a.title for a in articles) == [
        "Good article title",
        "Good article title",
        "No body",
        "Valid line",
    ]
    assert report.duplicates == 0
    assert any(p.reason.startswith("bad gzip") for p in report.problems)
    assert any("bundle.zip!inner/lines.jsonl" in p.origin for p in report.problems)


def test_missing_path_is_reported(tmp_path: Path) -> None:
    report = ReadReport()
    assert list(read_paths([tmp_path / "nope"], report)) == []
    assert report.problems[0].reason.startswith("not found")


def test_script_in_html_page_never_reaches_body() -> None:
    from corpus.html_reader import read_html

    page = (
        b"<html><body><article><p>Real words of the story are here, long enough to count.</p>"
        b"<p>&lt;script&gt;alert(1)&lt;/script&gt; was written in the text as an example.</p>"
        b"<script>document.write('injected')</script></article></body></html>"
    )
    report = ReadReport()
    [article] = list(read_html(page, "page.html", report))
    assert "injected" not in article.body
    assert (
        "<script>alert(1)</script> was written in the text" in article.body
    )  # literal text, escaped later


def test_non_article_files_in_a_folder_are_named_not_indexed(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# About this dump\n\nScraped in 2023.\n", "utf-8")
    (tmp_path / "story.txt").write_text("A title\n2023-07-12 03:58\nThe story body.\n", "utf-8")
    (tmp_path / "notes").write_text("Untitled note\nA note body read as scraped text.\n", "utf-8")
    report = ReadReport()
    titles = sorted(article.title for article in read_paths([tmp_path], report))
    assert titles == ["A title", "Untitled note"]
    assert [(Path(p.origin).name, p.reason.split(":")[0]) for p in report.problems] == [
        ("README.md", "unsupported file type")
    ]


def test_torture_table_through_read_paths(tmp_path: Path) -> None:
    """Every light row of `torture_inputs.CONTENT_INPUTS`: its problems named, its good
    articles read, and nothing else named (the heavy rows run in the indexer build)."""
    folder = tmp_path / "table"
    good, expected = write_corpus(folder, [row for row in CONTENT_INPUTS if not row.heavy])
    report = ReadReport()
    keys = {article_key(a.id, a.origin, folder) for a in read_paths([folder], report)}
    named: dict[str, list[str]] = {}
    for problem in report.problems:
        named.setdefault(problem.origin.removeprefix(f"{folder}/"), []).append(problem.reason)
    for origin, reason in sorted(expected.items()):
        assert any(r.startswith(reason) for r in named.get(origin, [])), (origin, named.get(origin))
    assert {origin: r for origin, r in named.items() if origin not in expected} == {}
    assert keys == good
