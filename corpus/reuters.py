"""Reader for the Reuters-21578 SGML files (``reut2-NNN.sgm``, plain or gzipped).

Quirks handled (see ``shared/data/reuters21578/README.md``):

* SGML, not XML, with no root element: documents are cut out with a regex on
  ``<REUTERS ...>...</REUTERS>`` and fields read with regexes. (bs4's ``lxml``
  parser drops every ``<BODY>``; ``html.parser`` works but is ~10x slower than this.)
  Entities are decoded with the standard library's HTML unescaper.
* Bytes are Latin-1 (one stray 0xFC byte in reut2-017); control-character references
  (``&#2;``, ``&#3;``, ``&#5;`` ...) are removed after decoding.
* Dates like `` 5-MAR-1987 09:15:05.40`` with leading spaces, double spaces,
  trailing junk or an invalid hour: the day is kept whenever it can be read.
  They carry no zone and are taken as UTC.
* The ``Reuter``/``REUTER`` signature at the end of bodies is removed and the
  hard-wrapped lines are joined into paragraphs (a paragraph starts with an indent).

Tags are the TOPICS codes followed by the PLACES codes. ``TYPE="BRIEF"`` documents
(headline only) are kept with the headline as body; ``TYPE="UNPROC"`` documents
keep their raw text. The id is ``reuters-<NEWID>``. Each document is read on its own
(`corpus.records.isolated`): a bad document costs that document only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from corpus.article import Article, clean_tags, content_id, normalize_text
from corpus.dates import parse_date
from corpus.records import isolated
from corpus.report import ReadReport

_DOC = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S | re.I)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})")
_DAY_ONLY = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SIGNATURE = re.compile(r"\s*\b(?:reuter|uter)\b[\s.^M]*$", re.I)
_D = re.compile(r"<D>(.*?)</D>", re.S | re.I)


def _field(doc: str, name: str) -> str | None:
    match = re.search(rf"<{name}\b[^>]*>(.*?)(?:</{name}>|(?=<BODY>|</TEXT>))", doc, re.S | re.I)
    return match.group(1) if match else None


def _clean(raw: str) -> str:
    return _CONTROL.sub("", html.unescape(raw))


def reuters_date(raw: str) -> datetime | None:
    """Parse a Reuters DATE value (with its real-world variants) to aware UTC."""
    text = _clean(raw)
    match = _DATE.search(text)
    if match and match.group(2).upper() in _MONTHS:
        day, month, year, hour, minute, second = match.groups()
        try:
            return datetime(
                int(year),
                _MONTHS[month.upper()],
                int(day),
                int(hour),
                int(minute),
                int(second),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    match = _DAY_ONLY.search(text)
    return parse_date(match.group(0)) if match else None


def _paragraphs(raw: str) -> str:
    text = _SIGNATURE.sub("", _clean(raw).rstrip())
    paragraphs: list[list[str]] = []
    for line in text.split("\n"):
        if not line.strip():
            if paragraphs and paragraphs[-1]:
                paragraphs.append([])
            continue
        if line.startswith(("    ", "\t")) or not paragraphs:
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


def _codes(doc: str, name: str) -> list[str]:
    block = _field(doc, name) or ""
    return [normalize_text(_clean(code)) for code in _D.findall(block)]


def doc_origin(attrs: str, origin: str) -> str:
    """The origin of one document: ``FILE#NEWID=N`` (``FILE`` when it has no NEWID)."""
    newid = dict(_ATTR.findall(attrs)).get("NEWID", "")
    return f"{origin}#NEWID={newid}" if newid else origin


def parse_reuters_doc(attrs: str, doc: str, origin: str, report: ReadReport) -> Article | None:
    """One ``<REUTERS>`` element to an Article (None, reported, when it has no text)."""
    newid = dict(_ATTR.findall(attrs)).get("NEWID", "")
    where = doc_origin(attrs, origin)
    title = normalize_text(_clean(_field(doc, "TITLE") or ""))
    body_raw = _field(doc, "BODY")
    body = _paragraphs(body_raw) if body_raw else ""
    if not body:
        text_raw = _field(doc, "TEXT") or ""
        if 'TYPE="UNPROC"' in doc[:400].upper() or not title:
            body = _paragraphs(re.sub(r"<[^>]+>", " ", text_raw))
        else:
            body = title  # TYPE="BRIEF": the headline is the whole story
    if not body:
        report.add_problem(where, "no article text")
        return None
    if not title:
        title = normalize_text(body.split("\n", 1)[0])[:120]
    date_raw = _field(doc, "DATE")
    date = reuters_date(date_raw) if date_raw else None
    if date is None:
        shown = normalize_text(_clean(date_raw or ""))[:40]
        report.add_problem(where, f"unreadable date: {shown!r} (article kept without date)")
    author = normalize_text(_clean(_field(doc, "AUTHOR") or ""))
    author = re.sub(r"^by\s+", "", author, flags=re.I).rstrip(",")
    return Article(
        id=f"reuters-{newid}" if newid else content_id(origin, title, body),
        title=title,
        body=body,
        date=date,
        tags=clean_tags(_codes(doc, "TOPICS") + _codes(doc, "PLACES")),
        source="Reuters",
        author=author,
        origin=where,
        language="en",
    )


def read_reuters(data: bytes, origin: str, report: ReadReport) -> Iterator[Article]:
    """Yield every article of one Reuters-21578 SGML file."""
    if not data.strip():
        report.add_problem(origin, "empty file")
        return
    text = data.decode("latin-1")  # lossless; the collection is ASCII but for one byte
    found = False
    for match in _DOC.finditer(text):
        found = True
        where = doc_origin(match.group(1), origin)
        article = isolated(
            report, where, parse_reuters_doc, match.group(1), match.group(2), origin, report
        )
        if article is not None:
            yield article
    if not found:
        report.add_problem(origin, "no article text: no <REUTERS> documents")
    tail = text.rsplit("</REUTERS>", 1)[-1]
    if re.search(r"<REUTERS\b", tail, re.I):
        report.add_problem(origin, "truncated: last <REUTERS> document has no end tag")
