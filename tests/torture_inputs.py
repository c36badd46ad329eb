"""The torture corpus as a table: each hostile input, how to write it, what must be named.

A `TortureInput` writes its file(s) into the corpus folder and says which problems must
be named (``{origin relative to the folder: start of the reason}``) and which articles
must be indexed anyway (`good`: ids; ``file:NAME`` for an article whose id is derived
from its content, as for scraped text and pages). To grow the corpus, add a row to
`CONTENT_INPUTS`: `tests/test_corpus_torture.py` reads the table through `read_paths`
(rows not marked `heavy`) and `tests/test_reliability_corpus.py` builds an index of all
of it with ``python -m indexer build``, together with the file-system oddities (links,
FIFOs, unreadable files) written there.

Large inputs are generated here into the test's tmp_path, never committed.
"""

from __future__ import annotations

import gzip
import os
import shutil
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer_helpers import article_line

from support import DATA

TORTURE = DATA / "corpus" / "torture"
NESTING = 100_000
PROSE = "The council met again today and talked about the budget, roads and parks. "
BIG_VIEWS = 10**25
BODY_CAP = 1_000_000


@dataclass(frozen=True)
class TortureInput:
    """One row of the torture table."""

    write: Callable[[Path], None]
    problems: dict[str, str] = field(default_factory=dict)
    good: frozenset[str] = frozenset()
    heavy: bool = False


def write_corpus(folder: Path, inputs: Iterable[TortureInput]) -> tuple[set[str], dict[str, str]]:
    """Write ``inputs`` into ``folder``; return the good article keys and the problems."""
    folder.mkdir(parents=True, exist_ok=True)
    good: set[str] = set()
    problems: dict[str, str] = {}
    for item in inputs:
        item.write(folder)
        good |= item.good
        problems.update(item.problems)
    return good, problems


def article_key(article_id: str, origin: str, folder: Path) -> str:
    """How `TortureInput.good` names an article: ``file:NAME`` for the content-id ones."""
    relative = origin.removeprefix(f"{folder}/")
    if relative.endswith((".txt", ".html")):
        return f"file:{relative}"
    return article_id


def _text(name: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def _bytes(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_bytes(data)


def _copy(source: str, name: str) -> Callable[[Path], None]:
    return lambda folder: shutil.copy(TORTURE / source, folder / name)


def _lines(*lines: str) -> str:
    return "".join(lines)


def _big_page(megabytes: int) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        paragraph = f"<p>{PROSE * 12}</p>\n"
        with (folder / "huge.html").open("w", encoding="utf-8") as handle:
            handle.write("<!DOCTYPE html><html><head><title>Huge page</title></head><body>")
            handle.write("<article>")
            while handle.tell() < megabytes * 1024 * 1024:
                handle.write(paragraph)
            handle.write("</article></body></html>")

    return write


def _bomb_zip(folder: Path) -> None:
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inside/zeros.txt", b"\0" * (100 * 1024 * 1024))
        archive.writestr("inside/ok.jsonl", article_line("zip-ok", "Zipped", "A zipped body."))


def _bomb_gz(folder: Path) -> None:
    with gzip.open(folder / "bomb.jsonl.gz", "wb", compresslevel=9) as stream:
        for _ in range(100):
            stream.write(b" " * (1024 * 1024))


#: Members of the many-member zip bomb, each 2 MB of one line (packs about 500 times).
BOMB_MEMBERS = 40


def _many_member_bomb(folder: Path) -> None:
    member = ("Bomb title\n" + PROSE * (2 * 1024 * 1024 // len(PROSE))).encode()
    with zipfile.ZipFile(folder / "bomb40.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(BOMB_MEMBERS):
            archive.writestr(f"m{number:02d}.txt", member)
        archive.writestr("story.jsonl", article_line("bomb40-ok", "Beside", "Read all the same."))


def _corrupt(packed: bytes, start: int) -> bytes:
    data = bytearray(packed)
    for offset in range(start, start + 24):
        data[offset] ^= 0x55
    return bytes(data)


def _corrupt_gz(folder: Path) -> None:
    lines = "".join(article_line(f"gz-{n}", "Gz", f"Body {n}.") for n in range(200))
    (folder / "corrupt.jsonl.gz").write_bytes(_corrupt(gzip.compress(lines.encode()), 30))


def _corrupt_zip(folder: Path) -> None:
    path = folder / "corrupt.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = "".join(article_line(f"cz-{n}", "Zip", f"Body {n}.") for n in range(200))
        archive.writestr("a-bad.jsonl", lines)
        archive.writestr("b-good.jsonl", article_line("zip-good", "Zip", "The good member."))
    path.write_bytes(_corrupt(path.read_bytes(), 30 + len("a-bad.jsonl") + 10))


def _long_text(folder: Path) -> None:
    with (folder / "long.txt").open("w", encoding="utf-8") as handle:
        handle.write("A long scraped story\n2023-07-12 03:58\n")
        for number in range(20_000):  # 1.5 M characters in distinct paragraphs
            handle.write(f"Paragraph {number}. {PROSE}\n\n")


def _long_sgm(folder: Path) -> None:
    body = "".join(f"    Story {n}. {PROSE}\n" for n in range(16_000))
    (folder / "long.sgm").write_text(
        '<REUTERS NEWID="21"><DATE>26-FEB-1987 15:01:01.79</DATE><TEXT><TITLE>Long</TITLE>'
        f"<BODY>{body}</BODY></TEXT></REUTERS>"
    )


def _bad_name(folder: Path) -> None:
    name = os.fsdecode(b"bad\xff\xfename.jsonl")
    (folder / name).write_text(article_line("bad-name", "Named", "A file with a bad name."))


CONTENT_INPUTS: list[TortureInput] = [
    TortureInput(
        _text(
            "good.jsonl",
            "".join(
                article_line(f"good-{n}", f"Good story {n}", f"{PROSE} {n}.") for n in range(5)
            ),
        ),
        good=frozenset(f"good-{n}" for n in range(5)),
    ),
    TortureInput(
        _text(
            "lines.jsonl",
            _lines(
                article_line("lines-ok", "A fine line", "A fine body among bad lines."),
                "{not json\n",
                "[1, 2, 3]\n",
                '{"id": "deep", "body": ' + "[" * NESTING + "]" * NESTING + "}\n",
                article_line("lines-nested", "Nested", [[["words", ["in", "lists"]]] * 3]),
                article_line("good-0", "Duplicate id", "Another body with the id of good-0."),
            ),
        ),
        problems={
            "lines.jsonl:2": "invalid JSON line",
            "lines.jsonl:3": "invalid JSON line: not an object",
            "lines.jsonl:4": "invalid JSON line: too deeply nested",
            "lines.jsonl:6": "duplicate id 'good-0'",
        },
        good=frozenset({"lines-ok", "lines-nested"}),
    ),
    TortureInput(
        _text(
            "markup.jsonl",
            article_line("markup-deep", "Deep", "<div>" * 5000 + PROSE + "</div>" * 5000),
        ),
        good=frozenset({"markup-deep"}),
    ),
    TortureInput(_copy("good.txt", "scraped.txt"), good=frozenset({"file:scraped.txt"})),
    TortureInput(
        _copy("truncated.html", "truncated.html"),
        problems={"truncated.html": "truncated"},
        good=frozenset({"file:truncated.html"}),
    ),
    TortureInput(
        _bytes("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        problems={"image.png": "binary file"},
    ),
    TortureInput(_bytes("empty.txt", b""), problems={"empty.txt": "empty file"}),
    TortureInput(
        _bytes("undecodable.txt", b"\xff\xfe\x00\xd8 broken UTF-16 after a BOM"),
        problems={"undecodable.txt": "undecodable"},
    ),
    TortureInput(
        _text(
            "nested.html",
            f"<html><body>{'<div>' * NESTING}<p>{PROSE * 3}</p>{'</div>' * NESTING}</body></html>",
        ),
        problems={"nested.html": "markup nested over"},
        good=frozenset({"file:nested.html"}),
        heavy=True,
    ),
    TortureInput(
        _text(
            "nested-unclosed.html",
            f"<html><body>{'<div>' * NESTING}<p>{PROSE * 2} This copy was never closed.</p>",
        ),
        problems={"nested-unclosed.html": "markup nested over"},
        good=frozenset({"file:nested-unclosed.html"}),
        heavy=True,
    ),
    TortureInput(
        _big_page(20),
        problems={"huge.html": "oversized body truncated"},
        good=frozenset({"file:huge.html"}),
        heavy=True,
    ),
    TortureInput(
        _bomb_zip,
        problems={"bomb.zip!inside/zeros.txt": "file too large"},
        good=frozenset({"zip-ok"}),
        heavy=True,
    ),
    TortureInput(
        _bomb_gz,
        problems={"bomb.jsonl.gz": "compression ratio cap: unpacks to over 100 times"},
        heavy=True,
    ),
    # Issue 21 item 4: one bad value costs that value (or that record), not the file.
    TortureInput(
        _text(
            "views-digits.jsonl",
            _lines(
                article_line("digits-before", "Before", "The line before."),
                '{"id": "digits-huge", "title": "Huge", "body": "5,000 digits.", "views": '
                + "7" * 5000
                + "}\n",
                article_line("digits-after", "After", "The line after."),
            ),
        ),
        problems={"views-digits.jsonl:2": "views out of range: '7777"},
        good=frozenset({"digits-before", "digits-huge", "digits-after"}),
    ),
    TortureInput(
        _text(
            "dates.jsonl",
            _lines(
                article_line(
                    "date-0", "Year 0", "Year 0 in UTC.", date="0001-01-01T00:00:00+05:00"
                ),
                article_line("date-10000", "Y10k", "Past 9999.", date="9999-12-31T23:00:00-05:00"),
                article_line("date-ok", "Fine", "A fine date.", date="2023"),
            ),
        ),
        problems={
            "dates.jsonl:1": "unreadable date: '0001-01-01T00:00:00+05:00'",
            "dates.jsonl:2": "unreadable date: '9999-12-31T23:00:00-05:00'",
        },
        good=frozenset({"date-0", "date-10000", "date-ok"}),
    ),
    TortureInput(
        _text(
            "rows.csv",
            "id,title,body,date\n"
            "row-1,One,First row.,2023-01-01\n"
            f"row-2,Two,{'x ' * 2_500_000},2023-01-02\n"
            "row-3,Three,Third row.,0001-01-01T00:00:00+05:00\n",
        ),
        problems={
            "rows.csv:3": "invalid CSV row: field larger than field limit",
            "rows.csv:4": "unreadable date",
        },
        good=frozenset({"row-1", "row-3"}),
    ),
    TortureInput(
        _text(
            "items.rss",
            "<rss><channel><title>Wire</title>"
            + "".join(
                f"<item><guid>item-{n}</guid><title>Item {n}</title>"
                f"<description>Body of item {n}.</description><pubDate>{date}</pubDate></item>"
                for n, date in enumerate(["2023-01-02", "0001-01-01T00:00:00+05:00", "2023"])
            )
            + "</channel></rss>",
        ),
        problems={"items.rss#item2": "unreadable date"},
        good=frozenset({"item-0", "item-1", "item-2"}),
    ),
    # Item 6: views beyond the index's signed 64-bit field.
    TortureInput(
        _text("huge-views.jsonl", article_line("huge-views", "Huge", "Views.", views=BIG_VIEWS)),
        problems={"huge-views.jsonl:1": "views out of range"},
        good=frozenset({"huge-views"}),
    ),
    TortureInput(
        _text("views.txt", f"Scraped views\nViews: {BIG_VIEWS}\n2023-07-12 03:58\nThe story.\n"),
        problems={"views.txt": "views out of range"},
        good=frozenset({"file:views.txt"}),
    ),
    # Item 7: a lone surrogate; item 8: a file name that is not UTF-8.
    TortureInput(
        _text(
            "surrogate.jsonl", '{"id": "half", "title": "T", "body": "half emoji \\ud83d here"}\n'
        ),
        problems={"surrogate.jsonl:1": "invalid Unicode (lone surrogates) in body"},
        good=frozenset({"half"}),
    ),
    TortureInput(
        _bad_name,
        problems={"bad\\xff\\xfename.jsonl": "path is not UTF-8"},
        good=frozenset({"bad-name"}),
    ),
    # Item 9: corrupt deflate data in a .gz and in one .zip member.
    TortureInput(_corrupt_gz, problems={"corrupt.jsonl.gz": "bad gzip: Error -3"}),
    TortureInput(
        _corrupt_zip,
        problems={"corrupt.zip!a-bad.jsonl": "bad zip member: Error -3"},
        good=frozenset({"zip-good"}),
    ),
    # Item 12: the body cap for every reader (scraped text and Reuters had none).
    TortureInput(
        _long_text,
        problems={"long.txt": f"oversized body truncated at {BODY_CAP} characters"},
        good=frozenset({"file:long.txt"}),
    ),
    TortureInput(
        _long_sgm,
        problems={"long.sgm#NEWID=21": f"oversized body truncated at {BODY_CAP} characters"},
        good=frozenset({"reuters-21"}),
    ),
    # Item 13: a zip of many small bombs, each refused by its compression ratio.
    TortureInput(
        _many_member_bomb,
        problems={f"bomb40.zip!m{n:02d}.txt": "compression ratio cap" for n in range(BOMB_MEMBERS)},
        good=frozenset({"bomb40-ok"}),
    ),
    # Item 14: 40,000 tags on one article (cleaning was quadratic), capped at 100.
    TortureInput(
        _text(
            "tags.jsonl",
            article_line("many-tags", "Tags", "Body.", tags=[f"Tag {n}" for n in range(40_000)]),
        ),
        problems={"tags.jsonl:1": "too many tags: 40000, the first 100 kept"},
        good=frozenset({"many-tags"}),
    ),
]
