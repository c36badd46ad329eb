"""The OpenSearch writer on a real 3-node cluster (conftest's ``opensearch_cluster``):
rebuilds into one index per year behind an alias, the alias swap, failed rebuilds,
upserts and deletes by id, near-duplicate stories, the config switch and the CLI.

Each test writes behind its own alias (``w-<test name>``) and deletes its indices and
index template at the end."""

from __future__ import annotations

import dataclasses
import random
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from opensearch_servers import Cluster, cluster_urls

from corpus import Article, ReadReport, read_paths
from indexer.backends import IndexWriter, writer_from_config
from indexer.cli import cli
from indexer.errors import IndexerError
from indexer.near_duplicates import (
    article_sketch,
    band_keys,
    group_sketches,
    sketch_keys,
    sketch_rows,
    stories_among,
)
from indexer.opensearch import writer
from indexer.opensearch.schema import (
    article_year,
    document_to_article,
    index_name,
    index_pattern,
    make_client,
)
from indexer.opensearch.writer import (
    OpenSearchRefused,
    OpenSearchWriteError,
    OpenSearchWriter,
    delete_articles,
    rebuild,
    served_build,
    upsert_articles,
)
from support import ARTICLES, REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def writes(opensearch_cluster: Cluster) -> Iterator[Any]:
    """A client over every node, as the writer makes it."""
    client = make_client(cluster_urls(opensearch_cluster), timeout=60.0)
    yield client
    client.close()


@pytest.fixture()
def alias(request: pytest.FixtureRequest, writes: Any) -> Iterator[str]:
    """``w-<test name>``; its indices and template are deleted after the test."""
    name = "w-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    yield name
    names = sorted(writes.indices.get(index=index_pattern(name), allow_no_indices=True))
    if names:
        writes.indices.delete(index=",".join(names))
    if writes.indices.exists_index_template(name=name):
        writes.indices.delete_index_template(name=name)


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    """The 12 test articles, one of them dated to the microsecond."""
    read = list(read_paths([ARTICLES], ReadReport()))
    assert len(read) == 12
    read[0] = dataclasses.replace(read[0], date=datetime(2023, 1, 10, 9, 0, 1, 123456, UTC))
    return read


def count(client: Any, alias: str) -> int:
    return int(client.count(index=alias)["count"])


def stored(client: Any, alias: str) -> dict[str, dict[str, Any]]:
    """Every document behind ``alias``: id -> its source, plus ``_index``."""
    hits = client.search(index=alias, body={"size": 1000, "query": {"match_all": {}}})
    return {hit["_id"]: {**hit["_source"], "_index": hit["_index"]} for hit in hits["hits"]["hits"]}


def all_indices(client: Any, alias: str) -> set[str]:
    return set(client.indices.get(index=index_pattern(alias), allow_no_indices=True))


def served(client: Any, alias: str) -> set[str]:
    return set(client.indices.get_alias(name=alias))


# -- rebuilds ----------------------------------------------------------------------


def test_rebuild_serves_one_index_per_year_behind_the_alias(
    writes: Any, alias: str, articles: list[Article]
) -> None:
    result = rebuild(writes, iter(articles), alias=alias)
    years = {article_year(article) for article in articles}
    assert None in years and len(years) >= 3
    expected = {index_name(alias, result.build, year) for year in years}
    assert re.fullmatch(r"\d{8}t\d{12}", result.build)
    assert set(result.indices) == expected == served(writes, alias) == all_indices(writes, alias)
    assert result.articles == count(writes, alias) == len(articles)
    documents = stored(writes, alias)
    for article in articles:
        document = documents[article.id]
        assert document_to_article(document) == article
        assert document["_index"] == index_name(alias, result.build, article_year(article))
        assert document["story"] == article.id  # no near-duplicates among them
    assert document_to_article(documents[articles[0].id]).date == articles[0].date
    settings = writes.indices.get_settings(index=alias, name="index.refresh_interval")
    assert {s["settings"]["index"]["refresh_interval"] for s in settings.values()} == {"1s"}


def test_a_second_rebuild_swaps_the_alias_and_deletes_the_old_build(
    writes: Any, alias: str, articles: list[Article]
) -> None:
    first = rebuild(writes, articles[:5], alias=alias)
    assert count(writes, alias) == 5
    seen_during: list[int] = []
    second = rebuild(
        writes,
        articles,
        alias=alias,
        batch_size=3,
        on_progress=lambda _: seen_during.append(count(writes, alias)),
    )
    assert len(seen_during) >= 4 and set(seen_during) == {5}  # the old build, whole
    assert count(writes, alias) == 12 and second.articles == 12
    assert second.build > first.build
    assert set(second.dropped) == set(first.indices)
    assert served(writes, alias) == all_indices(writes, alias) == set(second.indices)
    assert not any(writes.indices.exists(index=name) for name in first.indices)


def test_a_failing_rebuild_leaves_the_old_build_served(
    writes: Any, alias: str, articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = rebuild(writes, articles, alias=alias)
    bad = articles[7].id
    original = writer.article_to_document

    def refused_once(article: Article, story: str | None = None) -> dict[str, Any]:
        document = original(article, story)
        return {**document, "not_in_the_mapping": 1} if article.id == bad else document

    monkeypatch.setattr(writer, "article_to_document", refused_once)
    changed = [dataclasses.replace(article, title="second build") for article in articles]
    with pytest.raises(OpenSearchRefused) as caught:
        rebuild(writes, changed, alias=alias, batch_size=4)
    assert isinstance(caught.value, IndexerError)
    assert bad in str(caught.value) and "strict_dynamic_mapping_exception" in str(caught.value)
    assert served(writes, alias) == all_indices(writes, alias) == set(first.indices)
    assert count(writes, alias) == 12
    assert {d["title"] for d in stored(writes, alias).values()} == {a.title for a in articles}

    monkeypatch.undo()
    with pytest.raises(OpenSearchWriteError, match="no article"):
        rebuild(writes, [], alias=alias)
    assert served(writes, alias) == all_indices(writes, alias) == set(first.indices)


# -- updates by id -------------------------------------------------------------------


def test_upsert_changes_adds_and_moves_articles_then_delete(
    writes: Any, alias: str, articles: list[Article]
) -> None:
    build = rebuild(writes, articles, alias=alias).build
    changed = dataclasses.replace(articles[2], title="Quokka census finished")
    new_year = dataclasses.replace(
        articles[3], id="new-1999", date=datetime(1999, 3, 4, 5, 6, 7, 890123, UTC)
    )
    dated = next(a for a in articles[4:] if a.date is not None)
    moved = dataclasses.replace(dated, date=None)
    assert upsert_articles(writes, alias, [changed, new_year, moved]) == 3
    # No refresh here: the upsert refreshed, so a search right after sees the changes.
    found = writes.search(index=alias, body={"query": {"match": {"title": "quokka"}}})
    assert [hit["_id"] for hit in found["hits"]["hits"]] == [changed.id]
    documents = stored(writes, alias)
    assert len(documents) == count(writes, alias) == 13
    assert document_to_article(documents[changed.id]) == changed
    assert document_to_article(documents["new-1999"]) == new_year
    assert documents["new-1999"]["_index"] == index_name(alias, build, 1999)
    assert index_name(alias, build, 1999) in served(writes, alias)
    assert document_to_article(documents[moved.id]) == moved
    assert documents[moved.id]["_index"] == index_name(alias, build, None)
    old_home = index_name(alias, build, article_year(dated))
    assert (
        writes.count(index=old_home, body={"query": {"ids": {"values": [moved.id]}}})["count"] == 0
    )
    assert served_build(writes, alias)[0] == build

    assert delete_articles(writes, alias, ["new-1999", changed.id, "never-there"]) == 2
    documents = stored(writes, alias)
    assert len(documents) == count(writes, alias) == 11
    assert "new-1999" not in documents and changed.id not in documents


def test_updates_need_a_served_build(writes: Any, alias: str, articles: list[Article]) -> None:
    with pytest.raises(OpenSearchWriteError, match="serves no build"):
        upsert_articles(writes, alias, articles[:1])
    assert all_indices(writes, alias) == set()


# -- near-duplicate stories ----------------------------------------------------------


def _story_texts() -> tuple[str, str, str, str]:
    """A long body, a copy with a few words edited, a copy edited a little more, and a
    different body of the same vocabulary."""
    rng = random.Random(20)
    vocabulary = [f"word{i}" for i in range(3000)]
    body = [rng.choice(vocabulary) for _ in range(400)]

    def edited(changes: int) -> str:
        words = list(body)
        for position in rng.sample(range(len(words)), changes):
            words[position] = rng.choice(vocabulary)
        return " ".join(words)

    other = " ".join(rng.choice(vocabulary) for _ in range(400))
    return " ".join(body), edited(4), edited(6), other


def _article(article_id: str, body: str, template: Article) -> Article:
    return dataclasses.replace(template, id=article_id, title="Wire story", body=body)


def test_band_keys_name_the_bands_grouping_compares() -> None:
    body, copy, _, other = _story_texts()
    sketches = [article_sketch("Wire story", text) for text in (body, copy, other)]
    keys = [band_keys(sketch) for sketch in sketches]
    assert all(re.fullmatch(r"\d{1,2}:[0-9a-f]{16}", key) for key in keys[0])
    assert set(keys[0]) & set(keys[1]) and not set(keys[0]) & set(keys[2])
    assert group_sketches(sketch_rows(sketches)).tolist() == [0, 0, -1]
    holed = bytearray(sketches[0])
    holed[0:4] = b"\xff" * 4  # bin 0 empty: band 0 has no key
    assert [key.split(":")[0] for key in band_keys(bytes(holed))] == [
        key.split(":")[0] for key in keys[0] if not key.startswith("0:")
    ]
    assert band_keys(b"") == sketch_keys(b"") == []
    assert stories_among([("s-9", sketches[0])], [("n-1", sketches[1]), ("n-2", sketches[2])]) == [
        "s-9",
        "n-2",
    ]


def test_near_duplicates_share_a_story_at_rebuild_and_at_upsert(
    writes: Any, alias: str, articles: list[Article]
) -> None:
    body, copy, later_copy, other = _story_texts()
    wire = [
        _article("wire-b", copy, articles[0]),
        _article("wire-a", body, articles[7]),  # another year: stories cross indices
        _article("wire-z", other, articles[1]),
    ]
    result = rebuild(writes, [*articles, *wire], alias=alias)
    assert result.grouped == 2
    documents = stored(writes, alias)
    stories = {key: doc["story"] for key, doc in documents.items()}
    assert documents["wire-a"]["_index"] != documents["wire-b"]["_index"]
    assert stories["wire-a"] == stories["wire-b"] == "wire-a"
    assert stories["wire-z"] == "wire-z"
    assert all(stories[a.id] == a.id for a in articles)

    fresh_body, fresh_copy, _, _ = (text.replace("word", "term") for text in _story_texts())
    upserted = [
        _article("wire-0", later_copy, articles[2]),  # joins the stored group
        _article("fresh-2", fresh_body, articles[3]),  # two new near-duplicates
        _article("fresh-1", fresh_copy, articles[4]),
        dataclasses.replace(wire[2], title="Other wire story"),  # alone, changed
    ]
    assert upsert_articles(writes, alias, upserted) == 4
    documents = stored(writes, alias)
    stories = {key: doc["story"] for key, doc in documents.items()}
    assert stories["wire-0"] == "wire-a"
    assert stories["fresh-1"] == stories["fresh-2"] == "fresh-1"
    assert stories["wire-z"] == "wire-z"
    assert documents["wire-0"]["story_bands"] and documents["wire-0"]["sketch"]
    shared = set(documents["wire-0"]["story_bands"]) & set(documents["wire-a"]["story_bands"])
    assert shared and not shared & set(documents["wire-z"]["story_bands"])


# -- the config switch and the CLI --------------------------------------------------------


def test_writer_from_config(opensearch_cluster: Cluster, writes: Any, alias: str) -> None:
    with pytest.raises(ValueError, match="OPENSEARCH_NODES"):
        writer_from_config({"BACKEND": "opensearch"})
    config = {
        "BACKEND": "opensearch",
        "OPENSEARCH_NODES": cluster_urls(opensearch_cluster),
        "OPENSEARCH_ALIAS": alias,
        "OPENSEARCH_SHARDS": "2",
        "OPENSEARCH_REPLICAS": "0",
    }
    made = writer_from_config(config)
    try:
        assert isinstance(made, IndexWriter) and isinstance(made, OpenSearchWriter)
        assert made.backend == "opensearch"
        result = made.rebuild(read_paths([ARTICLES], ReadReport()))
    finally:
        made.close()
    assert result.articles == count(writes, alias) == 12
    assert result.target.startswith(f"{alias}-g")
    settings = writes.indices.get_settings(index=alias)
    assert {s["settings"]["index"]["number_of_shards"] for s in settings.values()} == {"2"}
    assert {s["settings"]["index"]["number_of_replicas"] for s in settings.values()} == {"0"}


def test_cli_builds_updates_and_deletes(
    opensearch_cluster: Cluster, writes: Any, alias: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    nodes = ["--nodes", cluster_urls(opensearch_cluster), "--alias", alias]
    built = runner.invoke(cli, ["build-opensearch", str(ARTICLES), *nodes])
    assert built.exit_code == 0, built.output
    assert f"alias {alias} -> " in built.stderr and count(writes, alias) == 12

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "articles.jsonl").write_bytes(ARTICLES.read_bytes())
    (inputs / "broken.jsonl").write_text('{"id": "x", "title": \n', encoding="utf-8")
    again = runner.invoke(cli, ["build-opensearch", str(inputs), *nodes, "--replicas", "0"])
    assert again.exit_code == 3, again.output
    assert re.search(r"skipped: .*broken\.jsonl", again.stderr)
    assert count(writes, alias) == 12 and len(served(writes, alias)) == 5

    update = tmp_path / "update.jsonl"
    update.write_text(
        '{"id": "cli-new", "title": "Platypus sighting", "body": "A platypus was seen.", '
        '"date": "2019-05-06T07:08:09Z"}\n',
        encoding="utf-8",
    )
    updated = runner.invoke(cli, ["update-opensearch", str(update), *nodes])
    assert updated.exit_code == 0, updated.output
    assert count(writes, alias) == 13
    deleted = runner.invoke(cli, ["delete-opensearch", "cli-new", "nope", *nodes])
    assert deleted.exit_code == 0 and "deleted 1 of 2" in deleted.stderr
    assert count(writes, alias) == 12

    usage = runner.invoke(cli, ["build-opensearch", str(ARTICLES), "--nodes", ""])
    assert usage.exit_code == 2


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "command", [["build-opensearch", str(ARTICLES)], ["delete-opensearch", "some-id"]]
)
def test_cli_unreachable_cluster_is_one_line_and_exit_1(command: list[str]) -> None:
    nodes = f"127.0.0.1:{_closed_port()},127.0.0.1:{_closed_port()}"
    done = subprocess.run(
        [sys.executable, "-m", "indexer", *command, "--nodes", nodes, "--alias", "w-unreachable"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: OpenSearch cannot be reached")
    assert "Traceback" not in done.stderr
