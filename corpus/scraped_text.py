"""Reader for the scraped text format of ``shared/seeds``.

Layout (one article per file)::

    Title on the first line
    Views: 4946
    2023-07-12 03:58
    Paragraph one (the lede).

    Paragraph one again (the scraper prints the lede twice).

    More paragraphs ...

    Tags word word word

The ``Views:`` and timestamp lines are optional and may come in either order
right after the title. A paragraph identical to the one before it is kept once.
The final ``Tags`` line becomes the tags (split on whitespace: the scraper lost
the original tag boundaries) and never reaches the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath

from corpus.article import Article, clean_tags, content_id, normalize_text
from corpus.dates import parse_date
from corpus.decode import decode_text
from corpus.fields import read_views
from corpus.report import ReadReport

_VIEWS = re.compile(r"^views:\s*([\d,.\s]+)$", re.IGNORECASE)
_TAGS = re.compile(r"^tags?\s*:?\s+(.*)$", re.IGNORECASE)
_HEADER_LINES = 4


def _split_paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _drop_repeats(paragraphs: list[str]) -> list[str]:
    kept: list[str] = []
    for paragraph in paragraphs:
        if kept and normalize_text(kept[-1]) == normalize_text(paragraph):
            continue
        kept.append(paragraph)
    return kept


def parse_scraped_text(text: str, origin: str, report: ReadReport) -> Article | None:
    """Parse one scraped text article; report and return None if it has no text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        report.add_problem(origin, "empty file")
        return None
    title = normalize_text(lines.pop(0))
    views = None
    date = None
    # Header: Views and timestamp lines directly after the title, in any order.
    header_budget = _HEADER_LINES
    while lines and header_budget:
        header_budget -= 1
        head = lines[0].strip()
        if not head:
            lines.pop(0)
            header_budget += 1
            continue
        views_match = _VIEWS.match(head)
        if views_match and views is None:
            digits = re.sub(r"\D", "", views_match.group(1))
            views = read_views(digits, origin, report)
            lines.pop(0)
            continue
        if date is None and len(head) <= 40:
            parsed = parse_date(head)
            if parsed is not None:
                date = parsed
                lines.pop(0)
                continue
        break
    paragraphs = _split_paragraphs(lines)
    tags: tuple[str, ...] = ()
    if paragraphs:
        tags_match = _TAGS.match(paragraphs[-1])
        if tags_match:
            tags = clean_tags(tags_match.group(1).split())
            paragraphs.pop()
    body = "\n\n".join(_drop_repeats(paragraphs))
    if not title:  # a title alone (a flash) is an article; no title, no article
        report.add_problem(origin, "no article text")
        return None
    return Article(
        id=content_id(PurePath(origin.split("#")[0]).stem, title, body),
        title=title,
        body=body,
        date=date,
        tags=tags,
        views=views,
        origin=origin,
    )


def read_scraped_text(data: bytes, origin: str, report: ReadReport) -> Iterator[Article]:
    """Yield the one article of a scraped text file (nothing if it is unreadable)."""
    text = decode_text(data, origin, report)
    if text is None:
        return
    article = parse_scraped_text(text, origin, report)
    if article is not None:
        yield article
