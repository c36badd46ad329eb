"""Records to Articles for the readers that yield many (JSONL, CSV, feeds, Reuters).

`isolated` is how such a reader builds each record: whatever goes wrong inside one
record (a bug met on hostile input) costs that record only, named with the record's
origin (``file.jsonl:12``, ``feed.rss#item3``, ``reut2-000.sgm#NEWID=5``); the reader
goes on with the next one. `article_from_record` maps a field-name dict to an Article.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ParamSpec

from corpus.article import Article, clean_tags, content_id, normalize_text
from corpus.fields import read_date, read_views
from corpus.html_text import fragment_to_text, looks_like_markup
from corpus.report import ReadReport

_TITLE_FALLBACK_CHARS = 120
_DETAIL_CHARS = 120
_P = ParamSpec("_P")


def isolated(
    report: ReadReport,
    where: str,
    build: Callable[_P, Article | None],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> Article | None:
    """``build(*args, **kwargs)``, or None with the failure named under ``where``."""
    try:
        return build(*args, **kwargs)
    except Exception as error:  # one bad record must not end its input
        detail = f"{type(error).__name__}: {error}"[:_DETAIL_CHARS]
        report.add_problem(where, f"record failed ({detail}): this record skipped")
        return None


def record_text(value: Any) -> str:
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


def article_from_record(
    record: Mapping[str, Any], origin: str, report: ReadReport
) -> Article | None:
    """Build an Article from a field-name mapping; report and return None if unusable.

    Shared by the JSONL, CSV and feed readers. HTML in the body or title is turned
    into plain text (scripts dropped with their content). An unreadable date or view
    count is named and the article kept without it.
    """
    body = record_text(record.get("body")).strip()
    if looks_like_markup(body):
        body = fragment_to_text(body)  # never markup (nor script text) in an Article
    title = record_text(record.get("title"))
    title = normalize_text(fragment_to_text(title) if looks_like_markup(title) else title)
    if not body and not title:
        report.add_problem(origin, "no article text")
        return None
    if not title:  # (a title with no body is an article too: a flash, a brief)
        title = normalize_text(body[:_TITLE_FALLBACK_CHARS]).rsplit(" ", 1)[0] + " …"
    url = normalize_text(record_text(record.get("url")))
    article_id = (
        normalize_text(record_text(record.get("id"))) or url or content_id(origin, title, body)
    )
    return Article(
        id=article_id,
        title=title,
        body=body,
        date=read_date(record_text(record.get("date")), origin, report),
        tags=clean_tags(record.get("tags")),
        source=normalize_text(record_text(record.get("source"))),
        url=url,
        author=normalize_text(record_text(record.get("author"))),
        views=read_views(record.get("views"), origin, report),
        origin=origin,
        language=normalize_text(record_text(record.get("language"))),
    )
