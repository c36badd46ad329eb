"""Single articles on OpenSearch: one by id, its related articles, title-word completion.

`search.opensearch.backend.OpenSearchSearchService` answers ``get_article``, ``related``
and ``suggest`` with these functions. Related articles are OpenSearch's
``more_like_this`` on title and body, without the article itself or the other copies of
its story; completion is a ``terms`` aggregation over the titles' words.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from corpus.article import Article
from indexer.opensearch.schema import document_to_article
from search.models import Hit
from search.opensearch.mapping import hit_from
from search.opensearch.requests import UNSHOWN_FIELDS

if TYPE_CHECKING:
    from search.opensearch.backend import OpenSearchSearchService

__all__ = ["get_article", "related", "suggest"]


def get_article(service: OpenSearchSearchService, article_id: str) -> Article | None:
    """The stored article with this id, or None."""
    body = {"query": {"ids": {"values": [article_id]}}, "size": 1}
    found = service.call(
        "lookup", service.client.search, index=service.indices.readable(), body=body
    )
    hits = found["hits"]["hits"]
    return document_to_article(hits[0]["_source"]) if hits else None


def related(service: OpenSearchSearchService, article_id: str, limit: int = 5) -> tuple[Hit, ...]:
    """Articles like this one (``more_like_this`` on title and body), without
    itself or the other copies of its story."""
    found = service.call(
        "lookup",
        service.client.search,
        index=service.indices.readable(),
        body={"query": {"ids": {"values": [article_id]}}, "size": 1},
    )["hits"]["hits"]
    if not found:
        return ()
    story = found[0]["_source"].get("story", article_id)
    like = {"_index": found[0]["_index"], "_id": article_id}
    body = {
        "size": limit,
        "query": {
            "bool": {
                "must": {
                    "more_like_this": {
                        "fields": ["title", "body"],
                        "like": [like],
                        "min_term_freq": 1,
                        "min_doc_freq": 1,
                        "max_query_terms": 25,
                    }
                },
                "must_not": [{"term": {"story": story}}, {"ids": {"values": [article_id]}}],
            }
        },
        "collapse": {"field": "story"},
        "_source": {"excludes": list(UNSHOWN_FIELDS)},
    }
    result = service.call(
        "related search", service.client.search, index=service.indices.readable(), body=body
    )
    return tuple(hit_from(hit, snippets=False) for hit in result["hits"]["hits"])


def suggest(service: OpenSearchSearchService, prefix: str, limit: int = 10) -> list[str]:
    """Title words starting with the last word of ``prefix``, in most titles first,
    completed onto the rest of ``prefix`` (a ``terms`` aggregation)."""
    head, _, last = prefix.lower().rpartition(" ")
    last = last.strip()
    if len(last) < 2 or len(prefix) > 200 or not re.fullmatch(r"\w+", last):
        return []
    body = {
        "size": 0,
        "query": {"prefix": {"title_words": last}},
        "aggs": {
            "words": {
                "terms": {
                    "field": "title_words",
                    "include": f"{re.escape(last)}.*",
                    "size": limit,
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
        },
    }
    result = service.call(
        "suggest", service.client.search, index=service.indices.readable(), body=body
    )
    words = [bucket["key"] for bucket in result["aggregations"]["words"]["buckets"]]
    return [f"{head} {word}".strip() for word in words[:limit]]
