"""Write Broadsheet's articles to Typesense: full rebuilds behind an alias, updates by id.

A rebuild imports every article (JSONL import API, in batches) into a new
collection ``broadsheet_<utc timestamp>``, checks its document count, points the
alias (``broadsheet``) at it in one call, then drops the collection the alias
pointed to before. Searchers read through the alias, so they switch from the
complete old collection to the complete new one with no gap (Typesense's
zero-downtime pattern). A failed rebuild drops its half-built collection and
leaves the alias alone. `upsert_articles` and `delete_articles` change the served
collection in place, by article id.

Updates are sent to the collection the alias points at, never through the alias:
Typesense 0.24 applies replicated writes in parallel queues chosen by the name in
the request path, so a node replaying its Raft log (a restarted cluster node)
could run a write addressed to the alias before the alias or its collection
existed there, drop it and still count it applied (tests/test_typesense_cluster.py
restarts a node to check that none is lost).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from corpus.article import Article
from indexer.backends import WriteResult
from indexer.errors import IndexerError
from indexer.typesense.http import NotFound, TypesenseHttp
from indexer.typesense.schema import (
    DEFAULT_ALIAS,
    article_to_ts_document,
    collection_schema,
    make_client,
)

#: Documents per import request.
DEFAULT_BATCH_SIZE = 1000
#: Ids per delete-by-filter request.
DELETE_BATCH_SIZE = 200

ProgressCallback = Callable[[int], None]


class TypesenseImportError(IndexerError, RuntimeError):
    """Typesense refused some documents of an import; the message names the first ones."""


@dataclass(frozen=True, slots=True)
class TypesenseBuildResult:
    """What a rebuild did: counts, timing, the new collection and the one dropped."""

    articles: int
    seconds: float
    collection: str
    dropped: str | None


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def alias_target(client: TypesenseHttp, alias: str = DEFAULT_ALIAS) -> str | None:
    """The collection ``alias`` points at, or None when the alias does not exist."""
    return client.alias_target(alias)


def new_collection_name(alias: str = DEFAULT_ALIAS) -> str:
    """``<alias>_<UTC timestamp to the microsecond>``: sortable and unique per build."""
    return f"{alias}_{datetime.now(UTC):%Y%m%dT%H%M%S%f}"


def import_articles(
    client: TypesenseHttp,
    collection: str,
    articles: Iterable[Article],
    *,
    action: str = "upsert",
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
    seen: set[str] | None = None,
) -> int:
    """Import ``articles`` into ``collection`` (name or alias); return how many were sent.

    ``seen``, when given, collects the distinct ids sent. Raises
    `TypesenseImportError` when any document of a batch is refused.
    """
    count = 0
    documents = (article_to_ts_document(article) for article in articles)
    for batch in _batches(documents, batch_size):
        results = client.import_documents(collection, batch, action)
        failures = [
            (document["id"], result.get("error", "refused"))
            for document, result in zip(batch, results, strict=False)
            if not result.get("success")
        ]
        if failures:
            shown = "; ".join(f"{doc_id}: {error}" for doc_id, error in failures[:3])
            raise TypesenseImportError(
                f"Typesense refused {len(failures)} of {len(batch)} documents ({shown})"
            )
        count += len(batch)
        if seen is not None:
            seen.update(document["id"] for document in batch)
        if on_progress is not None:
            on_progress(count)
    return count


def rebuild(
    client: TypesenseHttp,
    articles: Iterable[Article],
    *,
    alias: str = DEFAULT_ALIAS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
    verify_seconds: float = 30.0,
) -> TypesenseBuildResult:
    """Index ``articles`` into a new collection, verify it, swap ``alias`` onto it and
    drop the previous collection. On any error the new collection is dropped and the
    alias keeps serving the old one.

    Verification waits up to ``verify_seconds`` for the collection to report every
    distinct id sent (in a cluster a follower may answer before it applied the import).
    """
    started = time.perf_counter()
    name = new_collection_name(alias)
    client.create_collection(collection_schema(name))
    try:
        distinct: set[str] = set()
        import_articles(
            client, name, articles, batch_size=batch_size, on_progress=on_progress, seen=distinct
        )
        found = _wait_for_count(client, name, len(distinct), verify_seconds)
        previous = alias_target(client, alias)
        client.upsert_alias(alias, name)
    except BaseException:
        client.drop_collection(name)
        raise
    if previous and previous != name:
        client.drop_collection(previous)
    return TypesenseBuildResult(
        articles=found,
        seconds=time.perf_counter() - started,
        collection=name,
        dropped=previous,
    )


def _wait_for_count(client: TypesenseHttp, name: str, expected: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = int(client.collection(name)["num_documents"])
        except NotFound:
            # In a cluster the node asked may not have applied the create yet.
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)
            continue
        if found == expected:
            return found
        if found > expected or time.monotonic() >= deadline:
            raise TypesenseImportError(
                f"sent {expected} distinct articles but the collection holds {found}"
            )
        time.sleep(0.1)


def upsert_articles(
    client: TypesenseHttp,
    articles: Iterable[Article],
    *,
    alias: str = DEFAULT_ALIAS,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Add or replace ``articles`` (by id) in the served collection; return the count."""
    target = served_collection(client, alias)
    return import_articles(client, target, articles, action="upsert", batch_size=batch_size)


def served_collection(client: TypesenseHttp, alias: str = DEFAULT_ALIAS) -> str:
    """The collection ``alias`` points at (``alias`` itself when it is no alias, so a
    plain collection of that name still works)."""
    return alias_target(client, alias) or alias


def _id_filter(ids: list[str]) -> str:
    return "id:=[" + ",".join(f"`{article_id}`" for article_id in ids) + "]"


def delete_articles(
    client: TypesenseHttp, ids: Iterable[str], *, alias: str = DEFAULT_ALIAS
) -> int:
    """Delete the articles with these ids from the served collection; return how many
    existed. Ids holding a backtick (which a filter cannot quote) are deleted one by one."""
    deleted = 0
    target = served_collection(client, alias)
    plain: list[str] = []
    odd: list[str] = []
    for article_id in dict.fromkeys(ids):
        (odd if "`" in article_id else plain).append(article_id)
    for batch in _batches(plain, DELETE_BATCH_SIZE):
        deleted += client.delete_by_filter(target, _id_filter(batch))
    for article_id in odd:
        try:
            client.delete_document(target, article_id)
            deleted += 1
        except NotFound:
            pass
    return deleted


def drop_unaliased(client: TypesenseHttp, alias: str = DEFAULT_ALIAS) -> list[str]:
    """Drop ``<alias>_*`` collections the alias does not point at (left by crashed builds).

    Call only when no rebuild is running. Returns the names dropped.
    """
    target = alias_target(client, alias)
    dropped = []
    for collection in client.collections():
        name = collection["name"]
        if name.startswith(f"{alias}_") and name != target:
            client.drop_collection(name)
            dropped.append(name)
    return dropped


class TypesenseWriter:
    """The Typesense backend's `indexer.backends.IndexWriter`: a rebuild fills a new
    collection, verifies it and swaps ``alias`` onto it (`rebuild`)."""

    backend = "typesense"

    def __init__(self, nodes: str, api_key: str, alias: str | None = None) -> None:
        self.client = make_client(nodes, api_key, timeout=60.0)
        self.alias = alias or DEFAULT_ALIAS

    def rebuild(
        self, articles: Iterable[Article], *, on_progress: ProgressCallback | None = None
    ) -> WriteResult:
        """`rebuild` of ``articles`` behind this writer's alias."""
        result = rebuild(self.client, articles, alias=self.alias, on_progress=on_progress)
        return WriteResult(result.articles, result.seconds, result.collection)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()
