"""The Typesense side of the one schema: collection fields, Article <-> document, clients.

Typesense (0.24) has no date type, no stemming and no stored-only fields by default,
so the collection mirrors `indexer.whoosh.schema` like this:

- ``title``, ``body``: searched text (``query_by``); no stemming, no stop words.
- ``tags`` (string[]), ``source`` (string), ``year`` (int32) and ``month``
  (``YYYY-MM``), both only when dated: facets
  and ``filter_by`` values, original case.
- ``date`` (int64 epoch seconds, only when dated): date-range filters.
- ``dated`` (0/1), ``date_sort`` (epoch seconds, 0 when undated), ``views`` (-1 when
  unknown), ``id_sort`` (the id, sortable): the sort orders of `search.models.SORTS`
  with undated articles last and the id as tie-break, as on Whoosh.
- ``title_words`` (string[] facet): lowercased title words, for autocomplete.
- ``author``, ``url``, ``origin``, ``language``: stored only (``index: false``).

Configuration shared by the writer and the search backend lives here too:
`parse_nodes` and `make_client` (a `indexer.typesense.http.TypesenseHttp`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from corpus.article import Article
from indexer.typesense.http import TypesenseHttp

#: Alias the search backend reads; rebuilds point it at a new collection.
DEFAULT_ALIAS = "broadsheet"
#: Typesense schema version of the documents below (bump when fields change).
TYPESENSE_SCHEMA_VERSION = 1
#: Default client timeout (seconds) per request and node.
CONNECTION_TIMEOUT = 5.0
_WORD = re.compile(r"\w{2,}", re.UNICODE)

COLLECTION_FIELDS: tuple[dict[str, Any], ...] = (
    {"name": "title", "type": "string"},
    {"name": "body", "type": "string"},
    {"name": "tags", "type": "string[]", "facet": True},
    {"name": "source", "type": "string", "facet": True},
    {"name": "year", "type": "int32", "facet": True, "optional": True},
    {"name": "month", "type": "string", "facet": True, "optional": True},
    {"name": "date", "type": "int64", "optional": True},
    {"name": "dated", "type": "int32"},
    {"name": "date_sort", "type": "int64"},
    {"name": "views", "type": "int64"},
    {"name": "id_sort", "type": "string", "sort": True},
    {"name": "title_words", "type": "string[]", "facet": True},
    {"name": "author", "type": "string", "index": False, "optional": True},
    {"name": "url", "type": "string", "index": False, "optional": True},
    {"name": "origin", "type": "string", "index": False, "optional": True},
    {"name": "language", "type": "string", "index": False, "optional": True},
)


def collection_schema(name: str) -> dict[str, Any]:
    """The ``POST /collections`` body for a Broadsheet collection called ``name``."""
    return {"name": name, "fields": [dict(field) for field in COLLECTION_FIELDS]}


def to_epoch(value: datetime) -> int:
    """Whole epoch seconds of an aware datetime (sub-second parts dropped)."""
    return int(value.astimezone(UTC).timestamp() // 1)


def from_epoch(value: int | None) -> datetime | None:
    """Aware UTC datetime of epoch seconds, or None."""
    if value is None:
        return None
    return datetime.fromtimestamp(int(value), UTC)


def article_to_ts_document(article: Article) -> dict[str, Any]:
    """Map an Article to one Typesense document (a JSONL import line)."""
    document: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "tags": list(article.tags),
        "source": article.source,
        "dated": int(article.date is not None),
        "date_sort": to_epoch(article.date) if article.date is not None else 0,
        "views": article.views if article.views is not None else -1,
        "id_sort": article.id,
        "title_words": sorted(set(_WORD.findall(article.title.lower()))),
        "author": article.author,
        "url": article.url,
        "origin": article.origin,
        "language": article.language,
    }
    if article.date is not None:
        document["date"] = to_epoch(article.date)
        document["year"] = article.date.astimezone(UTC).year
        document["month"] = f"{article.date.astimezone(UTC):%Y-%m}"
    return document


def ts_document_to_article(document: dict[str, Any]) -> Article:
    """Inverse of `article_to_ts_document` (dates come back to the second)."""
    views = document.get("views")
    return Article(
        id=document["id"],
        title=document.get("title", ""),
        body=document.get("body", ""),
        date=from_epoch(document.get("date")),
        tags=tuple(document.get("tags") or ()),
        source=document.get("source", ""),
        url=document.get("url", ""),
        author=document.get("author", ""),
        views=views if isinstance(views, int) and views >= 0 else None,
        origin=document.get("origin", ""),
        language=document.get("language", ""),
    )


def parse_nodes(nodes: str | list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    """``"host:port,host:port"`` (or ``http://host:port``) to the client's node list."""
    items = nodes.split(",") if isinstance(nodes, str) else list(nodes)
    parsed = []
    for raw in (item.strip() for item in items):
        if not raw:
            continue
        protocol = "http"
        if "://" in raw:
            protocol, raw = raw.split("://", 1)
        host, sep, port = raw.rstrip("/").rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"Typesense node must look like host:port, got {raw!r}")
        parsed.append({"host": host, "port": int(port), "protocol": protocol})
    if not parsed:
        raise ValueError("no Typesense node given (expected host:port,host:port,...)")
    return parsed


def make_client(
    nodes: str | list[str] | tuple[str, ...],
    api_key: str,
    timeout: float = CONNECTION_TIMEOUT,
) -> TypesenseHttp:
    """A client over ``nodes`` that fails over between them (close it with ``close()``)."""
    return TypesenseHttp(parse_nodes(nodes), api_key, timeout)
