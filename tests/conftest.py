"""Shared fixtures: a small on-disk index built once per session, the app and its clients."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus import ReadReport, read_paths
from indexer import build_index
from search import SearchService

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
DATA = TESTS / "data"
SHARED = REPO.parent / "shared"
ARTICLES = DATA / "articles.jsonl"
SEED = SHARED / "seeds" / "000_04c64ecf05235352.txt"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when that data is not beside the repo."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def build_from(paths: list[Path], index_dir: Path) -> Path:
    """Read ``paths`` and build an index at ``index_dir``; return ``index_dir``."""
    report = ReadReport()
    build_index(read_paths(paths, report), index_dir)
    return index_dir


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
def app(small_index: Path):  # noqa: ANN201
    """The Flask app over the small index."""
    from webui import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(small_index)})


@pytest.fixture()
def client(app):  # noqa: ANN001, ANN201
    """Flask test client."""
    return app.test_client()


@pytest.fixture(autouse=True)
def _no_index_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's BROADSHEET_* settings."""
    for name in list(os.environ):
        if name.startswith("BROADSHEET_"):
            monkeypatch.delenv(name)


def copy_articles(target: Path) -> Path:
    """Copy the test articles into ``target`` (a folder) and return the copy's path."""
    target.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(ARTICLES, target / ARTICLES.name))
