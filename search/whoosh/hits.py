"""Stored fields to records: `Hit` for result lists, `Article` for an article page."""

from __future__ import annotations

from typing import Any

from corpus.article import Article
from indexer.whoosh.schema import from_whoosh_date
from search.models import Hit


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
