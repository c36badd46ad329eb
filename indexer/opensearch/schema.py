"""The OpenSearch side of the one schema: index template, Article <-> document, clients.

An archive is a set of time-based indices behind one alias (``broadsheet``): one index
per year of publication (``broadsheet-g<build>-2023``) and one for undated articles
(``...-undated``), all made from the index template `index_template` puts in place, so
that every year has the same mapping and analysis. A rebuild writes a new set (a new
``<build>``) and moves the alias in one call (`indexer.opensearch.writer`).

The mapping mirrors `indexer.whoosh.schema`:

- ``title`` and ``body``: text analysed like Whoosh's `indexer.analysis.english_analyzer`
  (the same token pattern, lowercase, the same English stop words, words of two
  letters or more, Snowball English stemming: Lucene's ``porter2``), each with an
  ``exact`` sub-field that is not stemmed (quoted words).
- ``tags`` and ``source``: keywords as written (facets, filters), each with a ``text``
  sub-field for ``tag:`` and ``source:`` searches; ``author``: text with a keyword.
- ``date`` (UTC, to the millisecond), ``year`` and ``month`` (``YYYY-MM``): absent for
  undated articles, which every date sort puts last (``missing: _last``).
- ``views`` (absent when unknown), ``id`` (keyword: the sort tie-break).
- ``title_words``: the title's lowercased words (autocomplete by terms aggregation).
- ``story``: the near-duplicate group key (the smallest id of the group, or the
  article's own id), ``story_bands``: its MinHash band keys (`indexer.near_duplicates`),
  ``sketch``: the MinHash sketch itself (hex, kept, not searchable: an update checks
  the similarity of the articles sharing a band key with it).
- ``url``, ``origin``, ``language``: kept, ``url`` and ``origin`` not searchable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from corpus.article import Article
from indexer.analysis import TOKEN_PATTERN, english_stop_words

#: Alias searches read; each rebuild moves it to a new set of indices.
DEFAULT_ALIAS = "broadsheet"
#: Bumped when the mapping or the documents change (stored in the template's ``_meta``).
OPENSEARCH_SCHEMA_VERSION = 1
#: Primary shards and replicas of each index (`shard_settings` may override them).
DEFAULT_SHARDS = 1
DEFAULT_REPLICAS = 1
#: Years of articles per index (1: an index a year; more for a small archive).
DEFAULT_YEARS_PER_INDEX = 1
#: The index of the articles that have no date.
UNDATED = "undated"
#: Client timeout (seconds) per request.
REQUEST_TIMEOUT = 30.0
_TOKEN = TOKEN_PATTERN.replace(r"\*", "")
_TITLE_WORD = re.compile(r"\w{2,}", re.UNICODE)

_ANALYSIS: dict[str, Any] = {
    "tokenizer": {
        "broadsheet_words": {
            "type": "pattern",
            "pattern": _TOKEN,
            "group": 0,
            "flags": "UNICODE_CHARACTER_CLASS",
        }
    },
    "filter": {
        "broadsheet_stop": {"type": "stop", "stopwords": sorted(english_stop_words())},
        "broadsheet_min_length": {"type": "length", "min": 2},
        "broadsheet_stemmer": {"type": "stemmer", "language": "porter2"},
    },
    "analyzer": {
        "broadsheet_english": {
            "type": "custom",
            "tokenizer": "broadsheet_words",
            "filter": [
                "lowercase",
                "broadsheet_min_length",
                "broadsheet_stop",
                "broadsheet_stemmer",
            ],
        },
        "broadsheet_exact": {
            "type": "custom",
            "tokenizer": "broadsheet_words",
            "filter": ["lowercase", "broadsheet_min_length", "broadsheet_stop"],
        },
        "broadsheet_plain": {
            "type": "custom",
            "tokenizer": "broadsheet_words",
            "filter": ["lowercase"],
        },
    },
}

_TEXT = {
    "type": "text",
    "analyzer": "broadsheet_english",
    "fields": {"exact": {"type": "text", "analyzer": "broadsheet_exact"}},
}

MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "title": _TEXT,
        "body": _TEXT,
        "tags": {
            "type": "keyword",
            "fields": {"text": {"type": "text", "analyzer": "broadsheet_plain"}},
        },
        "source": {
            "type": "keyword",
            "fields": {"text": {"type": "text", "analyzer": "broadsheet_plain"}},
        },
        "author": {
            "type": "text",
            "analyzer": "broadsheet_plain",
            "fields": {"raw": {"type": "keyword", "ignore_above": 512}},
        },
        "date": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
        "year": {"type": "short"},
        "month": {"type": "keyword"},
        "views": {"type": "long"},
        "title_words": {"type": "keyword"},
        "story": {"type": "keyword"},
        "story_bands": {"type": "keyword"},
        "sketch": {"type": "keyword", "index": False, "doc_values": False},
        "url": {"type": "keyword", "index": False, "doc_values": False},
        "origin": {"type": "keyword", "index": False, "doc_values": False},
        "language": {"type": "keyword"},
    },
}


def index_pattern(alias: str) -> str:
    """The names of every index of ``alias``'s builds (what its template applies to)."""
    return f"{alias}-g*"


def index_name(alias: str, build: str, year: int | None, span: int = 1) -> str:
    """The index of ``build`` holding the articles of ``year`` (None: undated): one per
    year (``...-1987``), or with ``span`` > 1 one per run of ``span`` years
    (``...-1980to1989``), for archives too small to fill an index a year."""
    if year is None:
        return f"{alias}-g{build}-{UNDATED}"
    if span <= 1:
        return f"{alias}-g{build}-{year:04d}"
    first = year - year % span
    return f"{alias}-g{build}-{first:04d}to{first + span - 1:04d}"


def index_years(name: str) -> tuple[int, int] | None:
    """The first and last year an index of `index_name` holds (None: undated or not such
    an index)."""
    last = name.rsplit("-", 1)[-1]
    if last.isdigit():
        return int(last), int(last)
    first, sep, final = last.partition("to")
    if sep and first.isdigit() and final.isdigit():
        return int(first), int(final)
    return None


def index_year(name: str) -> int | None:
    """The first year an index of `index_name` holds (None: undated or not such an index)."""
    years = index_years(name)
    return years[0] if years else None


def build_span(names: Iterable[str]) -> int:
    """The years per index of a build, from its index names (1 when none spans more)."""
    for name in names:
        years = index_years(name)
        if years and years[1] > years[0]:
            return years[1] - years[0] + 1
    return 1


def index_build(name: str, alias: str) -> str | None:
    """The build an index of ``alias`` belongs to, or None for another index."""
    prefix = f"{alias}-g"
    if not name.startswith(prefix) or "-" not in name[len(prefix) :]:
        return None
    return name[len(prefix) :].rsplit("-", 1)[0]


def index_template(
    alias: str, shards: int = DEFAULT_SHARDS, replicas: int = DEFAULT_REPLICAS
) -> dict[str, Any]:
    """The ``PUT _index_template/<alias>`` body for the indices of ``alias``."""
    return {
        "index_patterns": [index_pattern(alias)],
        "priority": 100,
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "analysis": _ANALYSIS,
                # A node away for less than this gets its own copies back and replays
                # what it missed, instead of new copies being built on the others.
                "index.unassigned.node_left.delayed_timeout": "5m",
            },
            "mappings": {**MAPPING, "_meta": {"schema_version": OPENSEARCH_SCHEMA_VERSION}},
        },
        "_meta": {"broadsheet_schema_version": OPENSEARCH_SCHEMA_VERSION},
    }


def to_millis(value: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(value.astimezone(UTC).timestamp() * 1000 // 1)


def article_year(article: Article) -> int | None:
    """The UTC year of the article's date, or None when undated."""
    return None if article.date is None else article.date.astimezone(UTC).year


def article_to_document(article: Article, story: str | None = None) -> dict[str, Any]:
    """One article as its ``_source`` (``story``: its near-duplicate group key)."""
    document: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "tags": list(article.tags),
        "source": article.source,
        "author": article.author,
        "title_words": sorted(set(title_words(article.title))),
        "story": story or article.id,
        "url": article.url,
        "origin": article.origin,
        "language": article.language,
    }
    if article.views is not None:
        document["views"] = article.views
    if article.date is not None:
        moment = article.date.astimezone(UTC)
        document["date"] = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
        document["year"] = moment.year
        document["month"] = f"{moment:%Y-%m}"
    return document


def document_to_article(source: dict[str, Any]) -> Article:
    """Inverse of `article_to_document`."""
    views = source.get("views")
    raw_date = source.get("date")
    date = None
    if isinstance(raw_date, str) and raw_date:
        date = datetime.fromisoformat(raw_date.replace("Z", "+00:00")).astimezone(UTC)
    elif isinstance(raw_date, int | float):
        date = datetime.fromtimestamp(raw_date / 1000, UTC)
    return Article(
        id=source["id"],
        title=source.get("title", ""),
        body=source.get("body", ""),
        date=date,
        tags=tuple(source.get("tags") or ()),
        source=source.get("source", ""),
        url=source.get("url", ""),
        author=source.get("author", ""),
        views=views if isinstance(views, int) else None,
        origin=source.get("origin", ""),
        language=source.get("language", ""),
    )


def title_words(title: str) -> list[str]:
    """The title's words as autocomplete completes them: lowercased, two letters or more."""
    return _TITLE_WORD.findall(title.lower())


def parse_nodes(nodes: str | list[str] | tuple[str, ...]) -> list[str]:
    """``"http://host:port,host:port"`` to a list of node URLs (``http://`` by default)."""
    items = nodes.split(",") if isinstance(nodes, str) else list(nodes)
    urls = []
    for raw in (item.strip().rstrip("/") for item in items):
        if not raw:
            continue
        url = raw if "://" in raw else f"http://{raw}"
        host_port = url.split("://", 1)[1]
        host, sep, port = host_port.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"an OpenSearch node must look like host:port, got {raw!r}")
        urls.append(url)
    if not urls:
        raise ValueError("no OpenSearch node given (expected host:port,host:port,...)")
    return urls


def make_client(nodes: str | list[str] | tuple[str, ...], timeout: float = REQUEST_TIMEOUT) -> Any:
    """An ``opensearchpy.OpenSearch`` client over ``nodes``: a request that fails on one
    node (connection refused, timeout) is tried on the next, up to once per node."""
    from opensearchpy import OpenSearch

    urls = parse_nodes(nodes)
    return OpenSearch(
        hosts=urls,
        timeout=timeout,
        max_retries=len(urls),
        retry_on_timeout=True,
        retry_on_status=(502, 503, 504),
    )


__all__ = [
    "DEFAULT_ALIAS",
    "DEFAULT_YEARS_PER_INDEX",
    "MAPPING",
    "OPENSEARCH_SCHEMA_VERSION",
    "UNDATED",
    "article_to_document",
    "article_year",
    "document_to_article",
    "index_build",
    "index_name",
    "index_pattern",
    "index_template",
    "index_year",
    "index_years",
    "build_span",
    "make_client",
    "parse_nodes",
    "title_words",
]
