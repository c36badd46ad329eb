"""Reader for JSONL exports: one JSON object a line, keyed by `Article` field names.

A record's ``id`` is kept as the article id (evaluation tools join on it); without
one the ``url`` is the id, else the origin plus a content hash. ``date`` may be
any string `parse_date` understands; a record with an unreadable date is kept with
date None. ``tags`` may be a list or a comma-separated string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from corpus.article import Article, clean_tags, content_id, normalize_text
from corpus.dates import parse_date
from corpus.decode import decode_text
from corpus.html_text import fragment_to_text, looks_like_markup
from corpus.report import ReadReport

#: Bodies longer than this are cut here (and the cut reported), to bound memory.
MAX_BODY_CHARS = 1_000_000
_TITLE_FALLBACK_CHARS = 120


def _text(value: Any) -> str:
    """A field value as text; lists (however deeply nested) are joined by spaces."""
    if not isinstance(value, list):
        return "" if value is None else str(value)
    words: list[str] = []
    stack: list[Any] = [value]  # iterative: a hostile line nests lists 900 deep
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif item is not None:
            words.append(str(item))
    return " ".join(words)


def _views(value: Any) -> int | None:
    try:
        views = int(str(value).replace(",", "").strip()) if value not in (None, "") else None
    except ValueError:
        return None
    return views if views is not None and views >= 0 else None


def article_from_record(
    record: Mapping[str, Any], origin: str, report: ReadReport
) -> Article | None:
    """Build an Article from a field-name mapping; report and return None if unusable.

    Shared by the JSONL, CSV and feed readers. HTML in the body or title is turned
    into plain text (scripts dropped with their content).
    """
    body = _text(record.get("body")).strip()
    if looks_like_markup(body):
        body = fragment_to_text(body)  # never markup (nor script text) in an Article
    title = _text(record.get("title"))
    title = normalize_text(fragment_to_text(title) if looks_like_markup(title) else title)
    if not body:
        report.add_problem(origin, "no article text")
        return None
    if len(body) > MAX_BODY_CHARS:
        report.add_problem(origin, f"oversized body truncated at {MAX_BODY_CHARS} characters")
        body = body[:MAX_BODY_CHARS]
    if not title:
        title = normalize_text(body[:_TITLE_FALLBACK_CHARS]).rsplit(" ", 1)[0] + " …"
    raw_date = _text(record.get("date")).strip()
    date = parse_date(raw_date) if raw_date else None
    if raw_date and date is None:
        report.add_problem(origin, f"unreadable date {raw_date[:40]!r} (article kept without date)")
    url = normalize_text(_text(record.get("url")))
    article_id = normalize_text(_text(record.get("id"))) or url or content_id(origin, title, body)
    return Article(
        id=article_id,
        title=title,
        body=body,
        date=date,
        tags=clean_tags(record.get("tags")),
        source=normalize_text(_text(record.get("source"))),
        url=url,
        author=normalize_text(_text(record.get("author"))),
        views=_views(record.get("views")),
        origin=origin,
        language=normalize_text(_text(record.get("language"))),
    )


def read_jsonl(data: bytes, origin: str, report: ReadReport) -> Iterator[Article]:
    """Yield one Article per valid line; report each bad line as ``origin:LINE``."""
    text = decode_text(data, origin, report)
    if text is None:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as error:
            report.add_problem(
                where,
                f"invalid JSON line: {error.msg if hasattr(error, 'msg') else 'too deeply nested'}",
            )
            continue
        if not isinstance(record, dict):
            report.add_problem(where, "invalid JSON line: not an object")
            continue
        article = article_from_record(record, where, report)
        if article is not None:
            yield article
