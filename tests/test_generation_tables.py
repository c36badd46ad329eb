"""Per-document tables the indexer writes with each generation and workers map (issue 19:
cold start)."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from corpus import Article, ReadReport
from indexer import build_from_paths, build_index, current_generation, update_from_paths
from indexer.array_file import read_arrays, write_arrays
from indexer.whoosh.schema import TABLE_FIELDS
from indexer.whoosh.storage import open_mapped_index
from indexer.whoosh.tables import TABLES_MAGIC, TABLES_NAME, compute_tables, read_tables
from search.facet_specs import FACETS
from search.models import SearchRequest
from search.whoosh.engine import SearchService

WIRE = "Port workers in Rotterdam walked out on Monday over pay, halting the container terminal."


def archive() -> list[Article]:
    """Tagged, dated articles with near-duplicate pairs (the same wire story twice)."""
    articles = []
    for n in range(12):
        body = f"{WIRE} Story {n % 4} follows with its own reporting about berth {n % 4}."
        if n % 3 == 0:
            body = f"Budget talks number {n} stalled again in parliament over the deficit."
        articles.append(
            Article(
                id=f"a{n}",
                title=f"Story {n}",
                body=body * 3,
                date=datetime(2020 + n % 3, 1 + n % 12, 5, tzinfo=UTC),
                tags=("port", f"t{n % 2}") if n % 2 else ("budget",),
                source=f"source {n % 3}",
            )
        )
    return articles


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.name.startswith("tables")
    }


def stored_and_computed(generation: Path):  # type: ignore[no-untyped-def]
    ix = open_mapped_index(generation)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        stored = read_tables(generation, reader)
        computed = compute_tables(reader)
    ix.close()
    return stored, computed


def assert_same(stored, computed) -> None:  # type: ignore[no-untyped-def]
    assert stored is not None
    assert np.array_equal(stored.stamps, computed.stamps)
    assert np.array_equal(stored.groups, computed.groups)
    assert stored.views_known == computed.views_known
    for field in TABLE_FIELDS:
        assert stored.keywords[field].names == computed.keywords[field].names
        assert np.array_equal(stored.keywords[field].offsets, computed.keywords[field].offsets)
        assert np.array_equal(stored.keywords[field].ids, computed.keywords[field].ids)


def test_every_facet_field_has_a_table() -> None:
    assert {f.index_field for f in FACETS if f.index_field != "date"} == set(TABLE_FIELDS)


def test_a_build_writes_the_tables_a_worker_would_compute(tmp_path: Path) -> None:
    build_index(archive(), tmp_path / "ix")
    generation = current_generation(tmp_path / "ix")
    assert generation is not None and (generation / TABLES_NAME).is_file()
    stored, computed = stored_and_computed(generation)
    assert_same(stored, computed)
    assert (computed.groups >= 0).sum() >= 2  # the archive has near-duplicates to group


def test_an_update_rewrites_the_tables_without_touching_its_base(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for article in archive():
        record = {"id": article.id, "title": article.title, "body": article.body}
        record |= {"date": article.date.isoformat() if article.date else None}
        record |= {"tags": list(article.tags), "source": article.source}
        (folder / f"{article.id}.json").write_text(json.dumps(record), "utf-8")
    index_dir = tmp_path / "ix"
    build_from_paths([str(folder)], index_dir, ReadReport())
    base = current_generation(index_dir)
    assert base is not None
    before = digests(base)
    (folder / "a1.json").unlink()  # a deletion and a new article
    new = {"id": "b1", "title": "Dockers", "body": WIRE * 3, "tags": ["strike"], "source": "x"}
    (folder / "b1.json").write_text(json.dumps(new), "utf-8")
    update_from_paths([str(folder)], index_dir, ReadReport(), max_delete=None)
    updated = current_generation(index_dir)
    assert updated is not None and updated != base
    stored, computed = stored_and_computed(updated)
    assert_same(stored, computed)
    assert "strike" in stored.keywords["tag_exact"].names
    assert digests(base) == before  # hard-linked files were replaced, not written through


def test_tables_of_another_state_or_damaged_are_ignored(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(archive(), index_dir)
    generation = current_generation(index_dir)
    assert generation is not None
    request = SearchRequest(q="port workers", per_page=20)
    service = SearchService(index_dir)
    expected = service.search(request).to_json_dict()
    service.close()
    path = generation / TABLES_NAME
    arrays, meta = read_arrays(path, TABLES_MAGIC)
    arrays = {name: np.array(array) for name, array in arrays.items()}
    meta["fingerprint"][0][2] -= 1  # as if a document had been deleted since
    write_arrays(path, arrays, meta, TABLES_MAGIC)
    assert stored_and_computed(generation)[0] is None
    meta["fingerprint"][0][2] += 1
    write_arrays(path, arrays, meta, TABLES_MAGIC)
    assert stored_and_computed(generation)[0] is not None
    path.write_bytes(path.read_bytes()[:-40])  # truncated
    assert stored_and_computed(generation)[0] is None
    service = SearchService(index_dir)
    found = service.search(request).to_json_dict()
    service.close()
    for answer in (expected, found):
        answer.pop("took_ms", None)
    assert found == expected  # the worker computed the tables itself: the same answer


def test_a_generations_tables_hold_no_file_descriptor(tmp_path: Path) -> None:
    """A served generation's files stay few: the tables are one file, read whole."""
    build_index(archive(), tmp_path / "ix")
    generation = current_generation(tmp_path / "ix")
    assert generation is not None
    assert [p.name for p in generation.iterdir() if p.name.startswith("tables")] == [TABLES_NAME]
    ix = open_mapped_index(generation)
    with ix.searcher() as searcher:
        opened = len(os.listdir("/proc/self/fd"))
        stored = read_tables(generation, searcher.reader())
        assert stored is not None
        assert len(os.listdir("/proc/self/fd")) == opened
    ix.close()
