"""Shared fixtures: a small on-disk index built once per session, the app and its clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from opensearch_servers import Cluster, cluster_urls, running_cluster
from selenium.webdriver.remote.webdriver import WebDriver
from typesense_servers import API_KEY, require_binary, typesense_node

from browser_helpers import headless_chromium
from corpus import ReadReport, read_paths
from search import SearchService
from support import ARTICLES, build_from

#: Where the 12 test articles are served on Typesense and on OpenSearch.
TYPESENSE_ALIAS = "broadsheet"
OPENSEARCH_ALIAS = "contract"


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Index of tests/data/articles.jsonl (12 hand-written articles)."""
    return build_from([ARTICLES], tmp_path_factory.mktemp("small") / "index")


@pytest.fixture()
def service(small_index: Path) -> Iterator[SearchService]:
    """A search service over the small index."""
    svc = SearchService(small_index)
    yield svc
    svc.close()


@pytest.fixture()
def app(small_index: Path) -> Flask:
    """The Flask app over the small index."""
    from webui import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(small_index)})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """Flask test client."""
    return app.test_client()


@pytest.fixture(autouse=True)
def _no_index_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's BROADSHEET_* settings."""
    for name in list(os.environ):
        if name.startswith("BROADSHEET_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """A headless Chromium (one per test module); skipped where it is not installed."""
    with headless_chromium() as driver:
        yield driver


@pytest.fixture(scope="session")
def opensearch_cluster() -> Iterator[Cluster]:
    """A real 3-node OpenSearch cluster on 127.0.0.1 (tests/opensearch_servers.py), started
    once for the session by the first test that asks for it and stopped at the end."""
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def typesense_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Typesense node on loopback with the 12 test articles behind the alias."""
    binary = require_binary()
    from indexer.typesense.schema import make_client
    from indexer.typesense.writer import rebuild

    with typesense_node(binary, tmp_path_factory.mktemp("typesense")) as node:
        client = make_client(node.address, API_KEY)
        try:
            rebuild(client, read_paths([ARTICLES], ReadReport()), alias=TYPESENSE_ALIAS)
        finally:
            client.close()
        yield node.address


@pytest.fixture()
def ts_service(typesense_address: str) -> Iterator[object]:
    from search.typesense.backend import TypesenseSearchService

    service = TypesenseSearchService(typesense_address, API_KEY, TYPESENSE_ALIAS)
    yield service
    service.close()


@pytest.fixture(scope="session")
def opensearch_nodes(opensearch_cluster: Cluster) -> str:
    """The session's OpenSearch cluster with the 12 test articles behind `OPENSEARCH_ALIAS`,
    written by the OpenSearch writer (two shards, one replica: searches cross shards)."""
    from indexer.opensearch.writer import OpenSearchWriter

    nodes = cluster_urls(opensearch_cluster)
    writer = OpenSearchWriter(nodes, OPENSEARCH_ALIAS, shards=2, replicas=1)
    try:
        writer.rebuild(read_paths([ARTICLES], ReadReport()))
    finally:
        writer.close()
    return nodes


@pytest.fixture()
def os_service(opensearch_nodes: str) -> Iterator[object]:
    from search.opensearch.backend import OpenSearchSearchService

    service = OpenSearchSearchService(opensearch_nodes, OPENSEARCH_ALIAS)
    yield service
    service.close()
