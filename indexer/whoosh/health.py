"""Read-only looks at an index: `index_stats` (``indexer stats``) and `check_index`.

Neither takes the writer lock, so both work while a build runs; they read the
generation ``CURRENT`` names at the moment they start. A damaged ``CURRENT`` or
``PREVIOUS`` (`indexer.generations.DamagedPointer`) is a problem `check_index`
names, with the command that repairs it (``indexer recover``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.util.times import long_to_datetime

from corpus.article import format_utc
from indexer.generations import (
    GENERATION_PREFIX,
    LOCK_NAME,
    DamagedPointer,
    pid_running,
    pointed_generations,
)
from indexer.sources import Manifest
from indexer.whoosh.integrity import read_postings
from indexer.whoosh.schema import SCHEMA_VERSION, from_whoosh_date
from indexer.whoosh.storage import open_mapped_index
from indexer.whoosh.transaction import read_info, verify_generation

_MISSING_DATE = 2**63  # DATETIME columns hold 2**64 - 1 for "no date"
TOP = 10


def _folder_bytes(path: Path) -> int:
    return sum(child.stat().st_size for child in path.rglob("*") if child.is_file())


def _term_counts(reader: Any, fieldname: str, counts: Counter[str]) -> None:
    if fieldname not in reader.indexed_field_names():
        return
    for term in reader.lexicon(fieldname):
        live = sum(
            1 for n in reader.postings(fieldname, term).all_ids() if not reader.is_deleted(n)
        )
        if live:
            counts[term.decode("utf-8")] += live


def index_stats(index_dir: Path) -> dict[str, Any]:
    """Facts about the served generation, JSON-ready; raises FileNotFoundError without
    one and `indexer.generations.DamagedPointer` when CURRENT or PREVIOUS is damaged."""
    generation, _previous = pointed_generations(index_dir)
    if generation is None:
        raise FileNotFoundError(f"no index at {index_dir}")
    info = read_info(generation)
    tags: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    low = high = None
    undated = 0
    segments = []
    ix = open_mapped_index(generation)
    try:
        with ix.searcher() as searcher:
            count = searcher.doc_count()
            for reader, _offset in searcher.reader().leaf_readers():
                segments.append(
                    {
                        "documents": reader.doc_count_all(),
                        "deleted": reader.doc_count_all() - reader.doc_count(),
                    }
                )
                _term_counts(reader, "tag_exact", tags)
                _term_counts(reader, "source_exact", sources)
                if not reader.has_column("date"):
                    continue
                column = reader.column_reader("date", translate=False)
                for docnum in range(reader.doc_count_all()):
                    if reader.is_deleted(docnum):
                        continue
                    raw = column[docnum]
                    if raw >= _MISSING_DATE:
                        undated += 1
                        continue
                    low = raw if low is None or raw < low else low
                    high = raw if high is None or raw > high else high
    finally:
        ix.close()
    manifest = Manifest.load(generation)

    def when(raw: int | None) -> str | None:
        return None if raw is None else format_utc(from_whoosh_date(long_to_datetime(raw)))

    return {
        "index_dir": str(index_dir),
        "generation": generation.name,
        "articles": count,
        "date_range": {"first": when(low), "last": when(high), "undated": undated},
        "top_tags": [{"value": v, "count": c} for v, c in tags.most_common(TOP)],
        "top_sources": [{"value": v, "count": c} for v, c in sources.most_common(TOP)],
        "index_bytes": _folder_bytes(generation),
        "segments": segments,
        "built_at": info.get("built_at"),
        "command": info.get("command"),
        "based_on": info.get("based_on"),
        "sources": info.get("sources", []),
        "source_files": len(manifest.files) if manifest else None,
        "schema_version": info.get("schema_version"),
        "workers": info.get("workers"),
    }


@dataclass(slots=True)
class CheckResult:
    """Outcome of `check_index`: problems make it unhealthy, notes are informational."""

    generation: str | None = None
    articles: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def _writer_running(index_dir: Path) -> str | None:
    """The lock text of a running writer (a clean release empties it; a dead pid is stale)."""
    try:
        text = (index_dir / LOCK_NAME).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    parts = text.split()
    if len(parts) >= 2 and parts[0] == "pid" and parts[1].isdigit() and pid_running(int(parts[1])):
        return text
    return None


def check_generation(generation: Path, result: CheckResult, *, deep: bool = False) -> bool:
    """Check one generation into ``result``: build info, count, every document's stored
    fields, and with ``deep`` every posting block and column (`indexer.whoosh.integrity`).

    Returns False when it does not even open with the expected count."""
    result.generation = generation.name
    info = read_info(generation)
    if not info:
        result.problems.append("broadsheet.json (build info) is missing or unreadable")
    elif info.get("schema_version") != SCHEMA_VERSION:
        result.problems.append(
            f"schema version {info.get('schema_version')} but this code needs {SCHEMA_VERSION}"
        )
    manifest = Manifest.load(generation)
    expected = manifest.article_count() if manifest else info.get("articles")
    try:
        result.articles = verify_generation(generation, expected)
    except Exception as error:  # reported, not raised
        result.problems.append(str(error))
        return False
    _check_documents(generation, result)
    if deep:
        postings = read_postings(generation)
        result.problems.extend(postings.problems)
        result.notes.append(
            f"read {postings.postings:,} postings in {postings.blocks:,} blocks of "
            f"{postings.terms:,} terms, and {postings.columns} columns"
        )
    if manifest is None:
        result.notes.append("no manifest.json: `indexer update` needs a build from files first")
    return True


def check_index(index_dir: Path, *, deep: bool = False) -> CheckResult:
    """Check the served generation (`check_generation`) and the index folder around it
    (pointers, leftovers, a running writer); never raises for bad data."""
    result = CheckResult()
    try:
        generation, previous = pointed_generations(index_dir)
    except DamagedPointer as error:
        result.problems.append(str(error))
        return result
    if generation is None:
        result.problems.append(f"{index_dir} has no CURRENT pointer (nothing was built)")
        return result
    if not check_generation(generation, result, deep=deep):
        return result
    leftovers = [
        child.name
        for child in index_dir.iterdir()
        if child.name.startswith(GENERATION_PREFIX)
        and child.name not in {generation.name, getattr(previous, "name", "")}
    ]
    if leftovers:
        result.notes.append(
            f"{len(leftovers)} unpublished generation folder(s) (a running or interrupted "
            f"writer; the next build or update removes them): {', '.join(sorted(leftovers))}"
        )
    running = _writer_running(index_dir)
    if running:
        result.notes.append(f"a writer is running: {running}")
    return result


def _check_documents(generation: Path, result: CheckResult) -> None:
    ix = open_mapped_index(generation)
    try:
        with ix.searcher() as searcher:
            ids: set[str] = set()
            seen = 0
            for fields in searcher.all_stored_fields():
                seen += 1
                article_id = fields.get("id")
                if not article_id or not fields.get("title", "") + fields.get("body", ""):
                    result.problems.append(f"document {article_id!r} lacks id or text")
                elif article_id in ids:
                    result.problems.append(f"article id {article_id!r} is indexed twice")
                ids.add(article_id or "")
                if len(result.problems) > 20:
                    break
            if seen != searcher.doc_count():
                result.problems.append(f"read {seen} documents, index says {searcher.doc_count()}")
    except Exception as error:
        result.problems.append(f"reading documents failed: {error}")
    finally:
        ix.close()
