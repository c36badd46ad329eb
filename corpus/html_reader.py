"""Reader for saved HTML article pages (one article per page), on beautifulsoup4 + lxml.

Bytes are decoded by `corpus.decode.decode_markup` (BOM, valid UTF-8, declared
charset, Windows-1252) and the *text* is given to bs4 with the ``lxml`` parser: given
bytes, lxml trusts a wrong ``<meta charset>`` and loses the page. ``html.parser`` is
the fallback when lxml fails. Metadata comes from `corpus.html_meta`, the body from
`corpus.html_body`; a page with a date only in its text gets a dateline search.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from corpus.article import Article, content_id, normalize_text
from corpus.dates import parse_date
from corpus.decode import decode_markup
from corpus.html_body import extract_body
from corpus.html_meta import extract_meta
from corpus.html_text import element_text, fragment_to_text, make_soup, max_depth
from corpus.jsonl import MAX_BODY_CHARS
from corpus.report import ReadReport

#: Pages with less body text than this (after boilerplate removal) have "no article text".
MIN_BODY_CHARS = 80
#: Pages whose elements nest deeper than this skip boilerplate removal (whose tree walks
#: cost depth x size) and are read as the plain text of their body.
MAX_NESTING = 400
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATELINE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS},?\s+\d{{4}}|"
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?|\d{4}年\d{1,2}月\d{1,2}日)"
    rf"(?:,?\s+(?:at\s+)?\d{{1,2}}:\d{{2}}\s*(?:[ap]\.?m\.?)?)?",
    re.I,
)
_CJK_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_TRUNCATION_TAIL = 2048
_DATE_HINT_CLASS = re.compile(r"date|time|byline|dateline|posted|publish|meta", re.I)


def find_dateline(text: str, *, limit: int = 3000) -> datetime | None:
    """The first date written out in the head of ``text`` (a dateline or byline date)."""
    for match in _DATELINE.finditer(text[:limit]):
        raw = match.group(0)
        cjk = _CJK_DATE.match(raw)
        if cjk:
            raw = f"{cjk.group(1)}-{int(cjk.group(2)):02d}-{int(cjk.group(3)):02d}"
        parsed = parse_date(raw.replace(" at ", " "))
        if parsed is not None and 1900 <= parsed.year <= 2100:
            return parsed
    return None


def looks_truncated(text: str) -> bool:
    """True when a page ends without its closing ``</body>``/``</html>`` (a cut-off download)."""
    tail = text[-_TRUNCATION_TAIL:].lower()
    return (
        "<html" in text[: _TRUNCATION_TAIL * 4].lower()
        and "</html" not in tail
        and "</body" not in tail
    )


def _date_hint_text(soup: object) -> str:
    """Text of the elements that usually carry a visible date (bylines, datelines)."""
    hints = []
    for node in soup.find_all(class_=_DATE_HINT_CLASS, limit=12):  # type: ignore[attr-defined]
        text = normalize_text(node.get_text(" "))
        if 6 <= len(text) <= 200:
            hints.append(text)
    return "\n".join(hints)


def parse_html_page(text: str, origin: str, report: ReadReport) -> Article | None:
    """Parse one decoded page into an Article, or report why it has none."""
    text = text.replace("\x00", "")
    if looks_truncated(text):
        report.add_problem(origin, "truncated: page ends before </html> (read what is there)")
    try:
        soup = make_soup(text, "lxml")
    except Exception:  # noqa: BLE001 - lxml can fail on pathological markup; retry slower
        soup = make_soup(text, "html.parser")
    if soup.find("body") is None and soup.find("p") is None and "<" in text:
        soup = make_soup(text, "html.parser")
    meta = extract_meta(soup)
    date_hints = "" if meta.date else _date_hint_text(soup)
    if max_depth(soup, stop_at=MAX_NESTING) > MAX_NESTING:
        report.add_problem(
            origin, f"markup nested over {MAX_NESTING} levels deep: read as plain text"
        )
        body = element_text(soup.body or soup)
    else:
        body = extract_body(soup)
    ld_body = fragment_to_text(meta.ld_body) if meta.ld_body else ""
    if len(ld_body) > max(len(body) * 1.3, MIN_BODY_CHARS):
        body = ld_body
    if len(body) < MIN_BODY_CHARS:
        report.add_problem(origin, "no article text: the page holds no block of prose")
        return None
    if len(body) > MAX_BODY_CHARS:
        report.add_problem(origin, f"oversized body truncated at {MAX_BODY_CHARS} characters")
        body = body[:MAX_BODY_CHARS].rsplit(" ", 1)[0]
    date = meta.date or find_dateline(date_hints) or find_dateline(body, limit=400)
    title = meta.title or normalize_text(body.split("\n", 1)[0])[:200]
    url = meta.url
    return Article(
        id=url or content_id(origin, title, body),
        title=title,
        body=body,
        date=date,
        tags=meta.tags,
        source=meta.source,
        url=url,
        author=meta.author,
        origin=origin,
        language=meta.language,
    )


def read_html(data: bytes, origin: str, report: ReadReport) -> Iterator[Article]:
    """Yield the article of one HTML page (nothing, with a reported reason, if it has none)."""
    text = decode_markup(data, origin, report)
    if text is None:
        return
    article = parse_html_page(text, origin, report)
    if article is not None:
        yield article
