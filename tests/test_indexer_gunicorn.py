"""A gunicorn worker serves an `indexer update` within 5 s, without a restart."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from indexer_helpers import article_line, run_indexer, split_articles

from servers import gunicorn

pytestmark = pytest.mark.slow


def total(base: str, query: str) -> int:
    with urllib.request.urlopen(f"{base}/api/search?q={query}", timeout=10) as response:
        return json.loads(response.read())["total"]


def test_gunicorn_workers_see_an_update_within_5_seconds(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    split_articles(folder)
    index_dir = tmp_path / "ix"
    assert run_indexer("build", str(folder), "--index", str(index_dir)).returncode == 0
    # Default refresh interval (2 s): what an operator gets without tuning.
    with gunicorn(index_dir, workers=2) as base:
        assert total(base, "zeppelin") == 0
        (folder / "new.jsonl").write_text(
            article_line("z1", "Zeppelin returns", "A zeppelin flew over the harbour."),
            encoding="utf-8",
        )
        result = run_indexer("update", str(folder), "--index", str(index_dir))
        assert result.returncode == 0, result.stderr
        published = time.monotonic()
        seen: set[int] = set()
        while time.monotonic() - published < 5.0:
            # Several requests per round so that both workers answer.
            seen = {total(base, "zeppelin") for _ in range(6)}
            if seen == {1}:
                break
            time.sleep(0.1)
        assert seen == {1}, f"workers still answer {seen} 5 s after the update"
        assert total(base, "election") == 2  # the rest of the index is still served
