"""From paths to articles: walk folders and archives, pick a reader, drop duplicates."""

from __future__ import annotations

import gzip
import hashlib
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePath

from corpus.article import Article, normalize_text
from corpus.csv_reader import read_csv
from corpus.decode import looks_binary
from corpus.feeds import read_feed
from corpus.html_reader import read_html
from corpus.jsonl import read_jsonl
from corpus.report import ReadReport
from corpus.reuters import read_reuters
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
#: Files (and decompressed members) larger than this are skipped and reported.
MAX_FILE_BYTES = 64 * 1024 * 1024


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


def _read_limited(path: Path) -> bytes:
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"file too large: over {MAX_FILE_BYTES} bytes")
    return data


def _gunzip_limited(data: bytes) -> bytes:
    with gzip.GzipFile(fileobj=__import__("io").BytesIO(data)) as stream:
        out = stream.read(MAX_FILE_BYTES + 1)
    if len(out) > MAX_FILE_BYTES:
        raise ValueError(f"decompressed size over {MAX_FILE_BYTES} bytes")
    return out


def iter_inputs(paths: Iterable[str | Path], report: ReadReport) -> Iterator[tuple[str, bytes]]:
    """Yield ``(origin, bytes)`` for every readable input, unpacking ``.gz`` and ``.zip``."""
    for path in iter_files(paths, report):
        origin = str(path)
        report.files_seen += 1
        try:
            data = _read_limited(path)
        except OSError as error:
            report.add_problem(origin, f"unreadable: {error.strerror or error}")
            continue
        except ValueError as error:
            report.add_problem(origin, str(error))
            continue
        if origin.lower().endswith(".gz"):
            try:
                data = _gunzip_limited(data)
            except (OSError, EOFError, ValueError) as error:
                report.add_problem(origin, f"bad gzip: {error}")
                continue
        if origin.lower().endswith(".zip"):
            yield from _iter_zip(data, origin, report)
            continue
        yield origin, data


def _iter_zip(data: bytes, origin: str, report: ReadReport) -> Iterator[tuple[str, bytes]]:
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        report.add_problem(origin, f"bad zip: {error}")
        return
    for info in archive.infolist():
        member = f"{origin}!{info.filename}"
        if info.is_dir() or Path(info.filename).name.startswith("."):
            continue
        if info.file_size > MAX_FILE_BYTES:
            report.add_problem(member, f"file too large: over {MAX_FILE_BYTES} bytes")
            continue
        try:
            with archive.open(info) as stream:
                content = stream.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
            report.add_problem(member, f"bad zip member: {error}")
            continue
        if len(content) > MAX_FILE_BYTES:
            report.add_problem(member, f"file too large: over {MAX_FILE_BYTES} bytes")
            continue
        yield member, content


def read_input(
    origin: str, data: bytes, report: ReadReport, fmt: str | None = None
) -> Iterator[Article]:
    """The articles of one input (a file or an archive member), read by the reader its
    format names; an input of no known format, or one its reader fails on, is reported.

    The reader failing (a bug met on hostile input) costs this input's remaining
    articles, never the whole run: the error is named in ``report``.
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
        yield from READERS[detected](data, origin, report)
    except Exception as error:  # noqa: BLE001 - one bad input must not end the whole run
        detail = f"{type(error).__name__}: {error}"[:120]
        report.add_problem(origin, f"reader failed ({detail}): rest of this input skipped")


def body_fingerprint(article: Article) -> str:
    """Hash of the normalised, case-folded body: equal for exact duplicates."""
    return hashlib.sha1(normalize_text(article.body).casefold().encode()).hexdigest()


def read_paths(
    paths: Iterable[str | Path], report: ReadReport, fmt: str | None = None
) -> Iterator[Article]:
    """Yield every article under ``paths``, each id and each body text once.

    ``fmt`` forces a format name from `READERS`; otherwise it is detected per file.
    Problems and duplicate counts go to ``report``; nothing raises for bad input.
    """
    if fmt is not None and fmt not in READERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(READERS)}")
    seen_ids: set[str] = set()
    seen_bodies: set[str] = set()
    for origin, data in iter_inputs(paths, report):
        for article in read_input(origin, data, report, fmt):
            if article.id in seen_ids:
                report.add_problem(article.origin, f"duplicate id {article.id!r} (first kept)")
                continue
            fingerprint = body_fingerprint(article)
            if fingerprint in seen_bodies:
                report.duplicates += 1
                continue
            seen_ids.add(article.id)
            seen_bodies.add(fingerprint)
            report.articles_read += 1
            yield article
