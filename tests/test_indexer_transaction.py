"""The one write transaction of build, update and optimize (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from corpus import Article
from indexer import build_index
from indexer.generations import current_generation, writer_lock
from indexer.progress import Progress
from indexer.whoosh.build import NothingIndexed
from indexer.whoosh.pipeline import IndexFeeder
from indexer.whoosh.schema import article_to_document, build_schema
from indexer.whoosh.transaction import IndexVerificationError, write_transaction

ARTICLES = [Article(id=f"a{n}", title=f"Title {n}", body=f"Body number {n}.") for n in range(5)]


def folders(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if p.is_dir()}


def test_no_build_publishes_an_empty_index(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    with pytest.raises(NothingIndexed):
        build_index([], index_dir)
    assert current_generation(index_dir) is None
    assert folders(index_dir) == set()
    build_index(ARTICLES, index_dir)
    served = current_generation(index_dir)
    with pytest.raises(NothingIndexed):
        build_index([], index_dir)
    assert current_generation(index_dir) == served  # the served index stays


def test_a_failed_verification_serves_nothing_new_and_leaves_no_folder(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(ARTICLES, index_dir)
    served = current_generation(index_dir)
    with writer_lock(index_dir), pytest.raises(IndexVerificationError):
        with write_transaction(index_dir) as transaction:
            for article in ARTICLES[:2]:
                transaction.feeder.add(article_to_document(article))
            transaction.commit()
            transaction.publish(3, Progress(quiet=True), command="test")  # 2 were written
    assert current_generation(index_dir) == served
    assert folders(index_dir) == {served.name}


def test_a_transaction_left_without_publishing_is_rolled_back(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(ARTICLES, index_dir)
    served = current_generation(index_dir)
    with writer_lock(index_dir), pytest.raises(RuntimeError, match="without publishing"):
        with write_transaction(index_dir, base=served) as transaction:
            transaction.feeder.delete_ids(["a0"])
    with writer_lock(index_dir), pytest.raises(KeyError):
        with write_transaction(index_dir) as transaction:  # an error before the commit
            transaction.feeder.add(article_to_document(ARTICLES[0]))
            raise KeyError("boom")
    assert current_generation(index_dir) == served
    assert folders(index_dir) == {served.name}


def test_a_published_transaction_is_served_with_its_build_info(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    with writer_lock(index_dir):
        with write_transaction(index_dir) as transaction:
            for article in ARTICLES:
                transaction.feeder.add(article_to_document(article))
            transaction.commit()
            transaction.publish(5, Progress(quiet=True), command="test", sources=["x"])
    served = current_generation(index_dir)
    assert served == transaction.generation
    from indexer.whoosh.transaction import read_info

    info = read_info(served)
    assert info["articles"] == 5 and info["command"] == "test" and info["sources"] == ["x"]
    assert (served / "spelling.bin").is_file()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_build_hands_over_its_word_counts_once_and_complete(tmp_path: Path, workers: int) -> None:
    generation = tmp_path / "gen"
    generation.mkdir()
    index = whoosh_index.create_in(str(generation), build_schema())
    feeder = IndexFeeder(index, str(generation), workers=workers, count_words=True)
    for article in ARTICLES:
        feeder.add(article_to_document(article))
    handed: list[tuple[int, list[str]]] = []
    feeder.commit(on_counted=lambda counter: handed.append((counter.tokens, counter.cased_words)))
    index.close()
    # "Title n" and "Body number n." five times: three words a time ("n" is no word)
    assert [(tokens, sorted(words)) for tokens, words in handed] == [
        (15, ["Body", "Title", "number"])
    ]
