"""Whoosh read replicas: publish the served generation to a copy that serves the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.generations import current_generation
from indexer.whoosh.replicas import ReplicaError, publish_command, publish_replica
from search import SearchRequest, SearchService
from support import ARTICLES, build_from

QUERIES = ["", "election", "budget", "turnout tariffs", '"climate change"', "budget NOT surplus"]


def _answers(service: SearchService) -> list[tuple]:
    answers = []
    for q in QUERIES:
        for sort in ("relevance", "newest"):
            response = service.search(SearchRequest(q=q, sort=sort, per_page=20))
            facets = {
                name: [(v.value, v.count, v.selected) for v in values]
                for name, values in response.facets.items()
            }
            hits = [(h.id, round(h.score, 6), h.snippet) for h in response.hits]
            answers.append((q, sort, response.total, response.relaxed, hits, facets))
    return answers


def test_replica_answers_like_the_primary_and_follows_publishes(tmp_path: Path) -> None:
    primary_dir = build_from([ARTICLES], tmp_path / "primary")
    replica_dir = tmp_path / "replica"
    result = publish_replica(primary_dir, replica_dir)
    assert result.documents == 12 and current_generation(replica_dir) == result.generation
    primary, replica = SearchService(primary_dir), SearchService(replica_dir, refresh_seconds=0)
    try:
        assert _answers(replica) == _answers(primary)
        assert replica.get_article("t-trade") == primary.get_article("t-trade")
        # A rebuild on the primary reaches the replica only when published again.
        extra = tmp_path / "extra.jsonl"
        extra.write_text(
            '{"id": "r-1", "title": "Replica harbour note", "body": "harbour replica"}\n'
        )
        build_from([ARTICLES, extra], primary_dir)
        assert replica.doc_count() == 12
        second = publish_replica(primary_dir, replica_dir)
        assert second.generation != result.generation and replica.doc_count() == 13
        assert [h.id for h in replica.search(SearchRequest(q="replica")).hits] == ["r-1"]
        generations = sorted(p.name for p in replica_dir.iterdir() if p.name.startswith("gen-"))
        assert generations == sorted([result.generation.name, second.generation.name])
    finally:
        primary.close()
        replica.close()


def test_publish_refuses_an_empty_primary_and_the_same_folder(tmp_path: Path) -> None:
    with pytest.raises(ReplicaError, match="no index"):
        publish_replica(tmp_path / "nothing", tmp_path / "replica")
    primary = build_from([ARTICLES], tmp_path / "primary")
    with pytest.raises(ReplicaError, match="must differ"):
        publish_replica(primary, primary)
    assert not (tmp_path / "replica").exists() or current_generation(tmp_path / "replica") is None


def test_publish_command(tmp_path: Path) -> None:
    primary = build_from([ARTICLES], tmp_path / "primary")
    runner = CliRunner()
    result = runner.invoke(publish_command, ["--index", str(primary), "--to", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "published gen-" in result.output and current_generation(tmp_path / "r") is not None
    failed = runner.invoke(publish_command, ["--index", str(tmp_path / "none"), "--to", "x"])
    assert failed.exit_code == 1 and "no index" in failed.output


def test_publish_is_a_subcommand_of_python_m_indexer(tmp_path: Path) -> None:
    import subprocess
    import sys

    from support import REPO

    primary = build_from([ARTICLES], tmp_path / "primary")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "indexer",
            "publish",
            "--index",
            str(primary),
            "--to",
            str(tmp_path / "r"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r" / "CURRENT").is_file()
