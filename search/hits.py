"""Stored fields to records: `Hit` for result lists, `Article` for an article page."""

from __future__ import annotations

import re
from typing import Any

from corpus.article import Article
from indexer.schema import from_whoosh_date
from search.errors import InvalidParameter
from search.models import MAX_PER_PAGE, MAX_WINDOW, OPERATORS, SORTS, Hit, SearchRequest

_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def validate(request: SearchRequest) -> None:
    """Raise `InvalidParameter` naming the first parameter out of range.

    Limits: ``page`` >= 1; ``per_page`` 1-100; ``page * per_page`` <= 10,000
    (the deepest reachable result; narrow the query to see further).
    """
    if request.page < 1:
        raise InvalidParameter("page", "page must be 1 or more")
    if not 1 <= request.per_page <= MAX_PER_PAGE:
        raise InvalidParameter("per_page", f"per_page must be between 1 and {MAX_PER_PAGE}")
    if request.page * request.per_page > MAX_WINDOW:
        raise InvalidParameter(
            "page",
            f"page {request.page} is past result number {MAX_WINDOW:,}, the deepest that"
            " paging reaches (page × per_page at most that); narrow the query instead",
        )
    if request.sort not in SORTS:
        raise InvalidParameter("sort", f"sort must be one of {', '.join(SORTS)}")
    if request.op not in OPERATORS:
        raise InvalidParameter("op", f"op must be one of {', '.join(OPERATORS)}")
    for month in request.months:
        if not _MONTH.fullmatch(month):
            raise InvalidParameter("month", f"month must look like 2023-07, got {month[:20]!r}")
    for year in request.years:
        if not 1 <= year <= 9999:
            raise InvalidParameter("year", f"year must be a year like 2005, got {year}")
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise InvalidParameter("from", "from must not be after to", code="invalid_date")


def known_views(value: int | None) -> int | None:
    """Views as stored (-1 = unknown) back to ``int | None``."""
    return value if value is not None and value >= 0 else None


def hit_from_fields(
    fields: dict[str, Any],
    score: float,
    snippet: str,
    duplicate_ids: tuple[str, ...] = (),
    title_html: str = "",
) -> Hit:
    """A result-list `Hit` from an article's stored fields."""
    return Hit(
        id=fields["id"],
        title=fields.get("title", ""),
        url=fields.get("url", ""),
        date=from_whoosh_date(fields.get("date")),
        source=fields.get("source_exact", ""),
        author=fields.get("author", ""),
        tags=tuple(fields.get("tag_list") or ()),
        views=known_views(fields.get("views")),
        score=score,
        snippet=snippet,
        duplicates=len(duplicate_ids),
        duplicate_ids=duplicate_ids,
        title_html=title_html,
    )


def article_from_fields(fields: dict[str, Any]) -> Article:
    """The full `Article` from its stored fields."""
    return Article(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body", ""),
        date=from_whoosh_date(fields.get("date")),
        tags=tuple(fields.get("tag_list") or ()),
        source=fields.get("source_exact", ""),
        url=fields.get("url", ""),
        author=fields.get("author", ""),
        views=known_views(fields.get("views")),
        origin=fields.get("origin", ""),
        language=fields.get("language", ""),
    )
