"""From paths to articles: walk folders and archives, pick a reader, drop duplicates."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePath

from corpus.admit import admit_article
from corpus.archives import expand_file
from corpus.article import Article, normalize_text
from corpus.csv_reader import read_csv
from corpus.decode import looks_binary
from corpus.feeds import read_feed
from corpus.html_reader import read_html
from corpus.jsonl import read_jsonl
from corpus.report import ReadReport
from corpus.reuters import read_reuters
from corpus.safe_text import path_text
from corpus.scraped_text import read_scraped_text
from corpus.walk import iter_files

Reader = Callable[[bytes, str, ReadReport], Iterator[Article]]

#: Format name -> reader. ``--format`` takes these names.
READERS: dict[str, Reader] = {
    "text": read_scraped_text,
    "jsonl": read_jsonl,
    "html": read_html,
    "csv": read_csv,
    "feed": read_feed,
    "reuters": read_reuters,
}
#: File extension -> format name (after a ``.gz`` suffix is removed).
EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".shtml": "html",
    ".csv": "csv",
    ".tsv": "csv",
    ".rss": "feed",
    ".atom": "feed",
    ".sgm": "reuters",
    ".sgml": "reuters",
}
#: Extensions too generic to decide by: the content decides.
GENERIC_EXTENSIONS = (".xml", ".dat", ".out")
_LEADING_XML = re.compile(rb"^(?:\s|<\?xml[^>]*\?>|<!--.*?-->)*", re.S)
_CSV_HEADER = re.compile(
    r"^[\ufeff\"']?(?:id|title|headline|body|text|content|url|link|date)[\"']?\s*[,;\t|]", re.I
)


def sniff_format(data: bytes) -> str | None:
    """Pick a format from the first bytes alone, or None when they say nothing."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "jsonl"
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        head = data[:4096].decode("utf-16", errors="ignore").encode("utf-8")
    body = _LEADING_XML.sub(b"", head, count=1)[:200].lower()
    if body.startswith((b"<!doctype lewis", b"<reuters")):
        return "reuters"
    if body.startswith((b"<rss", b"<feed", b"<rdf:rdf", b"<rdf")):
        return "feed"
    if body.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title")):
        return "html"
    if b"<html" in head.lower() or b"<body" in head.lower():
        return "html"
    first_line = head.split(b"\n", 1)[0].decode("utf-8", errors="ignore")
    if _CSV_HEADER.match(first_line):
        return "csv"
    return None


def detect_format(name: str, data: bytes) -> str | None:
    """Pick a format name from the file name's extension, else from the first bytes.

    Known extensions win (``.html``, ``.csv``, ``.rss``, ``.sgm`` ...); for others
    (``.xml``, none) the content decides: ``<rss``/``<feed`` -> feed, ``<!DOCTYPE
    lewis``/``<REUTERS`` -> reuters, ``<html`` -> html, ``{`` -> jsonl, a header line
    naming article fields -> csv; anything else is read as scraped text when its
    extension is generic or missing. A file with another extension that no sniff
    recognises (``README.md``, ``notes.pdf``) gives None: it is not an article file.
    """
    lowered = name.lower().removesuffix(".gz")
    if "!" in lowered:  # an archive member: only its own name counts
        lowered = lowered.rsplit("!", 1)[1]
    for extension, fmt in EXTENSIONS.items():
        if lowered.endswith(extension):
            if fmt == "text" and sniff_format(data) in ("html", "reuters", "feed"):
                break  # a .txt holding a saved page or a feed
            return fmt
    sniffed = sniff_format(data)
    if sniffed:
        return sniffed
    suffix = PurePath(lowered).suffix
    if not suffix or suffix in GENERIC_EXTENSIONS or not suffix[1:].isalpha():
        return "text"
    return None


def iter_inputs(paths: Iterable[str | Path], report: ReadReport) -> Iterator[tuple[str, bytes]]:
    """Yield ``(origin, bytes)`` for every readable input, unpacking ``.gz`` and ``.zip``
    (caps and corrupt archives: `corpus.archives`). Files are opened by their real path;
    the origin is its printable text (undecodable name bytes as ``\\xNN``)."""
    for path in iter_files(paths, report):
        report.files_seen += 1
        origin = path_text(path)
        if origin != os.fspath(path):
            report.add_problem(
                origin, "path is not UTF-8: named with \\xNN escapes, read all the same"
            )
        yield from expand_file(path, origin, report)


def read_input(
    origin: str, data: bytes, report: ReadReport, fmt: str | None = None
) -> Iterator[Article]:
    """The articles of one input (a file or an archive member), read by the reader its
    format names; an input of no known format, or one its reader fails on, is reported.

    Every article passes `corpus.admit.admit_article` (valid text, body and tag caps,
    views range). The reader failing (a bug met on hostile input) costs this input's
    remaining articles, never the whole run: the error is named in ``report``; readers
    of many records isolate each record themselves (`corpus.records.isolated`).
    """
    detected = fmt or detect_format(origin, data)
    if detected is None:
        if looks_binary(data):
            report.add_problem(origin, "binary file")
        else:
            suffix = PurePath(origin.rsplit("!", 1)[-1]).suffix
            report.add_problem(origin, f"unsupported file type: {suffix} (--format forces one)")
        return
    try:
        for article in READERS[detected](data, origin, report):
            yield admit_article(article, report)
    except Exception as error:  # one bad input must not end the whole run
        detail = f"{type(error).__name__}: {error}"[:120]
        report.add_problem(origin, f"reader failed ({detail}): rest of this input skipped")


def body_fingerprint(article: Article) -> str:
    """Hash of the normalised, case-folded body: equal for exact duplicates."""
    return hashlib.sha1(normalize_text(article.body).casefold().encode()).hexdigest()


def duplicate_key(article: Article) -> str:
    """What makes two articles with different ids the same article read twice: the
    same ``url`` (``""`` when it has none). Equal text under two ids is not that: it
    is kept and grouped at search time (the same wire story run by two outlets)."""
    url = normalize_text(article.url)
    return f"url:{url}" if url else ""


class Deduper:
    """The one duplicate rule (of `read_paths` and of the indexer's per-file reading):
    the first article with an id wins, then the first with a url; equal texts under two
    ids are both kept (grouped at search time)."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.keys: set[str] = set()

    def offer(self, article_id: str, key: str) -> str | None:
        """None when kept (and remembered), else what repeats: ``"id"`` or ``"url"``
        (``key``: `duplicate_key`, ``""`` for none)."""
        if article_id in self.ids:
            return "id"
        if key and key in self.keys:
            return "url"
        self.ids.add(article_id)
        self.keys.add(key)
        return None

    def keep(self, article: Article, key: str, report: ReadReport) -> bool:
        """`offer` ``article``, counting in ``report`` as every reader does: a repeated id
        is a problem, a repeated url a duplicate; True when kept."""
        verdict = self.offer(article.id, key)
        if verdict == "id":
            report.add_problem(article.origin, f"duplicate id {article.id!r} (first kept)")
        elif verdict == "url":
            report.duplicates += 1
        else:
            report.articles_read += 1
        return verdict is None


def read_paths(
    paths: Iterable[str | Path], report: ReadReport, fmt: str | None = None
) -> Iterator[Article]:
    """Yield every article under ``paths``, each id and each url once.

    ``fmt`` forces a format name from `READERS`; otherwise it is detected per file.
    Problems and duplicate counts go to ``report``; nothing raises for bad input.
    """
    if fmt is not None and fmt not in READERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(READERS)}")
    deduper = Deduper()
    for origin, data in iter_inputs(paths, report):
        for article in read_input(origin, data, report, fmt):
            if deduper.keep(article, duplicate_key(article), report):
                yield article
