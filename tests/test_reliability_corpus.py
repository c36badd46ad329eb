"""A torture corpus through ``python -m indexer build``: every good article indexed,
every bad input named, memory and time bounded, no traceback.

The corpus is written by the test into tmp_path: the rows of `torture_inputs.CONTENT_INPUTS`
(binary, zero-byte and undecodable files, 100,000 nested divs, a truncated page, a 20 MB
page, zip and gzip bombs, corrupt deflate data, invalid and deeply nested JSON lines,
out-of-range views and dates, lone surrogates, a non-UTF-8 file name, 40,000 tags, bodies
over the cap ...) plus the file-system oddities below: a link loop, a link to a parent
folder, a dangling link, a FIFO, a file and a folder nobody may read, a link to a file
outside the corpus, a folder 1,100 levels deep and files reached twice (a hard link and a
link inside the corpus). Add hostile content as a row of that table; add file-system
cases to `write_filesystem_oddities` (the layouts come from `walk_inputs`).

Root reads a ``chmod 000`` file anyway, so as root the build runs without the
capabilities that let root bypass file permissions (``setpriv``), as a user would.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from indexer_helpers import article_line, stored_docs
from reliability_helpers import run_measured, without_dac_override
from torture_inputs import CONTENT_INPUTS, article_key, write_corpus
from walk_inputs import deep_folder, outside_link, remove_deep_folder, unreadable_folder

pytestmark = pytest.mark.slow

#: Memory ceiling for the whole build (measured: about 420 MB on a 2-core machine). Its
#: time is measured and printed, not asserted: a busy machine may take several times longer.
MAX_RSS_MB = 900
#: Only a guard against a hang, far above any healthy run.
HANG_GUARD_SECONDS = 900
DEEP_LEVELS = 1_100


def write_filesystem_oddities(folder: Path) -> dict[str, str]:
    """Links, a FIFO and an unreadable file; return the problems they must be named with."""
    (folder / "loop-a").symlink_to("loop-b")
    (folder / "loop-b").symlink_to("loop-a")
    (folder / "dangling.txt").symlink_to("nowhere.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")
    os.mkfifo(folder / "pipe.jsonl")
    secret = folder / "secret.jsonl"
    secret.write_text(article_line("secret", "Secret", "Nobody may read this."))
    secret.chmod(0)
    unreadable_folder(folder, articles=2, name="locked")
    outside_link(folder, folder.parent / "outside", name="outside-secret.txt")
    deep_folder(folder, DEEP_LEVELS, article_id="deep-1")
    good = folder / "twice.jsonl"
    good.write_text(article_line("twice-1", "Read once", "A file reached three ways is read once."))
    os.link(good, folder / "twice-hard.jsonl")
    (folder / "twice-link.jsonl").symlink_to(good)
    return {
        "locked": "unreadable folder: Permission denied",
        "outside-secret.txt": "link to a file outside the given paths",
        "loop-a": "unreadable: Too many levels of symbolic links",
        "loop-b": "unreadable: Too many levels of symbolic links",
        "dangling.txt": "unreadable: No such file",
        "sub/up": "link to a folder: not followed",
        "pipe.jsonl": "not a regular file (FIFO)",
        "secret.jsonl": "unreadable: Permission denied",
    }


def build_torture(folder: Path) -> tuple[set[str], dict[str, str]]:
    """Write the torture corpus; return the keys of its good articles (`article_key`) and,
    for each bad input (origin relative to ``folder``), the start of its reason."""
    good, expected = write_corpus(folder, CONTENT_INPUTS)
    expected.update(write_filesystem_oddities(folder))
    good |= {"deep-1", "twice-1"}
    return good, expected


def remove_torture(folder: Path) -> None:
    """Undo what pytest cannot remove by itself (the locked and the deep folder)."""
    (folder / "locked").chmod(0o755)
    remove_deep_folder(folder / "deep")


def named_problems(stderr: str, folder: Path) -> dict[str, list[str]]:
    """``{input relative to folder: [reasons]}`` from the ``skipped: ORIGIN: REASON`` lines."""
    found: dict[str, list[str]] = {}
    prefix = f"skipped: {folder}/"
    for line in stderr.splitlines():
        if line.startswith(prefix):
            origin, _, reason = line[len(prefix) :].partition(": ")
            found.setdefault(origin, []).append(reason)
    return found


def test_torture_corpus_builds_with_every_bad_input_named(tmp_path: Path) -> None:
    try:
        prefix = without_dac_override()
    except LookupError as error:
        pytest.skip(str(error))
    folder = tmp_path / "torture"
    try:
        good, expected = build_torture(folder)
        index_dir = tmp_path / "index"
        args = ["-m", "indexer", "build", str(folder), "--index", str(index_dir), "--workers", "1"]
        result = run_measured(args, timeout=HANG_GUARD_SECONDS, prefix=prefix)
    finally:
        remove_torture(folder)
    summary = {
        "files": sum(len(dirs) + len(files) for _, dirs, files in os.walk(folder)) + 2,
        "bad_inputs": len(expected),
        "good_articles": len(good),
        "seconds": round(result.seconds, 1),
        "peak_rss_mb": round(result.peak_rss_mb),
        "exit": result.returncode,
    }
    print(f"\ntorture build: {json.dumps(summary)}")
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 3, result.stderr[-3000:]  # done, some inputs skipped
    problems = named_problems(result.stderr, folder)
    for origin, reason in sorted(expected.items()):
        reasons = problems.get(origin, [])
        assert any(r.startswith(reason) for r in reasons), (origin, reason, reasons)
    unexpected = {o: r for o, r in problems.items() if o not in expected}
    assert not unexpected, unexpected
    docs = stored_docs(index_dir)
    assert {article_key(i, doc["origin"], folder) for i, doc in docs.items()} == good
    assert result.peak_rss_mb < MAX_RSS_MB
