"""Single articles on Typesense: one by id, its related articles, title-word completion.

`search.typesense.backend.TypesenseSearchService` answers ``get_article``, ``related``
and ``suggest`` with these functions. Typesense 0.24 has no "more like this": related
articles are one search per key body word, merged by reciprocal rank; completion is a
facet query over the titles' words.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from corpus.article import Article
from indexer.typesense.http import NotFound, TypesenseError
from indexer.typesense.schema import ts_document_to_article
from search.errors import IndexUnavailable
from search.models import Hit
from search.typesense.mapping import (
    EXCLUDED_FIELDS,
    facet_counts,
    merge_related,
    related_key_words,
)

if TYPE_CHECKING:
    from search.typesense.backend import TypesenseSearchService

__all__ = ["get_article", "related", "suggest"]

_SUGGEST_WORD = re.compile(r"^\w+$", re.UNICODE)


def get_article(service: TypesenseSearchService, article_id: str) -> Article | None:
    """The stored article with this id, or None."""
    try:
        return ts_document_to_article(service.client.document(service.alias, article_id))
    except NotFound:
        service.doc_count()  # raises IndexUnavailable when the alias itself is missing
        return None
    except TypesenseError as error:
        raise IndexUnavailable(f"Typesense lookup failed: {error}") from error


def related(service: TypesenseSearchService, article_id: str, limit: int = 5) -> tuple[Hit, ...]:
    """Articles sharing this one's key body words (one search per word, merged by
    reciprocal rank), excluding itself and exact-text duplicates.

    Typesense 0.24 has no "more like this"; this is the documented substitute.
    """
    article = get_article(service, article_id)
    if article is None:
        return ()
    keys = related_key_words(article.body)
    if not keys:
        return ()
    searches = [
        {
            "q": word,
            "query_by": "body",
            "num_typos": 0,
            "prefix": False,
            "drop_tokens_threshold": 0,
            "per_page": limit + 5,
            "exclude_fields": EXCLUDED_FIELDS,
            "highlight_fields": "none",
        }
        for word in keys
    ]
    return merge_related(service.multi_search(searches), len(keys), article, limit)


def suggest(service: TypesenseSearchService, prefix: str, limit: int = 10) -> list[str]:
    """Title words starting with the last word of ``prefix``, most frequent first,
    completed onto the rest of ``prefix`` (a facet query on ``title_words``)."""
    head, _, last = prefix.lower().rpartition(" ")
    last = last.strip()
    if len(last) < 2 or len(prefix) > 200 or not _SUGGEST_WORD.match(last):
        return []
    params = {
        "q": "*",
        "query_by": "title",
        "facet_by": "title_words",
        "facet_query": f"title_words:{last}",
        "max_facet_values": max(limit * 3, 30),
        "per_page": 0,
    }
    (result,) = service.multi_search([params])
    counts = facet_counts(result, "title_words")
    words = sorted(
        ((count, word) for word, count in counts.items() if word.startswith(last)),
        key=lambda item: (-item[0], item[1]),
    )
    return [f"{head} {word}".strip() for _, word in words[:limit]]
