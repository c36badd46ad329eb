"""The requests the OpenSearch writer sends, and its errors: bulk writes that name the
documents refused, index creation, the indices behind an alias, failures in one line.

``opensearchpy`` is imported when a request is made, not with this module, so that
``python -m indexer`` starts as fast for the other backends.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

from indexer.errors import IndexerError
from indexer.opensearch.schema import index_build, index_template

log = logging.getLogger(__name__)

#: How long a new index may take to start its primary shards.
PRIMARY_WAIT = "60s"
#: How long a build waits for its replicas to be copied before it gives up.
REPLICA_WAIT_S = 1800
REPLICA_WAIT = f"{REPLICA_WAIT_S}s"
_ALIAS_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,150}")


class OpenSearchWriteError(IndexerError, RuntimeError):
    """OpenSearch refused a write or could not be reached (said in one line)."""


class OpenSearchRefused(OpenSearchWriteError):
    """OpenSearch refused some documents of a bulk request; the message names the first."""


def describe(error: BaseException) -> str:
    """One line saying what went wrong with a request (unreachable, or the reason given)."""
    from opensearchpy.exceptions import ConnectionError as ClusterUnreachable
    from opensearchpy.exceptions import TransportError

    if isinstance(error, ClusterUnreachable):
        text = f"OpenSearch cannot be reached: {error.info or error}"
    elif isinstance(error, TransportError):
        reason: Any = error.error
        info = error.info
        if isinstance(info, dict) and isinstance(info.get("error"), dict):
            reason = f"{info['error'].get('type')}: {info['error'].get('reason')}"
        text = f"OpenSearch answered {error.status_code}: {reason}"
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split())


@contextmanager
def reported() -> Iterator[None]:
    """Turn any failure but an `IndexerError` into an `OpenSearchWriteError`."""
    try:
        yield
    except IndexerError:
        raise
    except Exception as error:
        raise OpenSearchWriteError(describe(error)) from error


def check_alias(alias: str) -> str:
    """``alias`` when OpenSearch can name an alias and its indices so, else ValueError."""
    if not _ALIAS_NAME.fullmatch(alias):
        raise ValueError(f"an OpenSearch alias must be lowercase letters, digits, . _ -: {alias!r}")
    return alias


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def send_bulk(client: Any, actions: list[dict[str, Any]]) -> None:
    """One bulk request of ``actions``; `OpenSearchRefused` naming the first failures
    (deleting what is already gone is no failure)."""
    if not actions:
        return
    from opensearchpy import helpers

    _, errors = helpers.bulk(
        client,
        actions,
        chunk_size=len(actions),
        raise_on_error=False,
        max_retries=3,
        initial_backoff=1,
    )
    failures = []
    for item in errors if isinstance(errors, list) else []:
        operation, result = next(iter(item.items()))
        if operation == "delete" and result.get("status") == 404:
            continue
        error = result.get("error")
        if isinstance(error, dict):
            error = f"{error.get('type')}: {error.get('reason')}"
        failures.append(f"{result.get('_id')}: {error or result.get('status')}")
    if failures:
        shown = "; ".join(" ".join(failure.split())[:300] for failure in failures[:3])
        raise OpenSearchRefused(
            f"OpenSearch refused {len(failures)} of {len(actions)} documents ({shown})"
        )


class BulkSender:
    """`send_bulk` on one background thread, so that reading and preparing the next
    batch overlaps the cluster's indexing of this one; at most two batches wait. The
    first refusal is raised by the next `send` or by `flush` (use as a context manager:
    leaving it flushes, or on an error waits for the thread without raising again)."""

    def __init__(self, client: Any) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.client = client
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opensearch-bulk")
        self._pending: list[Any] = []

    def send(self, actions: list[dict[str, Any]]) -> None:
        """Queue one bulk request (waits while two are pending)."""
        while len(self._pending) >= 2:
            self._pending.pop(0).result()
        if actions:
            self._pending.append(self._pool.submit(send_bulk, self.client, list(actions)))

    def flush(self) -> None:
        """Wait until every queued request is done; raise the first failure."""
        while self._pending:
            self._pending.pop(0).result()

    def __enter__(self) -> BulkSender:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if kind is None:
                self.flush()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


def create_index(
    client: Any, name: str, refresh: str | None = None, replicas: int | None = None
) -> None:
    """Create ``name`` (from the template; ``refresh`` and ``replicas`` override its
    settings) and wait for its primary shards (should the create return before they
    started, as when a node leaves meanwhile, wait for the index's health to be yellow)."""
    settings: dict[str, Any] = {}
    if refresh:
        settings["refresh_interval"] = refresh
    if replicas is not None:
        settings["number_of_replicas"] = replicas
    body = {"settings": {"index": settings}} if settings else {}
    response = client.indices.create(index=name, body=body, wait_for_active_shards=1)
    if response.get("shards_acknowledged", False):
        return
    health = client.cluster.health(
        index=name, wait_for_status="yellow", params={"timeout": PRIMARY_WAIT}, request_timeout=90
    )
    if health.get("timed_out") or health.get("status") == "red":
        raise OpenSearchWriteError(f"the primary shards of the new index {name} did not start")


def add_replicas(client: Any, pattern: str, replicas: int, refresh: str) -> None:
    """Give the indices of ``pattern`` their ``replicas`` (copied from the primaries'
    files, not indexed again) and ``refresh`` interval, and wait until the copies that
    the cluster has room for are started: green, or yellow when there are no more nodes
    than copies of a shard."""
    client.indices.put_settings(
        index=pattern,
        body={"index": {"refresh_interval": refresh, "number_of_replicas": replicas}},
    )
    if replicas == 0:
        return
    nodes = int(client.cluster.health()["number_of_data_nodes"])
    wanted = "green" if nodes > replicas else "yellow"
    health = client.cluster.health(
        index=pattern,
        wait_for_status=wanted,
        wait_for_no_initializing_shards=True,
        params={"timeout": REPLICA_WAIT},
        request_timeout=REPLICA_WAIT_S + 30,
    )
    if health.get("timed_out"):
        raise OpenSearchWriteError(
            f"the replicas of the new indices did not start within {REPLICA_WAIT} "
            f"(cluster {health.get('status')})"
        )


def already_exists(error: BaseException) -> bool:
    """Whether ``error`` is OpenSearch refusing to create an index that exists."""
    return getattr(error, "error", None) == "resource_already_exists_exception"


def served_indices(client: Any, alias: str) -> list[str]:
    """The indices ``alias`` points at (none when it does not exist)."""
    from opensearchpy.exceptions import NotFoundError

    try:
        return sorted(client.indices.get_alias(name=alias))
    except NotFoundError:
        return []


def build_indices(client: Any, alias: str, build: str) -> list[str]:
    """Every index of ``build`` of ``alias``, served or not."""
    names = client.indices.get(
        index=f"{alias}-g{build}-*", allow_no_indices=True, params={"expand_wildcards": "all"}
    )
    return sorted(names)


def delete_indices(client: Any, names: Iterable[str]) -> None:
    """Delete these indices (by name, never by pattern; those already gone are no error)."""
    for batch in batches(sorted(set(names)), 20):
        client.indices.delete(index=",".join(batch), ignore_unavailable=True)


def served_build(client: Any, alias: str) -> tuple[str, set[str]]:
    """The build ``alias`` serves (the newest, should it point at several) and the
    indices it points at; `OpenSearchWriteError` when it serves no build."""
    names = served_indices(client, alias)
    builds = {index_build(name, alias) for name in names} - {None}
    if not builds:
        raise OpenSearchWriteError(
            f"the alias {alias!r} serves no build: run build-opensearch first"
        )
    return max(b for b in builds if b), set(names)


def drop_old_builds(client: Any, alias: str, previous: list[str], build: str) -> tuple[str, ...]:
    """Delete every index of the builds ``previous`` belonged to, and of any build older
    than ``build`` that is not served (left by a rebuild that was killed); never
    ``build`` nor a newer one (a rebuild that started since). A failure is logged, not
    raised: the new build is served by then."""
    old_builds = {index_build(name, alias) for name in previous} - {None, build}
    try:
        existing = client.indices.get(index=f"{alias}-g*", params={"expand_wildcards": "all"})
    except Exception as error:
        log.warning("could not list the indices of %s: %s", alias, describe(error))
        existing = {}
    for name in existing:
        other = index_build(name, alias)
        if other is not None and other < build:
            old_builds.add(other)
    dropped: list[str] = []
    for old in sorted(b for b in old_builds if b):
        try:
            names = build_indices(client, alias, old)
            delete_indices(client, names)
            dropped += names
        except Exception as error:
            log.warning("could not delete the old build %s of %s: %s", old, alias, describe(error))
    return tuple(dropped)


def add_year_index(client: Any, alias: str, name: str) -> None:
    """Create ``name`` when missing (putting the template first if it is gone) and put
    it behind ``alias``."""
    if not client.indices.exists(index=name):
        if not client.indices.exists_index_template(name=alias):
            client.indices.put_index_template(name=alias, body=index_template(alias))
        try:
            create_index(client, name)
        except Exception as error:
            if not already_exists(error):  # else another update created it meanwhile
                raise
    client.indices.update_aliases(body={"actions": [{"add": {"index": name, "alias": alias}}]})
