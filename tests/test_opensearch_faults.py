"""Faults on the real 3-node OpenSearch cluster (conftest): a node stopped while searches
and updates go on, and a shard left with no copy.

With one replica, stopping a node loses no article and no request that a retry does not
fix; every answer is either complete or says it is not (``total_exact`` false and a
notice), never silently short; the node rejoins, and its copies catch up with what was
written while it was away. With no replica, the articles of a missing shard are
reported missing. Waits are for events (a count of requests done, cluster health), not
for moments; timings are printed (``-s``) and attached as properties.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

import pytest
from opensearch_servers import Cluster, cluster_urls

from bench.synthetic import SyntheticCorpus
from corpus import Article
from search import IndexUnavailable, SearchRequest

pytestmark = pytest.mark.slow

ALIAS = "faults"
BASE_ARTICLES = 3000
#: Words of the base articles searched during the outage (their counts never change:
#: the articles written meanwhile use words of their own).
WORDS = ("said", "people", "percent", "government", "state", "week")
#: Requests each worker completes before the node stops, while it is down, and after.
STEPS = 15


def _written(n: int) -> Article:
    return Article(
        id=f"fault-{n}",
        title=f"Outage dispatch {n}",
        body=f"Dispatch zzoutage number {n} was filed while a search node was away.",
    )


@dataclass
class Progress:
    """What the workers did, shared with the test; `wait` blocks until a count is met."""

    searches: int = 0
    batches: int = 0
    written: list[str] = field(default_factory=list)
    unfixed: list[str] = field(default_factory=list)
    retried: int = 0
    partial: int = 0
    silent: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def bump(self, name: str) -> None:
        with self.changed:
            setattr(self, name, getattr(self, name) + 1)
            self.changed.notify_all()

    def wait(self, searches: int, batches: int, timeout: float = 300.0) -> None:
        with self.changed:
            met = self.changed.wait_for(
                lambda: self.searches >= searches and self.batches >= batches, timeout
            )
        assert met, f"workers stalled: {self.searches} searches, {self.batches} batches"


@pytest.fixture(scope="module")
def faults_nodes(opensearch_cluster: Cluster) -> Iterator[str]:
    """3,000 synthetic articles behind ``faults`` (3 shards, 1 replica each), green."""
    from indexer.opensearch.writer import OpenSearchWriter

    nodes = cluster_urls(opensearch_cluster)
    writer = OpenSearchWriter(nodes, ALIAS, shards=3, replicas=1)
    try:
        writer.rebuild(SyntheticCorpus().articles(BASE_ARTICLES))
    finally:
        writer.close()
    health = opensearch_cluster.client().cluster.health(
        index=f"{ALIAS}-*", wait_for_status="green", params={"timeout": "120s"}, request_timeout=150
    )
    assert health["status"] == "green", health
    yield nodes


def _retry(action: Callable[[], object], progress: Progress, what: str) -> object:
    """``action``, tried again (up to 5 times) when the cluster did not answer."""
    for attempt in range(6):
        try:
            return action()
        except Exception as error:
            if attempt == 5:
                progress.unfixed.append(f"{what}: {error!r}")
                return None
            progress.bump("retried")
    return None


def _searcher(nodes: str, expected: dict[str, int], progress: Progress, stop: threading.Event):
    from search.opensearch.backend import OpenSearchSearchService

    service = OpenSearchSearchService(nodes, ALIAS, timeout=20.0)
    try:
        n = 0
        while not stop.is_set():
            word = WORDS[n % len(WORDS)]
            n += 1
            request = SearchRequest(q=word, collapse=False)
            response = _retry(partial(service.search, request), progress, f"search {word}")
            if response is not None:
                if not response.total_exact:  # type: ignore[attr-defined]
                    progress.bump("partial")
                elif response.total != expected[word]:  # type: ignore[attr-defined]
                    progress.silent.append(f"{word}: {response.total} of {expected[word]}")  # type: ignore[attr-defined]
            progress.bump("searches")
    finally:
        service.close()


def _updater(nodes: str, progress: Progress, stop: threading.Event) -> None:
    from indexer.opensearch.schema import make_client
    from indexer.opensearch.writer import upsert_articles

    client = make_client(nodes, timeout=20.0)
    try:
        n = 0
        while not stop.is_set():
            batch = [_written(n + i) for i in range(10)]
            n += 10
            done = _retry(partial(upsert_articles, client, ALIAS, batch), progress, "upsert")
            if done is not None:
                progress.written += [article.id for article in batch]
            progress.bump("batches")
    finally:
        client.close()


def _shard_rows(cluster: Cluster, index: str) -> list[dict]:
    client = cluster.client()
    client.indices.refresh(index=index)
    return client.cat.shards(index=index, format="json")


def _start_again(cluster: Cluster, victim: str) -> None:
    """Start the stopped node; return once the cluster is green with all 3 nodes."""
    cluster.command("start-node", victim)
    health = cluster.client().cluster.health(
        wait_for_nodes="3",
        wait_for_status="green",
        params={"timeout": "300s"},
        request_timeout=330,
    )
    assert health["status"] == "green", health


def test_a_node_stopped_while_searching_and_updating(
    opensearch_cluster: Cluster, faults_nodes: str, record_property
) -> None:
    from search.opensearch.backend import OpenSearchSearchService

    cluster = opensearch_cluster
    service = OpenSearchSearchService(faults_nodes, ALIAS)
    expected = {word: service.search(SearchRequest(q=word, collapse=False)).total for word in WORDS}
    assert all(expected.values()), expected
    manager = cluster.client().cat.cluster_manager(format="json")[0]["node"]
    victim = next(name for name in ("node-3", "node-2") if name != manager)
    progress, stop = Progress(), threading.Event()
    workers = [
        threading.Thread(target=_searcher, args=(faults_nodes, expected, progress, stop)),
        threading.Thread(target=_updater, args=(faults_nodes, progress, stop)),
    ]
    for worker in workers:
        worker.start()
    timings: dict[str, float] = {}
    try:
        progress.wait(STEPS, 3)
        started = time.monotonic()
        cluster.command("stop-node", victim)
        timings["stop_s"] = time.monotonic() - started
        seen = (progress.searches, progress.batches)
        progress.wait(seen[0] + STEPS, seen[1] + 3)
        timings["served_while_down_s"] = time.monotonic() - started
        started = time.monotonic()
        _start_again(cluster, victim)
        timings["rejoin_to_green_s"] = time.monotonic() - started
        seen = (progress.searches, progress.batches)
        progress.wait(seen[0] + STEPS, seen[1] + 3)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=120)
    assert progress.unfixed == []
    assert progress.silent == []  # short answers always said so
    # No article lost: the base and every batch written, each on every copy of its shard.
    assert service.doc_count() == BASE_ARTICLES + len(progress.written)
    stored = service.search(SearchRequest(q="zzoutage", per_page=1, collapse=False))
    assert stored.total == len(progress.written) and stored.total_exact
    rows = _shard_rows(cluster, f"{ALIAS}-*")
    copies: dict[tuple[str, str], set[int]] = {}
    for row in rows:
        assert row["state"] == "STARTED", row
        copies.setdefault((row["index"], row["shard"]), set()).add(int(row["docs"]))
    assert all(len(counts) == 1 for counts in copies.values()), rows
    assert any(row["node"] == victim for row in rows)  # it holds copies again
    service.close()
    timings.update(
        searches=progress.searches,
        batches=progress.batches,
        retried=progress.retried,
        partial=progress.partial,
    )
    for key, value in timings.items():
        record_property(key, round(value, 1))
    print(f"\nnode stop while searching and updating: {timings}")


def test_a_shard_without_copy_is_reported(opensearch_cluster: Cluster, record_property) -> None:
    """No replica: while a node is down its shards' articles are missing from answers,
    and every answer says so; when it is back the answers are whole again."""
    from indexer.opensearch.writer import OpenSearchWriter

    cluster, alias = opensearch_cluster, "faults-bare"
    nodes = cluster_urls(cluster)
    writer = OpenSearchWriter(nodes, alias, shards=3, replicas=0)
    try:
        writer.rebuild(SyntheticCorpus(seed=7).articles(600))
        writer.close()
        _lose_a_shard(cluster, nodes, alias, record_property)
    finally:
        # No shard without a copy stays behind: the other tests stop nodes too.
        cluster.client().indices.delete(index=f"{alias}-g*")


def _lose_a_shard(cluster: Cluster, nodes: str, alias: str, record_property) -> None:
    from search.opensearch.backend import OpenSearchSearchService
    from search.opensearch.mapping import PARTIAL_NOTICE

    service = OpenSearchSearchService(nodes, alias, timeout=20.0)
    whole = service.search(SearchRequest(q="said", collapse=False))
    assert whole.total_exact and whole.total > 0
    manager = cluster.client().cat.cluster_manager(format="json")[0]["node"]
    holders = {row["node"] for row in _shard_rows(cluster, f"{alias}-*")}
    victim = next(name for name in sorted(holders, reverse=True) if name != manager)
    cluster.command("stop-node", victim)
    try:
        short = service.search(SearchRequest(q="said", collapse=False))
        assert short.total < whole.total
        assert short.total_exact is False and PARTIAL_NOTICE in short.notices
        assert service.health()["status"] == "degraded"
        record_property("total_while_down", short.total)
    finally:
        _start_again(cluster, victim)
    again = service.search(SearchRequest(q="said", collapse=False))
    assert (again.total, again.total_exact) == (whole.total, True)
    service.close()


def test_index_unavailable_is_not_a_partial_answer(faults_nodes: str) -> None:
    from search.opensearch.backend import OpenSearchSearchService

    service = OpenSearchSearchService(faults_nodes, "no-such-alias")
    with pytest.raises(IndexUnavailable):
        service.search(SearchRequest(q="said"))
    service.close()
