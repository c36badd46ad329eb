"""``python -m search evaluate``: TREC topics and qrels in, standard measures out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from search import SearchService
from search.evaluate import EvaluationInputError, measure, read_qrels, read_topics, run_topics
from support import DATA, REPO, build_from

pytest.importorskip("ir_measures")

CORPUS = DATA / "search" / "corpus.jsonl"
EVAL = REPO / "search" / "eval"


@pytest.fixture(scope="module")
def eval_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from([CORPUS], tmp_path_factory.mktemp("eval") / "index")


def _write(tmp_path: Path) -> tuple[Path, Path]:
    topics = tmp_path / "topics.tsv"
    topics.write_text("# comment\n1\tvolcano eruption\n2\tzebra quokka\n3\tno such words\n")
    qrels = tmp_path / "qrels.txt"
    qrels.write_text(
        "1 0 volcano-1 2\n1 0 wire-a 1\n1 0 zebra 0\n2 0 zebra 1\n2 0 quokka 1\n3 0 comet-old 1\n"
    )
    return topics, qrels


def test_measures_of_a_small_run(tmp_path: Path, eval_index: Path) -> None:
    topics, qrels = _write(tmp_path)
    service = SearchService(eval_index)
    try:
        run = run_topics(service, read_topics(topics))
    finally:
        service.close()
    # OR semantics: topic 2 finds both animals although no article has both words.
    assert set(run["2"][:2]) == {"zebra", "quokka"}
    means, per_query = measure(read_qrels(qrels), run)
    assert per_query["2"]["MAP"] == 1.0 and per_query["2"]["R@100"] == 1.0
    assert per_query["3"]["MAP"] == 0.0  # judged, nothing relevant found
    assert 0.0 < means["MAP"] < 1.0 and set(means) == {"MAP", "nDCG@10", "P@10", "R@100"}


def test_bad_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("just words without a tab\n")
    with pytest.raises(EvaluationInputError, match="bad.tsv:1"):
        read_topics(bad)
    with pytest.raises(EvaluationInputError):
        read_qrels(bad)


def test_cli_prints_the_measures(tmp_path: Path, eval_index: Path) -> None:
    topics, qrels = _write(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "search",
            "evaluate",
            "--topics",
            str(topics),
            "--qrels",
            str(qrels),
            "--index",
            str(eval_index),
            "--per-query",
            "--run-out",
            str(tmp_path / "run.txt"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for name in ("MAP", "nDCG@10", "P@10", "R@100"):
        assert name in result.stdout
    assert (tmp_path / "run.txt").read_text().startswith("1 Q0 ")


def test_the_judged_demo_set_is_complete() -> None:
    topics = read_topics(EVAL / "demo_topics.tsv")
    judged = {j.qid for j in read_qrels(EVAL / "demo_qrels.txt")}
    assert len(topics) == 30 and judged == set(topics)


@pytest.mark.slow
def test_demo_ranking_stays_above_its_baseline(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Regression guard on the judged demo topics (nDCG@10 0.8386, MAP 0.8431 with the
    parameters chosen on the judged collections; 0.8184 and 0.8082 before issue 13)."""
    demo = REPO / "corpus" / "demo" / "wikinews_en_tosca.jsonl.gz"
    index = build_from([demo], tmp_path_factory.mktemp("demo") / "index")
    service = SearchService(index)
    try:
        run = run_topics(service, read_topics(EVAL / "demo_topics.tsv"))
    finally:
        service.close()
    means, _ = measure(read_qrels(EVAL / "demo_qrels.txt"), run)
    assert means["nDCG@10"] >= 0.82 and means["MAP"] >= 0.82
