"""Write Broadsheet's articles to OpenSearch: rebuilds behind an alias, updates by id.

A rebuild puts the index template (`indexer.opensearch.schema.index_template`), picks a
new build id (the UTC time to the microsecond), and streams the articles into one index
per year of that build (``<alias>-g<build>-<year>``, ``...-undated``), each created when
its first article comes, with refreshes off. Only the ids, years and MinHash sketches
stay in memory: once every article is written, the sketches are grouped
(`indexer.near_duplicates.group_sketches`) and the articles whose ``story`` is another
article's id are updated. Then the indices are refreshed, their count checked, and the
alias moved from the old build's indices to the new ones in one ``_aliases`` call, so a
reader sees the whole old archive or the whole new one; the old build is deleted last.
A failed rebuild deletes what it created and leaves the alias alone.

`upsert_articles` and `delete_articles` change the served build in place, by article
id: an article goes to the served build's index of its year (created and put behind
the alias when the year is new; its copy in another year's index deleted), with the
story of the stored articles it is a near-duplicate of (found through their
``story_bands`` and checked with their ``sketch``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from corpus.article import Article
from indexer.backends import WriteResult
from indexer.near_duplicates import (
    SKETCH_BINS,
    SKETCH_BYTES,
    article_sketch,
    group_sketches,
    group_stories,
    sketch_keys,
    stories_among,
)
from indexer.opensearch.bulk import (
    BulkSender,
    OpenSearchRefused,
    OpenSearchWriteError,
    add_replicas,
    add_year_index,
    already_exists,
    batches,
    check_alias,
    create_index,
    delete_indices,
    drop_old_builds,
    reported,
    send_bulk,
    served_build,
    served_indices,
)
from indexer.opensearch.schema import (
    DEFAULT_ALIAS,
    DEFAULT_REPLICAS,
    DEFAULT_SHARDS,
    DEFAULT_YEARS_PER_INDEX,
    article_to_document,
    article_year,
    build_span,
    index_name,
    index_template,
    make_client,
)

#: Documents per bulk request (and articles per update batch).
DEFAULT_BATCH_SIZE = 1000
#: Ids per delete-by-query request.
DELETE_BATCH_SIZE = 1000
#: Refresh interval of an index being built (off), and once it is served.
BUILD_REFRESH = "-1"
SERVED_REFRESH = "1s"
#: Most stored candidates an update batch compares its sketches with.
MAX_CANDIDATES = 10_000
#: Client timeout (seconds) of the writer's requests.
WRITE_TIMEOUT = 60.0
_NO_SKETCH = b"\xff" * SKETCH_BYTES

ProgressCallback = Callable[[int], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OpenSearchBuildResult:
    """What a rebuild did: the articles served, the time, the build and its indices,
    the articles grouped with a near-duplicate, and the old indices deleted."""

    articles: int
    seconds: float
    build: str
    indices: tuple[str, ...]
    grouped: int
    dropped: tuple[str, ...]


def new_build_id() -> str:
    """The UTC time to the microsecond, lowercase (``20261205t214501123456``)."""
    return datetime.now(UTC).strftime("%Y%m%dt%H%M%S%f")


def _document(article: Article, story: str, sketch: bytes) -> dict[str, Any]:
    document = article_to_document(article, story)
    document["story_bands"] = sketch_keys(sketch)
    if sketch:
        document["sketch"] = sketch.hex()
    return document


def rebuild(
    client: Any,
    articles: Iterable[Article],
    *,
    alias: str = DEFAULT_ALIAS,
    shards: int = DEFAULT_SHARDS,
    replicas: int = DEFAULT_REPLICAS,
    years_per_index: int = DEFAULT_YEARS_PER_INDEX,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> OpenSearchBuildResult:
    """Index ``articles`` as a new build, verify it, move ``alias`` onto it in one call
    and delete the old build. On any error the new build's indices are deleted, the
    alias keeps serving the old one, and an `OpenSearchWriteError` is raised. No
    article at all is an error (the alias would serve nothing)."""
    check_alias(alias)
    started = time.perf_counter()
    build = new_build_id()
    created: list[str] = []
    try:
        with reported():
            client.indices.put_index_template(
                name=alias, body=index_template(alias, shards, replicas)
            )
            written, grouped = _write_build(
                client, alias, build, articles, created, batch_size, on_progress, years_per_index
            )
            pattern = f"{alias}-g{build}-*"
            client.indices.refresh(index=pattern)
            add_replicas(client, pattern, replicas, SERVED_REFRESH)
            found = int(client.count(index=pattern)["count"])
            if found != written:
                raise OpenSearchWriteError(
                    f"wrote {written} distinct articles but the new indices hold {found}"
                )
            previous = served_indices(client, alias)
            actions = [{"remove": {"index": name, "alias": alias}} for name in previous]
            actions += [{"add": {"index": name, "alias": alias}} for name in created]
            client.indices.update_aliases(body={"actions": actions})
    except BaseException:
        try:
            delete_indices(client, created)
        except Exception as cleanup:  # the cluster may be what failed
            log.warning("could not delete the half-built indices %s: %s", created, cleanup)
        raise
    dropped = drop_old_builds(client, alias, previous, build)
    return OpenSearchBuildResult(
        articles=found,
        seconds=time.perf_counter() - started,
        build=build,
        indices=tuple(sorted(created)),
        grouped=grouped,
        dropped=dropped,
    )


def _write_build(
    client: Any,
    alias: str,
    build: str,
    articles: Iterable[Article],
    created: list[str],
    batch_size: int,
    on_progress: ProgressCallback | None,
    span: int = DEFAULT_YEARS_PER_INDEX,
) -> tuple[int, int]:
    """Stream ``articles`` into the build's indices (``on_progress``: the articles read
    so far, after each bulk request), then set the stories of the near-duplicates;
    return the distinct articles written and how many are grouped."""
    rows: dict[str, int] = {}
    years: list[int | None] = []
    sketches = bytearray()
    actions: list[dict[str, Any]] = []
    read = 0
    with BulkSender(client) as sender:
        for article in articles:
            read += 1
            sketch = article_sketch(article.title, article.body)
            year = article_year(article)
            target = index_name(alias, build, year, span)
            if target not in created:
                created.append(target)  # deleted on failure, even if the create did not answer
                try:
                    create_index(client, target, BUILD_REFRESH, replicas=0)
                except Exception as error:
                    if already_exists(error):
                        created.remove(target)  # not this build's to delete
                    raise
            row = rows.get(article.id)
            if row is None:
                rows[article.id] = len(years)
                years.append(year)
                sketches += sketch or _NO_SKETCH
            else:  # the same id again: the last copy wins, as in an update
                sketches[row * SKETCH_BYTES : (row + 1) * SKETCH_BYTES] = sketch or _NO_SKETCH
                if years[row] != year:
                    old = index_name(alias, build, years[row], span)
                    actions.append({"_op_type": "delete", "_index": old, "_id": article.id})
                    years[row] = year
            source = _document(article, article.id, sketch)
            actions.append(
                {"_op_type": "index", "_index": target, "_id": article.id, "_source": source}
            )
            if len(actions) >= batch_size:
                sender.send(actions)
                actions = []
                if on_progress is not None:
                    on_progress(read)
        sender.send(actions)
    if not rows:
        raise OpenSearchWriteError("no article to index: the alias would serve nothing")
    if on_progress is not None:
        on_progress(read)
    groups = group_sketches(np.frombuffer(sketches, dtype="<u4").reshape(-1, SKETCH_BINS))
    ids = list(rows)
    stories = group_stories(ids, groups)
    updates = [
        {
            "_op_type": "update",
            "_index": index_name(alias, build, years[row], span),
            "_id": article_id,
            "doc": {"story": story},
        }
        for row, (article_id, story) in enumerate(zip(ids, stories, strict=True))
        if story != article_id
    ]
    for batch in batches(updates, batch_size):
        send_bulk(client, batch)
    return len(rows), int((groups >= 0).sum())


def upsert_articles(
    client: Any, alias: str, articles: Iterable[Article], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> int:
    """Add or replace ``articles`` (by id) in the build ``alias`` serves, each in its
    year's index (a copy in another year's index is deleted), with the story of the
    stored near-duplicates it joins; refreshed, so a search right after sees them.
    Returns the count written (an id given twice counts once: the last copy wins)."""
    check_alias(alias)
    written = 0
    with reported():
        build, members = served_build(client, alias)
        span = build_span(members)
        for batch in batches(articles, batch_size):
            latest = list({article.id: article for article in batch}.values())
            sketches = [article_sketch(article.title, article.body) for article in latest]
            stories = _stories(client, alias, latest, sketches)
            stored = _locate(client, alias, [article.id for article in latest])
            actions: list[dict[str, Any]] = []
            for article, sketch, story in zip(latest, sketches, stories, strict=True):
                target = index_name(alias, build, article_year(article), span)
                if target not in members:
                    add_year_index(client, alias, target)
                    members.add(target)
                source = _document(article, story, sketch)
                actions.append(
                    {"_op_type": "index", "_index": target, "_id": article.id, "_source": source}
                )
                actions += [
                    {"_op_type": "delete", "_index": old, "_id": article.id}
                    for old in stored.get(article.id, ())
                    if old != target
                ]
            send_bulk(client, actions)
            client.indices.refresh(index=alias)
            written += len(latest)
    return written


def _locate(client: Any, alias: str, ids: list[str]) -> dict[str, set[str]]:
    """The indices behind ``alias`` holding each of ``ids``."""
    response = client.search(
        index=alias,
        body={"query": {"ids": {"values": ids}}, "_source": False, "size": 2 * len(ids) + 10},
    )
    found: dict[str, set[str]] = {}
    for hit in response["hits"]["hits"]:
        found.setdefault(hit["_id"], set()).add(hit["_index"])
    return found


def _stories(client: Any, alias: str, articles: list[Article], sketches: list[bytes]) -> list[str]:
    """The story of each of ``articles``: that of the stored articles (sharing a band key,
    their sketches alike) of its group, else the smallest id of its group in the batch."""
    keys = sorted({key for sketch in sketches for key in sketch_keys(sketch)})
    ids = {article.id for article in articles}
    stored: list[tuple[str, bytes]] = []
    if keys:
        response = client.search(
            index=alias,
            body={
                "query": {"terms": {"story_bands": keys}},
                "_source": ["id", "story", "sketch"],
                "size": MAX_CANDIDATES,
            },
        )
        for hit in response["hits"]["hits"]:
            source = hit["_source"]
            if source.get("id") in ids:  # being replaced: its old text does not count
                continue
            try:
                sketch = bytes.fromhex(source.get("sketch") or "")
            except ValueError:
                sketch = b""
            stored.append((str(source.get("story") or source.get("id")), sketch))
    return stories_among(
        stored, [(a.id, sketch) for a, sketch in zip(articles, sketches, strict=True)]
    )


def delete_articles(client: Any, alias: str, ids: Iterable[str]) -> int:
    """Delete the articles with these ids from the indices behind ``alias``; return how
    many existed. Refreshed, so a search right after no longer finds them."""
    check_alias(alias)
    deleted = 0
    with reported():
        for batch in batches(dict.fromkeys(ids), DELETE_BATCH_SIZE):
            response = client.delete_by_query(
                index=alias,
                body={"query": {"ids": {"values": batch}}},
                refresh=True,
                conflicts="proceed",
            )
            if response.get("failures"):
                raise OpenSearchWriteError(f"delete failed: {response['failures'][:3]}")
            deleted += int(response.get("deleted", 0))
    return deleted


class OpenSearchWriter:
    """The OpenSearch backend's `indexer.backends.IndexWriter`: a rebuild fills a new
    build's indices, verifies them and moves ``alias`` onto them (`rebuild`)."""

    backend = "opensearch"

    def __init__(
        self,
        nodes: str | list[str] | tuple[str, ...],
        alias: str = DEFAULT_ALIAS,
        *,
        shards: int = DEFAULT_SHARDS,
        replicas: int = DEFAULT_REPLICAS,
        years_per_index: int = DEFAULT_YEARS_PER_INDEX,
    ) -> None:
        self.alias = check_alias(alias or DEFAULT_ALIAS)
        self.shards = shards
        self.replicas = replicas
        self.years_per_index = years_per_index
        self.client = make_client(nodes, timeout=WRITE_TIMEOUT)

    def rebuild(
        self, articles: Iterable[Article], *, on_progress: ProgressCallback | None = None
    ) -> WriteResult:
        """`rebuild` of ``articles`` behind this writer's alias."""
        result = rebuild(
            self.client,
            articles,
            alias=self.alias,
            shards=self.shards,
            replicas=self.replicas,
            years_per_index=self.years_per_index,
            on_progress=on_progress,
        )
        return WriteResult(result.articles, result.seconds, f"{self.alias}-g{result.build}")

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "OpenSearchBuildResult",
    "OpenSearchRefused",
    "OpenSearchWriteError",
    "OpenSearchWriter",
    "delete_articles",
    "new_build_id",
    "rebuild",
    "served_build",
    "upsert_articles",
]
