"""Hostile record values (issue 21): a bad value costs that value or that record only.

Each test reads real files written into tmp_path through `read_paths` (the path every
build takes) and checks the article is kept (or only its own record lost) and the
problem is named with the record's origin.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from indexer_helpers import article_line, stored_docs

from corpus import ReadReport, format_utc, parse_date, read_paths
from corpus.article import Article, clean_tags
from corpus.discover import body_fingerprint
from corpus.jsonl import MAX_BODY_CHARS
from indexer.whoosh.build import build_from_paths


def read(folder: Path) -> tuple[dict[str, Article], dict[str, list[str]]]:
    """Articles by id, and problems as ``{origin relative to folder: [reasons]}``."""
    report = ReadReport()
    articles = {article.id: article for article in read_paths([folder], report)}
    problems: dict[str, list[str]] = {}
    for problem in report.problems:
        problems.setdefault(problem.origin.removeprefix(f"{folder}/"), []).append(problem.reason)
    return articles, problems


def test_one_bad_jsonl_line_costs_that_record_only(tmp_path: Path) -> None:
    (tmp_path / "digits.jsonl").write_text(
        article_line("d1", "Before", "The line before.")
        + '{"id": "d2", "title": "Huge", "body": "Views of 5,000 digits.", "views": '
        + "7" * 5000
        + "}\n"
        + article_line("d3", "After", "The line after.")
    )
    (tmp_path / "dates.jsonl").write_text(
        article_line("t1", "Before", "Dated before.")
        + article_line("t2", "Year 0", "In year 0 in UTC.", date="0001-01-01T00:00:00+05:00")
        + article_line("t3", "Year 10000", "Past 9999 in UTC.", date="9999-12-31T23:00:00-05:00")
        + article_line("t4", "After", "Dated after.")
    )
    articles, problems = read(tmp_path)
    assert set(articles) == {"d1", "d2", "d3", "t1", "t2", "t3", "t4"}
    assert articles["d2"].views is None and articles["t2"].date is None
    assert problems["digits.jsonl:2"][0].startswith("views out of range: '7777")
    assert problems["dates.jsonl:2"] == [
        "unreadable date: '0001-01-01T00:00:00+05:00' (article kept without date)"
    ]
    assert problems["dates.jsonl:3"][0].startswith("unreadable date: '9999-12-31T23:00:00-05:00'")
    assert len(problems) == 3


def test_bad_values_in_csv_rows_and_feed_items_cost_the_value_only(tmp_path: Path) -> None:
    (tmp_path / "feed.rss").write_text(
        "<rss><channel><title>Wire</title>"
        + "".join(
            f"<item><guid>item-{n}</guid><title>Item {n}</title>"
            f"<description>Body of item {n}.</description><pubDate>{date}</pubDate></item>"
            for n, date in enumerate(["2023-01-02", "0001-01-01T00:00:00+05:00", "2023-01-03"])
        )
        + "</channel></rss>"
    )
    (tmp_path / "wire.csv").write_text(
        "id,title,body,views,date\n"
        "c1,One,First row.,12,2023-01-01\n"
        f"c2,Two,Second row.,{'9' * 5000},0001-01-01T00:00:00+05:00\n"
        "c3,Three,Third row.,-4,2023-01-02\n"
    )
    articles, problems = read(tmp_path)
    assert set(articles) == {"item-0", "item-1", "item-2", "c1", "c2", "c3"}
    assert articles["c1"].views == 12
    assert articles["c2"].views is None and articles["c2"].date is None
    assert problems["feed.rss#item2"][0].startswith("unreadable date")
    assert [r.split(":")[0] for r in problems["wire.csv:3"]] == [
        "unreadable date",
        "views out of range",
    ]
    assert problems["wire.csv:4"][0].startswith("views out of range: '-4'")
    assert len(problems) == 3


@pytest.fixture()
def tags_that_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: cleaning the tag ``boom`` raises, as a bug met on hostile input would."""

    def clean_tags_or_fail(values: object) -> tuple[str, ...]:
        if isinstance(values, list | tuple) and "boom" in values:
            raise RuntimeError("boom")
        return clean_tags(values)

    import corpus.records
    import corpus.reuters

    monkeypatch.setattr(corpus.records, "clean_tags", clean_tags_or_fail)
    monkeypatch.setattr(corpus.reuters, "clean_tags", clean_tags_or_fail)


@pytest.mark.usefixtures("tags_that_fail")
def test_a_record_whose_reading_fails_costs_that_record_only(tmp_path: Path) -> None:
    (tmp_path / "lines.jsonl").write_text(
        "".join(
            article_line(f"j{n}", "T", f"Line {n}.", tags=[tag]) for n, tag in enumerate("aba")
        ).replace('"b"', '"boom"')
    )
    (tmp_path / "feed.rss").write_text(
        "<rss><channel>"
        + "".join(
            f"<item><guid>f{n}</guid><description>Item {n}.</description>"
            f"<category>{tag}</category></item>"
            for n, tag in enumerate(["a", "boom", "c"])
        )
        + "</channel></rss>"
    )
    (tmp_path / "reut2-000.sgm").write_text(
        "".join(
            f'<REUTERS NEWID="{n}"><DATE>26-FEB-1987 15:01:01.79</DATE>'
            f"<TOPICS><D>{tag}</D></TOPICS><TEXT><BODY>Document {n}.</BODY></TEXT></REUTERS>"
            for n, tag in enumerate(["a", "boom", "c"])
        )
    )
    articles, problems = read(tmp_path)
    assert set(articles) == {"j0", "j2", "f0", "f2", "reuters-0", "reuters-2"}
    failed = "record failed (RuntimeError: boom): this record skipped"
    assert problems == {
        "lines.jsonl:2": [failed],
        "feed.rss#item2": [failed],
        "reut2-000.sgm#NEWID=1": [failed],
    }


def test_views_outside_the_index_range_are_named_and_dropped(tmp_path: Path) -> None:
    huge = 10000000000000000000000000
    (tmp_path / "views.jsonl").write_text(
        article_line("v1", "Huge", "Huge views.", views=huge)
        + article_line("v2", "Max", "The largest count.", views=2**63 - 1)
        + article_line("v3", "Float", "A float count.", views=1e300)
    )
    (tmp_path / "scraped.txt").write_text(
        f"A scraped story\nViews: {huge}\n2023-07-12 03:58\nThe story.\n"
    )
    report = ReadReport()
    result = build_from_paths([str(tmp_path)], tmp_path / "index", report)
    docs = stored_docs(tmp_path / "index")
    assert result.articles == 4
    assert docs["v2"]["views"] == 2**63 - 1
    assert docs["v1"]["views"] == -1 and docs["v3"]["views"] == -1  # -1: unknown
    reasons = {Path(p.origin).name: p.reason for p in report.problems}
    assert reasons["views.jsonl:1"].startswith(f"views out of range: '{huge}'")
    assert reasons["views.jsonl:3"].startswith("views out of range: '1e+300'")
    assert reasons["scraped.txt"].startswith(f"views out of range: '{huge}'")


def test_views_range_is_the_index_field_range() -> None:
    from corpus.fields import MAX_VIEWS
    from indexer.whoosh.schema import build_schema

    views = build_schema()["views"]
    assert views.max_value == MAX_VIEWS and views.min_value <= -1  # -1 stands for unknown


def test_lone_surrogates_are_replaced_once_for_every_field(tmp_path: Path) -> None:
    (tmp_path / "half.jsonl").write_text(
        '{"id": "s\\udc00", "title": "Half \\ud83d emoji", "body": "half emoji \\ud83d here", '
        '"tags": ["ok", "t\\ud800"], "author": "\\udfff", "source": "S", "url": ""}\n'
        '{"title": "No id", "body": "no id \\ud83d here either"}\n'
        '{"id": "pair", "title": "Pair", "body": "a whole emoji \\ud83d\\ude00 here"}\n'
    )
    articles, problems = read(tmp_path)
    assert set(problems) == {"half.jsonl:1", "half.jsonl:2"}
    assert problems["half.jsonl:1"] == [
        "invalid Unicode (lone surrogates) in id, title, body, author, tags: replaced with U+FFFD"
    ]
    for article in articles.values():
        for value in (*article.tags, *(str(v) for v in article.to_json_dict().values())):
            value.encode("utf-8")  # raised UnicodeEncodeError before
        body_fingerprint(article)
    assert articles["s\ufffd"].body == "half emoji \ufffd here"
    assert articles["s\ufffd"].tags == ("ok", "t\ufffd")
    assert articles["pair"].body == "a whole emoji \U0001f600 here"


def test_lone_surrogates_are_indexed_and_inspected(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "half.jsonl").write_text('{"id": "h", "title": "T", "body": "half \\ud83d"}\n')
    report = ReadReport()
    assert build_from_paths([str(source)], tmp_path / "index", report).articles == 1
    assert stored_docs(tmp_path / "index")["h"]["body"] == "half \ufffd"
    from click.testing import CliRunner

    from corpus.__main__ import cli

    result = CliRunner().invoke(cli, ["inspect", "--json", str(source)])
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout.splitlines()[0])["body"] == "half \ufffd"


def test_non_utf8_file_names_give_printable_origins(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    name = os.fsdecode(b"bad\xff\xfename.jsonl")
    (source / name).write_text(article_line("named", "Named", "A file with a bad name."))
    report = ReadReport()
    assert build_from_paths([str(source)], tmp_path / "index", report).articles == 1
    origin = stored_docs(tmp_path / "index")["named"]["origin"]
    assert origin == f"{source}/bad\\xff\\xfename.jsonl:1"
    assert [(p.origin, p.reason) for p in report.problems] == [
        (
            f"{source}/bad\\xff\\xfename.jsonl",
            "path is not UTF-8: named with \\xNN escapes, read all the same",
        )
    ]
    report.problems_jsonl().encode("utf-8")


def test_every_reader_gets_the_body_cap(tmp_path: Path) -> None:
    paragraph = "The council met again today and talked about the budget, roads and parks. "
    with (tmp_path / "long.txt").open("w") as handle:
        handle.write("A long scraped story\n2023-07-12 03:58\n")
        for number in range(20_000):  # 1.5 M characters in distinct paragraphs
            handle.write(f"Paragraph {number}. {paragraph}\n\n")
    body = "".join(f"Story {n}. {paragraph}\n\n" for n in range(4000))
    (tmp_path / "long.sgm").write_text(
        f'<REUTERS NEWID="1"><DATE>26-FEB-1987 15:01:01.79</DATE><TEXT><TITLE>Long</TITLE>'
        f"<BODY>{body * 4}</BODY></TEXT></REUTERS>"
    )
    articles, problems = read(tmp_path)
    assert len(articles) == 2
    words = set(paragraph.split()) | {"Paragraph", "Story"}
    for article in articles.values():
        assert 0.99 * MAX_BODY_CHARS < len(article.body) <= MAX_BODY_CHARS
        assert article.body.split()[-1].rstrip(".") in words | set(map(str, range(20_000)))
    assert problems == {
        "long.txt": [f"oversized body truncated at {MAX_BODY_CHARS} characters"],
        "long.sgm#NEWID=1": [f"oversized body truncated at {MAX_BODY_CHARS} characters"],
    }


def test_tags_are_capped_per_article_and_cleaned_in_one_pass(tmp_path: Path) -> None:
    tags = [f"Tag {n}" for n in range(5000)] + ["tag 1", "TAG 2"]
    assert clean_tags(tags) == tuple(tags[:5000])  # case-insensitive duplicates dropped
    (tmp_path / "tags.jsonl").write_text(article_line("many", "Many tags", "Body.", tags=tags))
    articles, problems = read(tmp_path)
    assert articles["many"].tags == tuple(tags[:100])  # the documented cap: 100 tags
    assert problems == {
        "tags.jsonl:1": ["too many tags: 5000, the first 100 kept (cap per article)"]
    }


def test_a_year_alone_is_january_first_whatever_today_is() -> None:
    for base in (None, datetime(2024, 6, 15, tzinfo=UTC), datetime(2021, 11, 30, tzinfo=UTC)):
        assert parse_date("2023", relative_base=base) == datetime(2023, 1, 1, tzinfo=UTC)
        assert parse_date("in 2023", relative_base=base) == datetime(2023, 1, 1, tzinfo=UTC)
        assert parse_date("July 2023", relative_base=base) == datetime(2023, 7, 1, tzinfo=UTC)
    assert parse_date("0999") == datetime(999, 1, 1, tzinfo=UTC)
    assert parse_date("0000") is None


def test_dates_are_written_with_four_digit_years() -> None:
    assert format_utc(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
    assert format_utc(datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC)) == "0999-12-31T23:59:59Z"
    assert format_utc(datetime(2023, 7, 12, 3, 58, tzinfo=UTC)) == "2023-07-12T03:58:00Z"
    article = Article(id="a", title="t", body="b", date=datetime(12, 3, 4, tzinfo=UTC))
    assert article.to_json_dict()["date"] == "0012-03-04T00:00:00Z"
