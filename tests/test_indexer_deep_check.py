"""``indexer check --deep`` reads every posting block (issue 21, item 19): damaged
postings that a search would trip over make the index unhealthy, named."""

from __future__ import annotations

from pathlib import Path

import pytest
from indexer_helpers import (
    WORDS,
    article_line,
    corrupt_postings,
    run_indexer,
    synthetic_corpus,
)

from indexer.generations import current_generation
from search import SearchRequest, SearchService


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    source, index = tmp_path / "src", tmp_path / "ix"
    synthetic_corpus(source, 4, 150)
    done = run_indexer("build", str(source), "--index", str(index), "--workers", "1")
    assert done.returncode == 0, done.stderr
    return index


def failing_searches(index: Path) -> list[str]:
    service = SearchService(index)
    failed = []
    try:
        for word in WORDS:
            try:
                service.search(SearchRequest(q=word))
            except Exception as error:  # what a reader meets
                failed.append(f"{word}: {type(error).__name__}")
    finally:
        service.close()
    return failed


def test_deep_check_finds_corrupt_postings(index: Path) -> None:
    corrupt_postings(current_generation(index))
    assert failing_searches(index), "the damage must be real: some search trips over it"
    routine = run_indexer("check", "--index", str(index))
    assert routine.returncode == 0, routine.stdout  # stored documents are intact
    assert "check --deep" in routine.stdout  # and it says what it did not read
    deep = run_indexer("check", "--deep", "--index", str(index))
    assert deep.returncode == 1, deep.stdout
    assert "UNHEALTHY" in deep.stdout
    assert "problem: segment " in deep.stdout and "postings of body:" in deep.stdout


def test_deep_check_passes_a_sound_index_of_several_segments(index: Path) -> None:
    source = index.parent / "src"
    first = sorted(source.iterdir())[0]
    lines = first.read_text().splitlines(keepends=True)
    first.write_text("".join(lines[:100]) + article_line("late-1", "Late", "Late words."))
    update = run_indexer("update", "--index", str(index), "--workers", "2")
    assert update.returncode == 0, update.stderr
    deep = run_indexer("check", "--deep", "--index", str(index))
    assert deep.returncode == 0, deep.stdout
    assert "healthy" in deep.stdout and "postings in" in deep.stdout
