"""Indexer CLI: progress output, parallel build, stats, check, optimize, lock messages."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

from indexer_helpers import generations, run_indexer, split_articles, stored_docs

from indexer.generations import LOCK_NAME, current_generation, writer_lock
from indexer.progress import Progress
from support import ARTICLES


def test_progress_is_a_live_bar_on_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, is_tty=True)
    progress.REDRAW_SECONDS = 0.0
    progress.start_indexing(total_bytes=1000, files=2)
    progress.update(10, 250)
    progress.update(40, 1000)
    progress.end_indexing()
    progress.phase("writing segments")
    text = out.getvalue()
    assert "\rindexing [#####" in text and "articles/s" in text and "ETA" in text
    assert " 25%" in text and "100%" in text
    assert "writing segments" in text.splitlines()[-1]


def test_progress_is_one_line_a_phase_elsewhere() -> None:
    out = io.StringIO()
    progress = Progress(out, is_tty=False)
    progress.start_indexing(total_bytes=1000, files=2)
    for count in range(1, 500):
        progress.update(count, count * 2)
    progress.end_indexing()
    progress.phase("verifying")
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 3
    assert "indexing 2 file(s)" in lines[0] and "499 articles" in lines[1]


def test_cli_build_logs_phases_and_summary(tmp_path: Path) -> None:
    result = run_indexer("build", str(ARTICLES), "--index", str(tmp_path / "ix"), "--workers", "2")
    assert result.returncode == 0, result.stderr
    for phase in ("indexing 1 file(s)", "writing segments", "verifying", "publishing"):
        assert phase in result.stderr
    assert "\r" not in result.stderr
    assert "indexed 12 articles" in result.stderr


def test_parallel_build_equals_single_process_build(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    split_articles(folder, parts=4)
    one = run_indexer("build", str(folder), "--index", str(tmp_path / "one"), "--workers", "1")
    two = run_indexer("build", str(folder), "--index", str(tmp_path / "two"), "--workers", "2")
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert stored_docs(tmp_path / "one") == stored_docs(tmp_path / "two")


def test_stats_json_and_text(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    assert run_indexer("build", str(ARTICLES), "--index", str(index_dir)).returncode == 0
    result = run_indexer("stats", "--index", str(index_dir), "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["articles"] == 12
    assert stats["date_range"]["first"] < stats["date_range"]["last"]
    assert stats["top_tags"][0] == {"value": "Politics", "count": 5}
    assert {s["value"] for s in stats["top_sources"]} >= {"Daily Ledger"}
    assert stats["command"] == "build" and stats["sources"] == [str(ARTICLES)]
    assert stats["index_bytes"] > 0 and stats["segments"] and stats["built_at"]
    text = run_indexer("stats", "--index", str(index_dir)).stdout
    assert "articles    12" in text and "Politics (5)" in text
    missing = run_indexer("stats", "--index", str(tmp_path / "none"))
    assert missing.returncode == 1 and "no index" in missing.stderr


def test_check_says_healthy_or_unhealthy(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    assert run_indexer("build", str(ARTICLES), "--index", str(index_dir)).returncode == 0
    healthy = run_indexer("check", "--index", str(index_dir))
    assert healthy.returncode == 0 and healthy.stdout.startswith("healthy:"), healthy.stdout
    for segment in current_generation(index_dir).glob("*.seg"):
        segment.write_bytes(b"garbage")
    broken = run_indexer("check", "--index", str(index_dir))
    assert broken.returncode == 1 and "UNHEALTHY" in broken.stdout, broken.stdout
    assert "Traceback" not in broken.stdout + broken.stderr
    nothing = run_indexer("check", "--index", str(tmp_path / "none"))
    assert nothing.returncode == 1 and "no CURRENT" in nothing.stdout


def test_optimize_merges_segments_into_a_new_generation(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    folder = tmp_path / "src"
    split_articles(folder, parts=4)
    assert run_indexer("build", str(folder), "--index", str(index_dir)).returncode == 0
    extra = folder / "z.jsonl"
    extra.write_text(ARTICLES.read_text().splitlines()[0].replace('"t-', '"z-') + "\n")
    extra.write_text(extra.read_text().replace('"body": "', '"body": "Extra. '))
    assert run_indexer("update", str(folder), "--index", str(index_dir)).returncode == 0
    before = current_generation(index_dir)
    docs = stored_docs(index_dir)
    result = run_indexer("optimize", "--index", str(index_dir))
    assert result.returncode == 0, result.stderr
    assert current_generation(index_dir) != before
    assert stored_docs(index_dir) == docs
    stats = json.loads(run_indexer("stats", "--index", str(index_dir), "--json").stdout)
    assert len(stats["segments"]) == 1 and stats["command"] == "optimize"
    # The manifest survives: an update after optimize still works.
    assert run_indexer("update", "--index", str(index_dir), str(folder)).returncode == 0


def test_second_writer_gets_one_clear_message(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    with writer_lock(index_dir, command="indexer build corpus/"):
        for command in ("build", "update"):
            result = run_indexer(command, str(ARTICLES), "--index", str(index_dir))
            assert result.returncode == 1
            assert "Traceback" not in result.stderr
            message = result.stderr.strip().splitlines()[-1]
            assert message.startswith("error: index ") and "is being written by pid" in message
            assert "command indexer build corpus/" in message and "since" in message
            assert "--wait" in message


def test_wait_gets_the_lock_when_the_running_writer_finishes(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    held = threading.Event()

    def hold() -> None:
        with writer_lock(index_dir):
            held.set()
            time.sleep(1.5)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    result = run_indexer("build", str(ARTICLES), "--index", str(index_dir), "--wait", "30")
    thread.join()
    assert result.returncode == 0, result.stderr
    timed_out = None
    with writer_lock(index_dir):
        timed_out = run_indexer("build", str(ARTICLES), "--index", str(index_dir), "--wait", "0.5")
    assert timed_out.returncode == 1 and "waited 0.5 s" in timed_out.stderr


def test_stale_lock_text_and_stray_generations_are_cleared(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    assert run_indexer("build", str(ARTICLES), "--index", str(index_dir)).returncode == 0
    served = current_generation(index_dir).name
    (index_dir / LOCK_NAME).write_text("pid 999999 since 2020-01-01 00:00:00Z command x\n")
    stray = index_dir / "gen-20200101T000000000000-999999"
    stray.mkdir()
    (stray / "_MAIN_1.toc").write_bytes(b"half")
    (index_dir / ".CURRENT.999999.tmp").write_text("gen-x\n")
    result = run_indexer("build", str(ARTICLES), "--index", str(index_dir))
    assert result.returncode == 0, result.stderr
    assert "an earlier writer was killed (pid 999999" in result.stderr
    assert not stray.exists() and not (index_dir / ".CURRENT.999999.tmp").exists()
    assert generations(index_dir) == sorted([served, current_generation(index_dir).name])
    assert (index_dir / LOCK_NAME).read_text() == ""  # released cleanly: no stale text
