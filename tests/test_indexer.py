"""Indexer: builds, atomic generations, the single-writer lock and the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from corpus import Article, ReadReport, read_paths
from indexer import IndexBusy, build_index, current_generation
from indexer.generations import writer_lock
from support import ARTICLES, REPO, SEED, build_from, shared_path


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "indexer", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def stored_ids(index_dir: Path) -> set[str]:
    ix = whoosh_index.open_dir(str(current_generation(index_dir)))
    with ix.searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


def test_build_indexes_every_article_and_serves_it(tmp_path: Path) -> None:
    index_dir = build_from([ARTICLES], tmp_path / "ix")
    generation = current_generation(index_dir)
    assert generation is not None and generation.parent == index_dir
    assert len(stored_ids(index_dir)) == 12
    assert (generation / "broadsheet.json").is_file()


def test_rebuild_swaps_generation_and_keeps_only_the_previous_one(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    first = current_generation(build_from([ARTICLES], index_dir))
    second = current_generation(build_from([ARTICLES], index_dir))
    third = current_generation(build_from([ARTICLES], index_dir))
    assert len({first, second, third}) == 3
    generations = sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))
    assert generations == sorted([second.name, third.name])


def test_failed_build_leaves_the_served_index_untouched(tmp_path: Path) -> None:
    index_dir = build_from([ARTICLES], tmp_path / "ix")
    served = current_generation(index_dir)

    def exploding() -> object:
        yield Article(id="a", title="A", body="first")
        raise RuntimeError("reader crashed")

    with pytest.raises(RuntimeError):
        build_index(exploding(), index_dir)
    assert current_generation(index_dir) == served
    assert [p for p in index_dir.iterdir() if p.name.startswith("gen-")] == [served]
    assert len(stored_ids(index_dir)) == 12


def test_second_writer_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    with writer_lock(index_dir):
        with pytest.raises(IndexBusy, match=r"pid \d+"):
            build_index(iter(()), index_dir)


def test_seed_article_is_indexed_and_found(tmp_path: Path) -> None:
    seed = shared_path("seeds", SEED.name)
    from search import SearchRequest, SearchService

    index_dir = build_from([seed], tmp_path / "ix")
    service = SearchService(index_dir)
    response = service.search(SearchRequest(q="Kerry methane"))
    service.close()
    assert response.total == 1
    hit = response.hits[0]
    assert hit.views == 4946
    assert hit.date.isoformat() == "2023-07-12T03:58:00+00:00"
    assert "kerry" in hit.tags and "climate" in hit.tags
    assert "<mark>methane</mark>" in hit.snippet


def test_cli_build_reports_bad_files_and_exits_3(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(
        "Harbour reopens after storm\nViews: 12\n2024-02-01 10:00\n"
        "The harbour reopened on Thursday.\n\nThe harbour reopened on Thursday.\n\n"
        "Fishing boats returned at dawn.\n\nTags harbour storm\n",
        encoding="utf-8",
    )
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (folder / "empty.txt").write_bytes(b"")
    result = run_cli("build", str(folder), "--index", str(tmp_path / "ix"))
    assert result.returncode == 3, result.stderr
    assert "indexed 1 articles" in result.stderr
    assert "binary.txt: binary file" in result.stderr
    assert "empty.txt: empty file" in result.stderr
    assert stored_ids(tmp_path / "ix") and len(stored_ids(tmp_path / "ix")) == 1


def test_cli_build_with_nothing_readable_exits_1(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    result = run_cli("build", str(tmp_path / "empty.txt"), "--index", str(tmp_path / "ix"))
    assert result.returncode == 1
    assert "no readable article" in result.stderr


def test_cli_index_defaults_to_environment(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "BROADSHEET_INDEX_DIR": str(tmp_path / "from-env")}
    result = run_cli("build", str(ARTICLES), env=env)
    assert result.returncode == 0, result.stderr
    assert current_generation(tmp_path / "from-env") is not None


def test_reading_report_counts_duplicates(tmp_path: Path) -> None:
    twin = tmp_path / "twin.jsonl"
    twin.write_text(ARTICLES.read_text(encoding="utf-8").replace('"id": "t-', '"id": "copy-'))
    report = ReadReport()
    articles = list(read_paths([ARTICLES, twin], report))
    # A copy under another id is the same article only when it has the same url; the
    # one record without a url is kept under both ids (grouped at search time).
    without_url = [a for a in articles if a.id.startswith("t-") and not a.url]
    assert len(without_url) == 1
    assert len(articles) == 12 + len(without_url)
    assert report.duplicates == 12 - len(without_url)


def test_read_passes_open_the_index_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whoosh's plain open_dir copies every segment sub-file it opens into the heap (4.7 GB
    # at 1,000,000 articles for the spelling pass); building, verifying, the spelling
    # model, stats and checks read through the mapped storage instead.
    from indexer.whoosh.health import check_index, index_stats

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("an index opened by copying its files")

    monkeypatch.setattr(whoosh_index, "open_dir", refused)
    build_from([ARTICLES], tmp_path / "ix")
    articles = index_stats(tmp_path / "ix")["articles"]
    result = check_index(tmp_path / "ix", deep=True)
    assert articles > 0 and result.articles == articles and not result.problems
