"""The served index under a worker's feet (issue 21, items 18 and 19).

A worker whose generation folder is removed (it slept through two quick updates, or
the index was deleted) moves on to the current generation by itself, for searches
and health alike, or answers 503 in the JSON shape while there is none: never a 500.
Damaged postings are a 503 naming the generation, logged, never a 500.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from indexer_helpers import WORDS, synthetic_corpus
from reliability_helpers import Answer, api_error_problem
from werkzeug.test import TestResponse
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

from corpus import ReadReport
from indexer.generations import current_generation
from indexer.whoosh.build import build_from_paths
from search import IndexDamaged, SearchRequest, SearchService
from support import ARTICLES, build_from, metric
from webui import create_app


def shaped(response: TestResponse) -> Answer:
    """A Flask test response as the reliability helpers' `Answer`."""
    return Answer(response.status_code, {"content-type": response.content_type}, response.data)


def extra_article(tmp_path: Path, word: str) -> Path:
    """A JSONL file with one article about ``word``."""
    path = tmp_path / f"{word}.jsonl"
    path.write_text(
        f'{{"id": "{word}", "title": "A {word} story", "body": "All about the {word}."}}\n',
        encoding="utf-8",
    )
    return path


def test_a_worker_left_on_a_removed_generation_moves_on(tmp_path: Path) -> None:
    index_dir = build_from([ARTICLES], tmp_path / "ix")
    first = current_generation(index_dir)
    # A worker that does not look at CURRENT again for an hour by itself.
    service = SearchService(index_dir, refresh_seconds=3600)
    try:
        assert service.index_info().generation == first.name
        assert service.search(SearchRequest(q="zeppelin")).total == 0
        build_from([ARTICLES, extra_article(tmp_path, "zeppelin")], index_dir)
        build_from([ARTICLES, extra_article(tmp_path, "zeppelin")], index_dir)
        assert not first.exists()  # only CURRENT and PREVIOUS are kept
        newest = current_generation(index_dir)
        assert service.search(SearchRequest(q="zeppelin")).total == 1
        assert service.index_info().generation == newest.name
        assert service.get_article("zeppelin") is not None
    finally:
        service.close()


def test_a_removed_index_is_a_503_everywhere_until_it_is_back(tmp_path: Path) -> None:
    index_dir = build_from([ARTICLES], tmp_path / "ix")
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/search?q=election").get_json()["total"] == 2
    shutil.rmtree(index_dir)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "unavailable"
    assert health.get_json()["error"]["code"] == "index_unavailable"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metric(metrics.get_data(as_text=True), "broadsheet_index_up") == 0
    for path in ("/api/search?q=election", "/api/articles/t-budget-title", "/api/suggest?q=el"):
        answer = client.get(path)
        assert answer.status_code == 503 and api_error_problem(shaped(answer)) is None, path
    assert client.get("/?q=election").status_code == 503
    build_from([ARTICLES], index_dir)
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/search?q=election").get_json()["total"] == 2


def corrupt_postings(generation: Path, share: float = 0.3) -> int:
    """Write ``\\xde\\xad\\xbe\\xef`` every 997 bytes over the first ``share`` of the
    posting lists (the ``.pst`` part of each segment file) of ``generation``: the
    ``body`` postings, written first, while the facet fields' postings, read when the
    index is opened, stay intact. Returns how many places were overwritten."""
    places = 0
    for segment in sorted(generation.glob("*.seg")):
        with FileStorage(str(generation)).open_file(segment.name) as handle:
            compound = CompoundStorage(handle, use_mmap=False)
            parts = {name: compound.range(name) for name in compound._dir}
        data = bytearray(segment.read_bytes())
        for name, (offset, length) in parts.items():
            if name.endswith(".pst"):
                for at in range(offset + 64, offset + int(length * share), 997):
                    data[at : at + 4] = b"\xde\xad\xbe\xef"
                    places += 1
        segment.write_bytes(bytes(data))
    return places


@pytest.fixture(scope="module")
def damaged_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,000 synthetic articles (long posting lists) whose postings are overwritten."""
    folder = tmp_path_factory.mktemp("damaged")
    synthetic_corpus(folder / "src", 2, 500)
    build_from_paths([str(folder / "src")], folder / "ix", ReadReport())
    assert corrupt_postings(current_generation(folder / "ix")) > 50
    return folder / "ix"


def test_damaged_postings_are_a_503_naming_the_generation(
    damaged_index: Path, caplog: pytest.LogCaptureFixture
) -> None:
    generation = current_generation(damaged_index).name
    client = create_app({"TESTING": True, "INDEX_DIR": str(damaged_index)}).test_client()
    statuses = set()
    with caplog.at_level(logging.ERROR):
        for word in WORDS:
            for path in (f"/api/search?q={word}", f"/api/search?q={word}&sort=newest"):
                answer = client.get(path)
                statuses.add(answer.status_code)
                assert answer.status_code in (200, 503), path
                if answer.status_code == 503:
                    error = answer.get_json()["error"]
                    assert api_error_problem(shaped(answer)) is None
                    assert error["code"] == "index_damaged" and generation in error["message"]
        assert client.get("/?q=harbour+council+election").status_code in (200, 503)
    assert 503 in statuses, "the damage was never read: the test proves nothing"
    assert any(generation in record.getMessage() for record in caplog.records)


def test_damage_found_at_search_time_raises_index_damaged(damaged_index: Path) -> None:
    service = SearchService(damaged_index)
    try:
        with pytest.raises(IndexDamaged):
            for word in WORDS:
                service.search(SearchRequest(q=word))
    finally:
        service.close()
