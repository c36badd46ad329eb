"""Helpers for the indexer tests: run the CLI, read an index back, write small corpora."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from indexer.generations import current_generation
from support import ARTICLES, REPO

WORDS = (
    "harbour council election storm market trade minister budget river bridge school "
    "festival vote rail strike court museum hospital farmer drought energy wind solar "
    "port ferry police fire mayor league final season coach factory export import bank"
).split()


def run_indexer(
    *args: str,
    cwd: Path | None = None,
    timeout: float = 180,
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
) -> subprocess.CompletedProcess:
    """Run ``[*prefix] python -m indexer ARGS`` with stdout/stderr captured (not a
    terminal), without the caller's BROADSHEET_* settings but with ``env`` added."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BROADSHEET_")}
    environ["PYTHONPATH"] = str(REPO)
    environ.update(env or {})
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "indexer", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environ,
    )


def stored_docs(index_dir: Path) -> dict[str, dict[str, Any]]:
    """``{article id: stored fields}`` of the served generation."""
    generation = current_generation(index_dir)
    assert generation is not None, f"nothing served at {index_dir}"
    ix = whoosh_index.open_dir(str(generation))
    try:
        with ix.searcher() as searcher:
            docs = {fields["id"]: fields for fields in searcher.all_stored_fields()}
            assert len(docs) == searcher.doc_count(), "an id is indexed twice"
            return docs
    finally:
        ix.close()


def split_articles(folder: Path, parts: int = 3) -> list[Path]:
    """Write the 12 test articles into ``parts`` JSONL files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ARTICLES.read_text(encoding="utf-8").splitlines()
    paths = []
    for index in range(parts):
        path = folder / f"part-{index}.jsonl"
        path.write_text("\n".join(lines[index::parts]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def article_line(article_id: str, title: str, body: str, **extra: Any) -> str:
    """One JSONL record."""
    return json.dumps({"id": article_id, "title": title, "body": body, **extra}) + "\n"


def synthetic_corpus(folder: Path, files: int, per_file: int, seed: int = 7) -> list[Path]:
    """Write ``files`` JSONL files of ``per_file`` random multi-paragraph articles."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(files):
        path = folder / f"synthetic-{number:03d}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for item in range(per_file):
                words = [rng.choice(WORDS) for _ in range(rng.randint(150, 400))]
                body = "\n\n".join(" ".join(words[i : i + 60]) for i in range(0, len(words), 60))
                handle.write(
                    article_line(
                        f"s{number}-{item}",
                        " ".join(rng.choice(WORDS) for _ in range(6)).title(),
                        f"{body} unique{number}x{item}",
                        tags=[rng.choice(WORDS), rng.choice(WORDS)],
                        date=f"20{rng.randint(10, 23)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                        source=rng.choice(["Wire", "Gazette", "Herald"]),
                    )
                )
        paths.append(path)
    return paths


def generations(index_dir: Path) -> list[str]:
    """Names of the gen-* folders in ``index_dir``."""
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))


def corrupt_postings(generation: Path, length: int = 200_000, every: int = 997) -> None:
    """Write ``DE AD BE EF`` every ``every`` bytes over ``length`` bytes of the posting
    lists in ``generation``'s segment file (stored documents stay intact)."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    segment = next(generation.glob("*.seg"))
    storage = CompoundStorage(FileStorage(str(generation)).open_file(segment.name))
    try:
        (start,) = (v["offset"] for k, v in storage._dir.items() if k.endswith(".pst"))
    finally:
        storage.close()
    with segment.open("r+b") as handle:
        for offset in range(start + 1000, start + 1000 + length, every):
            handle.seek(offset)
            handle.write(b"\xde\xad\xbe\xef")
