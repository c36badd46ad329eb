"""The benchmark's corpora: Reuters-21578 (when present), the demo corpus, synthetic sizes.

Each corpus is read once through the public reader (`corpus.read_paths`) or the
synthetic generator, then written to a JSONL work file that every engine's build
subprocess loads the same way (`load_articles`), so reading costs are never part
of any engine's indexing time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.synthetic import SyntheticCorpus
from corpus import Article, ReadReport, read_paths

#: The checkout under test (not resolved: a symlinked bench/ measures the tree it sits in).
REPO = Path(__file__).absolute().parents[1]
REUTERS_DIR = Path(
    os.environ.get("BENCH_REUTERS_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "reuters21578"
)
DEMO_FILE = REPO / "corpus" / "demo" / "wikinews_en_tosca.jsonl.gz"


@dataclass(frozen=True, slots=True)
class CorpusSpec:
    """A named corpus of the benchmark; ``queries`` names its stored query file."""

    name: str
    kind: str  # "reuters" | "demo" | "synthetic"
    size: int | None = None
    queries: str = ""


def available_specs(names: Iterable[str], sizes: Iterable[int]) -> tuple[list[CorpusSpec], list]:
    """Specs for the requested corpus kinds, and (name, reason) for those skipped."""
    specs: list[CorpusSpec] = []
    skipped: list[tuple[str, str]] = []
    for name in names:
        if name == "reuters":
            if reuters_paths():
                specs.append(CorpusSpec("reuters", "reuters", queries="reuters"))
            else:
                skipped.append(("reuters", f"no reut2-*.sgm[.gz] files under {REUTERS_DIR}"))
        elif name == "demo":
            if DEMO_FILE.exists():
                specs.append(CorpusSpec("demo", "demo", queries="demo"))
            else:
                skipped.append(("demo", f"{DEMO_FILE} not found"))
        elif name == "synthetic":
            for size in sizes:
                specs.append(
                    CorpusSpec(f"synthetic-{size // 1000}k", "synthetic", size, "synthetic")
                )
        else:
            raise ValueError(f"unknown corpus {name!r}")
    return specs, skipped


def reuters_paths() -> list[str]:
    """The Reuters SGML files (plain or gzipped), sorted; empty when absent."""
    if not REUTERS_DIR.is_dir():
        return []
    return sorted(str(p) for p in REUTERS_DIR.glob("reut2-*.sgm*"))


def iter_articles(spec: CorpusSpec) -> Iterator[Article]:
    """The corpus's articles, read through the project's public readers."""
    if spec.kind == "reuters":
        yield from read_paths(reuters_paths(), ReadReport(), "reuters")
    elif spec.kind == "demo":
        yield from read_paths([str(DEMO_FILE)], ReadReport(), None)
    elif spec.kind == "synthetic":
        yield from SyntheticCorpus().articles(spec.size or 0)
    else:
        raise ValueError(f"unknown corpus kind {spec.kind!r}")


def _to_record(article: Article) -> dict:
    """An article as a JSON record with the full ISO date (offset kept)."""
    record = article.to_json_dict()
    record["date"] = article.date.isoformat() if article.date else None
    return record


def write_work_file(spec: CorpusSpec, path: Path) -> int:
    """Write the corpus to ``path`` as JSONL (the build subprocesses' input); return count."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for article in iter_articles(spec):
            handle.write(json.dumps(_to_record(article), ensure_ascii=False) + "\n")
            count += 1
    return count


def load_articles(path: Path) -> list[Article]:
    """Load a work file written by `write_work_file` back into `Article` records."""
    articles = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            date = record.get("date")
            record["date"] = datetime.fromisoformat(date) if date else None
            record["tags"] = tuple(record.get("tags") or ())
            articles.append(Article(**record))
    return articles
