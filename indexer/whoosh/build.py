"""Full rebuilds: Articles in, a verified fresh generation swapped in atomically.

Two entry points: `build_index` indexes any iterable of Articles (tests, tools);
`build_from_paths` reads source files itself and also writes the manifest that
``indexer update`` needs; being what a scheduled rebuild runs, it also refuses a
missing source path and, over the same paths as the served index, a result that
would drop more than ``max_delete`` of the served articles (`indexer.guards`).
Both hold the writer lock, remove half-built folders of killed writers (refusing
to run past a damaged ``CURRENT``) and write through `indexer.whoosh.transaction` (a new
generation, verified, then published; on any error, or when killed, the served
index stays as it was). Neither publishes an empty index (`NothingIndexed`).
`optimize_index` merges the served generation's segments through the same
transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from corpus.article import Article
from corpus.discover import Deduper
from corpus.report import ReadReport
from corpus.walk import Unreadable
from indexer.errors import IndexerError
from indexer.generations import (
    pointed_generations,
    remove_strays,
    writer_lock,
)
from indexer.guards import (
    DEFAULT_MAX_DELETE,
    refuse_mass_deletion,
    refuse_missing_sources,
    removed_articles,
    same_sources,
)
from indexer.phases import announce
from indexer.progress import Progress
from indexer.sources import Manifest, current_cwd, list_files, read_kept, stat_entry
from indexer.whoosh.pipeline import IndexFeeder
from indexer.whoosh.schema import article_to_document
from indexer.whoosh.transaction import (
    DEFAULT_LIMIT_MB,
    read_info,
    verify_generation,
    write_transaction,
)

ProgressCallback = Callable[[int], None]


class NothingIndexed(IndexerError, RuntimeError):
    """The sources held no readable article; an empty index is not published."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build, update or optimize did: counts, timing and the generation served."""

    articles: int
    seconds: float
    generation: Path | None
    added: int = 0
    deleted: int = 0
    files_read: int = 0
    files_total: int = 0
    stale_lock: str | None = None


def _feed(
    feeder: IndexFeeder, articles: Iterable[Article], on_progress: ProgressCallback | None
) -> int:
    count = 0
    for article in articles:
        feeder.add(article_to_document(article))
        count += 1
        if on_progress is not None and count % 100 == 0:
            on_progress(count)
    return count


def build_index(
    articles: Iterable[Article],
    index_dir: str | Path,
    *,
    sources: Iterable[str] = (),
    on_progress: ProgressCallback | None = None,
    limit_mb: int = DEFAULT_LIMIT_MB,
    workers: int = 1,
    wait: float = 0.0,
) -> BuildResult:
    """Index ``articles`` into a new generation of ``index_dir`` and serve it.

    The served index is untouched until the new one is complete and verified;
    on any error the new folder is removed and the error re-raised. Raises
    `indexer.generations.IndexBusy` when another writer holds the lock (after
    waiting up to ``wait`` seconds). ``on_progress`` gets the running article
    count every 100 articles. No manifest is written (``update`` needs one: use
    `build_from_paths`).
    """
    index_dir = Path(index_dir)
    started = time.perf_counter()
    with writer_lock(index_dir, wait=wait) as stale:
        remove_strays(index_dir)
        with write_transaction(index_dir, workers=workers, limit_mb=limit_mb) as transaction:
            announce("reading")
            count = _feed(transaction.feeder, articles, on_progress)
            transaction.commit()
            if on_progress is not None:
                on_progress(count)
            if count == 0:
                raise NothingIndexed("no article given")
            transaction.publish(
                count,
                Progress(quiet=True),
                command="build",
                sources=[str(source) for source in sources],
                workers=workers,
                seconds=round(time.perf_counter() - started, 2),
            )
    return BuildResult(
        count, time.perf_counter() - started, transaction.generation, added=count, stale_lock=stale
    )


def build_from_paths(
    paths: Iterable[str | Path],
    index_dir: str | Path,
    report: ReadReport,
    *,
    fmt: str | None = None,
    progress: Progress | None = None,
    limit_mb: int = DEFAULT_LIMIT_MB,
    workers: int = 1,
    wait: float = 0.0,
    follow_links: bool = False,
    max_delete: float | None = DEFAULT_MAX_DELETE,
) -> BuildResult:
    """Read source files and rebuild the index from them, writing a manifest too.

    Same guarantees as `build_index`. Reading problems go to ``report``. Raises
    `indexer.guards.SourceMissing` when a path is missing or unreadable,
    `indexer.guards.MassDeletion` when, rebuilt from the paths the served index was
    built from, the new index would lack more than ``max_delete`` (a fraction;
    None: any) of the articles served now, and
    `indexer.generations.DamagedPointer` when CURRENT or PREVIOUS is damaged.
    """
    index_dir = Path(index_dir)
    sources = [str(path) for path in paths]
    progress = progress or Progress(quiet=True)
    started = time.perf_counter()
    with writer_lock(index_dir, wait=wait) as stale:
        removed = remove_strays(index_dir)
        if removed:
            progress.phase(f"removed {len(removed)} leftover(s) of an interrupted run")
        served, _previous = pointed_generations(index_dir)
        items = list_files(sources, report, follow_links=follow_links)
        refuse_missing_sources(items, "build")
        files = []
        for item in items:
            if isinstance(item, Unreadable):
                report.add_problem(str(item.path), f"{item.reason}: nothing under it is indexed")
            else:
                files.append(item)
        manifest = Manifest(sources=sources, fmt=fmt, cwd=current_cwd(), follow_links=follow_links)
        with write_transaction(index_dir, workers=workers, limit_mb=limit_mb) as transaction:
            announce("reading")
            count = _feed_files(transaction.feeder, files, manifest, fmt, report, progress)
            progress.end_indexing()
            transaction.commit(on_phase=progress.phase)
            if count == 0:
                raise NothingIndexed("no readable article found")
            old = Manifest.load(served) if served is not None else None
            if old is not None and same_sources(
                old.sources, old.cwd, manifest.sources, manifest.cwd
            ):
                lost, total = removed_articles(old.article_ids(), manifest.article_ids())
                refuse_mass_deletion("build", lost, total, max_delete)
            transaction.publish(
                count,
                progress,
                manifest=manifest,
                command="build",
                sources=sources,
                workers=workers,
                seconds=round(time.perf_counter() - started, 2),
            )
    return BuildResult(
        count,
        time.perf_counter() - started,
        transaction.generation,
        added=count,
        files_read=len(manifest.files),
        files_total=len(manifest.files),
        stale_lock=stale,
    )


def _feed_files(
    feeder: IndexFeeder,
    files: list[Path],
    manifest: Manifest,
    fmt: str | None,
    report: ReadReport,
    progress: Progress,
) -> int:
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    progress.start_indexing(sum(sizes), len(files))
    deduper = Deduper()
    done_bytes = 0
    count = 0
    for path, size in zip(files, sizes, strict=True):
        try:
            entry = stat_entry(path)
        except OSError as error:
            report.files_seen += 1
            report.add_problem(str(path), f"unreadable: {error.strerror or error}")
            continue
        consumed = 0
        # Rough text size of the file, for the ETA only (gzip'ed news is ~3x smaller).
        packed = path.name.lower().endswith((".gz", ".zip"))
        expected_chars = max(1.0, size * (3.0 if packed else 0.9))
        for article in read_kept(path, entry, fmt, deduper, report):
            feeder.add(article_to_document(article))
            count += 1
            consumed += len(article.title) + len(article.body)
            fraction = min(0.99, consumed / expected_chars)
            progress.update(count, done_bytes + fraction * size)
        manifest.files[str(path)] = entry
        done_bytes += size
        progress.update(count, done_bytes)
    return count


def optimize_index(
    index_dir: str | Path, *, wait: float = 0.0, progress: Progress | None = None
) -> BuildResult:
    """Merge the served generation's segments into one, as a new generation."""
    index_dir = Path(index_dir)
    progress = progress or Progress(quiet=True)
    started = time.perf_counter()
    with writer_lock(index_dir, wait=wait) as stale:
        remove_strays(index_dir)
        base, _previous = pointed_generations(index_dir)
        if base is None:
            raise FileNotFoundError(f"no index at {index_dir}; build one first")
        expected = verify_generation(base, None)
        with write_transaction(index_dir, base=base) as transaction:
            progress.phase(f"merging segments of {base.name}")
            announce("merging")
            transaction.commit(optimize=True)
            info = read_info(base)
            for key in ("built_at", "schema_version", "articles"):
                info.pop(key, None)
            transaction.publish(
                expected,
                progress,
                spelling=False,  # the clone keeps its base's model: the articles are the same
                **{**info, "command": "optimize", "based_on": base.name},
            )
    return BuildResult(
        expected, time.perf_counter() - started, transaction.generation, stale_lock=stale
    )
