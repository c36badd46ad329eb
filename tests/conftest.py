"""Shared fixtures: a small on-disk index built once per session, the app and its clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from opensearch_servers import Cluster, running_cluster
from selenium.webdriver.remote.webdriver import WebDriver

from browser_helpers import headless_chromium
from search import SearchService
from support import ARTICLES, build_from


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
