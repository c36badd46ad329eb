"""Each reader on a small hand-written corpus, format detection and the inspect CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from corpus import Article, ReadReport, read_paths
from corpus.__main__ import cli
from corpus.discover import detect_format
from corpus.html_text import fragment_to_text

DATA = Path(__file__).parent / "data" / "corpus"
FORMATS = DATA / "formats"
UTC = UTC


def _read(path: Path, fmt: str | None = None) -> tuple[list[Article], ReadReport]:
    report = ReadReport()
    return list(read_paths([path], report, fmt)), report


def test_html_article_metadata_and_clean_body() -> None:
    [article], report = _read(FORMATS / "article.html")
    assert not report.problems
    assert article.title == "Harbour bridge reopens after repairs"
    assert article.date == datetime(2023, 7, 12, 3, 58, tzinfo=UTC)
    assert article.author == "Jane Marlow"
    assert article.tags == ("Transport", "Infrastructure")
    assert article.source == "The Coastal Gazette"
    assert article.url == article.id == "https://gazette.example/2023/07/bridge-reopens"
    assert article.language == "en-GB"
    assert article.body.startswith("The harbour bridge reopened")
    assert "yearly checks" in article.body
    assert article.body.count("\n\n") == 3
    for furniture in (
        "cookies",
        "Share on",
        "Related",
        "First!",
        "Copyright",
        "Photo:",
        "tracking",
        "Home",
    ):
        assert furniture not in article.body


def test_csv_aliases_and_markup_removed() -> None:
    articles, report = _read(FORMATS / "articles.csv")
    assert not report.problems
    wheat, port = articles
    assert wheat.title == "Wheat prices climb"
    assert wheat.url == "https://example.org/wheat"
    assert wheat.tags == ("grain", "wheat")
    assert wheat.author == "Ann Lee"
    assert wheat.date == datetime(2023, 7, 12, 3, 58, tzinfo=UTC)
    assert port.body == "Dock workers returned to work after a two-week strike."
    assert "<" not in port.body and "alert" not in port.body


def test_rss_items() -> None:
    articles, report = _read(FORMATS / "feed.rss")
    assert not report.problems
    river, library = articles
    assert river.id == "valley-1"
    assert river.source == "Valley Times"
    assert river.tags == ("Weather", "Floods")
    assert river.author == "Sam Brook"
    assert river.date == datetime(2023, 7, 12, 3, 58, tzinfo=UTC)
    assert river.body == "The river dropped two metres overnight."
    assert library.date == datetime(2023, 7, 13, 8, 0, tzinfo=UTC)
    assert library.body.split("\n\n") == [
        "The town library opened its new children's wing on Thursday.",
        "It holds 5,000 books.",
    ]


def test_atom_entry() -> None:
    [entry], report = _read(FORMATS / "feed.atom")
    assert not report.problems
    assert entry.title == "Snow closes mountain pass"
    assert entry.url == "https://hill.example/snow"
    assert entry.date == datetime(2023, 7, 12, 1, 58, tzinfo=UTC)
    assert entry.author == "Ida North"
    assert entry.tags == ("Roads",)
    assert entry.source == "Hill Post"


def test_reuters_sgml() -> None:
    articles, report = _read(FORMATS / "sample.sgm")
    assert [a.id for a in articles] == ["reuters-1", "reuters-2", "reuters-3"]
    cocoa = articles[0]
    assert cocoa.title == "BAHIA COCOA REVIEW"
    assert cocoa.tags == ("cocoa", "el-salvador", "usa")
    assert cocoa.date == datetime(1987, 2, 26, 15, 1, 1, tzinfo=UTC)
    assert cocoa.body.endswith("Arrivals for the week were 155,221 bags.")
    assert "Reuter" not in cocoa.body and "\x03" not in cocoa.body
    assert "<Comissaria Smith>" in cocoa.body  # text, as the source wrote it
    assert articles[1].body == "SHEARSON SEES HIGHER EARNINGS"
    assert articles[2].date == datetime(1987, 3, 31, tzinfo=UTC)
    assert not report.problems


def test_jsonl_markup_becomes_text() -> None:
    articles, _ = _read(FORMATS / "good.jsonl")
    assert articles[1].title == "Bold claim"
    assert articles[1].body == "Plain words only."


def test_detect_format_by_extension_and_content() -> None:
    assert detect_format("a.html", b"") == "html"
    assert detect_format("a.csv.gz", b"") == "csv"
    assert detect_format("feed.xml", b'<?xml version="1.0"?>\n<rss version="2.0">') == "feed"
    assert detect_format("feed", b"<feed xmlns='http://www.w3.org/2005/Atom'>") == "feed"
    assert detect_format("reut2-000", b'<!DOCTYPE lewis SYSTEM "lewis.dtd">') == "reuters"
    assert detect_format("page", b"<!doctype html><html>") == "html"
    assert detect_format("page.txt", b"<html><body>") == "html"
    assert detect_format("x", b'{"id": 1}') == "jsonl"
    assert detect_format("x", b"title,body\nA,B\n") == "csv"
    assert detect_format("story.txt", b"Title\n\nBody") == "text"


def test_format_override(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_bytes((FORMATS / "article.html").read_bytes())
    [article], _ = _read(page, "html")
    assert article.title == "Harbour bridge reopens after repairs"


def test_fragment_to_text_never_returns_markup() -> None:
    text = fragment_to_text(
        "<p>One &amp; two</p><script>x()</script><style>p{}</style><p>Three</p>"
    )
    assert text == "One & two\n\nThree"
    assert fragment_to_text("&lt;script&gt;bad()&lt;/script&gt;&lt;p&gt;ok&lt;/p&gt;") == "ok"
    assert fragment_to_text("plain\n\ntext") == "plain\n\ntext"


def test_inspect_cli_json_and_problems_file(tmp_path: Path) -> None:
    problems = tmp_path / "problems.jsonl"
    result = CliRunner().invoke(
        cli, ["inspect", str(DATA / "torture"), "--json", "--problems-json", str(problems)]
    )
    assert result.exit_code == 3
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all({"id", "title", "body", "date", "language"} <= set(line) for line in lines)
    rows = [json.loads(line) for line in problems.read_text().splitlines()]
    assert rows and all(set(row) == {"origin", "reason"} for row in rows)
