"""Incremental updates: re-read only what changed, as a new generation.

`update_from_paths` compares the source files under PATHS with the served
generation's manifest (`indexer.sources`):

1. size and mtime equal -> unchanged, not read; otherwise the SHA-256 decides;
2. new and changed files are read once to learn their ``[id, duplicate key]`` list;
3. the duplicate rule of a full rebuild is replayed over all files in order,
   from the manifest for unchanged files, so an article that was a duplicate of
   a now removed or changed article is indexed from its own file, as a rebuild
   would (such a file is read again too);
4. in a clone of the served generation (hard links), the articles of removed,
   changed and re-read files are deleted by id, the kept articles of changed,
   new and re-read files added, then the result is verified against the count
   the manifest predicts and published atomically.

Places the walk could not see (an unreadable folder or file, `corpus.walk.Unreadable`)
keep the manifest entries of the files under them, so their articles stay indexed
and the problem is named; a missing or unreadable given path stops the update, and
so does a result that would lack more than ``max_delete`` of the served articles
(`indexer.guards`).

The served generation is never written to, so a crash at any point leaves it
intact. When nothing changed, no generation is written.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpus.article import Article
from corpus.discover import Deduper, duplicate_key
from corpus.report import ReadReport
from corpus.walk import Unreadable
from indexer.errors import IndexerError
from indexer.generations import pointed_generations, remove_strays, writer_lock
from indexer.guards import (
    DEFAULT_MAX_DELETE,
    SourceMissing,
    refuse_mass_deletion,
    refuse_missing_sources,
    removed_articles,
)
from indexer.phases import announce
from indexer.progress import Progress
from indexer.sources import (
    FileEntry,
    Manifest,
    list_files,
    read_file,
    stat_entry,
    unchanged,
)
from indexer.spelling_update import SpellingChange
from indexer.whoosh.build import BuildResult
from indexer.whoosh.pipeline import IndexFeeder
from indexer.whoosh.schema import SCHEMA_VERSION, article_to_document
from indexer.whoosh.transaction import (
    DEFAULT_LIMIT_MB,
    read_info,
    stored_articles_of,
    write_transaction,
)


class NoManifest(IndexerError, RuntimeError):
    """The served index has no manifest (never built from files) or was built with
    another schema version; run a build."""


class SourceChanged(IndexerError, RuntimeError):
    """A file changed while the update was reading it; run the update again."""


@dataclass(slots=True)
class UpdatePlan:
    """What an update will do, decided before anything is written."""

    manifest: Manifest
    to_read: list[Path] = field(default_factory=list)
    delete_ids: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added_files: list[str] = field(default_factory=list)
    refreshed: bool = False

    def is_noop(self) -> bool:
        """True when the index and the manifest need no change at all."""
        return not (self.to_read or self.delete_ids or self.removed or self.refreshed)


def _probe(path: Path, fmt: str | None) -> FileEntry:
    entry = stat_entry(path)
    entry.articles = [(a.id, duplicate_key(a)) for a in read_file(path, fmt, ReadReport())]
    return entry


def _keep_unseen(
    old: Manifest, new: Manifest, item: Unreadable, report: ReadReport, unseen: dict[str, str]
) -> None:
    """Carry the old entries of every file at or under ``item`` into ``new`` (in walk
    order, so duplicates resolve as before) and name ``item`` in ``report``."""
    key = str(item.path)
    prefix = key.rstrip("/") + "/"
    under = [k for k in old.files if (k == key or k.startswith(prefix)) and k not in new.files]
    for name in under:
        entry = old.files[name]
        new.files[name] = FileEntry(entry.size, entry.mtime_ns, entry.sha256, entry.articles, [])
        unseen[name] = item.reason
    kept = sum(len(old.files[name].kept) for name in under)
    report.add_problem(
        key, f"{item.reason}: its {kept} indexed article(s) kept" if under else item.reason
    )


def plan_update(
    old: Manifest,
    paths: list[str],
    fmt: str | None,
    report: ReadReport,
    *,
    follow_links: bool = False,
) -> UpdatePlan:
    """Compare the files under ``paths`` with ``old`` and decide what to read and delete.

    Raises `indexer.guards.SourceMissing` when a path in ``paths`` is missing or
    unreadable, or when an unreadable file would have to be read again.
    """
    items = list_files(paths, report, follow_links=follow_links)
    refuse_missing_sources(items, "update")
    new = Manifest(sources=paths, fmt=fmt, cwd=old.cwd, follow_links=follow_links)
    plan = UpdatePlan(manifest=new)
    dirty: set[str] = set()
    unseen: dict[str, str] = {}  # files kept from ``old`` without being seen: why
    for item in items:
        if isinstance(item, Unreadable):
            _keep_unseen(old, new, item, report, unseen)
            continue
        key = str(item)
        previous = old.files.get(key)
        try:
            entry = unchanged(item, previous)
            probed = entry is None
            if entry is None:
                entry = _probe(item, fmt)
        except OSError as error:
            reason = f"unreadable: {error.strerror or error}"
            _keep_unseen(old, new, Unreadable(item, reason), report, unseen)
            continue
        if probed:
            dirty.add(key)
            (plan.changed if previous is not None else plan.added_files).append(key)
        else:
            if entry is not previous:
                plan.refreshed = True  # same bytes, new mtime: remember the new mtime
            # A copy: `kept` is recomputed below and compared with the old one.
            entry = FileEntry(entry.size, entry.mtime_ns, entry.sha256, entry.articles, [])
        new.files[key] = entry
    plan.removed = [key for key in old.files if key not in new.files]
    if [k for k in old.files if k in new.files] != [k for k in new.files if k in old.files]:
        plan.refreshed = True  # order of files changed: the manifest must follow
    deduper = Deduper()
    for key, entry in new.files.items():
        entry.kept = [
            i for i, (aid, fp) in enumerate(entry.articles) if deduper.offer(aid, fp) is None
        ]
        previous = old.files.get(key)
        if previous is not None and key not in dirty and previous.kept != entry.kept:
            if key in unseen:
                raise SourceMissing(
                    f"{key} cannot be read ({unseen[key]}), but duplicates it shares with "
                    "changed files now resolve differently and it must be read again"
                )
            dirty.add(key)  # duplicates resolve differently now: index this file again
    for key in plan.removed:
        plan.delete_ids.extend(old.files[key].kept_ids())
    for key in new.files:
        if key in dirty:
            if key in old.files:
                plan.delete_ids.extend(old.files[key].kept_ids())
            plan.to_read.append(Path(key))
    return plan


def update_from_paths(
    paths: list[str] | None,
    index_dir: str | Path,
    report: ReadReport,
    *,
    fmt: str | None = None,
    progress: Progress | None = None,
    limit_mb: int = DEFAULT_LIMIT_MB,
    workers: int = 1,
    wait: float = 0.0,
    follow_links: bool | None = None,
    max_delete: float | None = DEFAULT_MAX_DELETE,
) -> BuildResult:
    """Bring the index in line with the files under ``paths`` (default: the recorded sources).

    ``fmt`` and ``follow_links`` default to what the served index was built with.
    Raises `NoManifest` when the served index was not built from files,
    `FileNotFoundError` when there is no index, `indexer.generations.IndexBusy`
    when another writer runs, `indexer.generations.DamagedPointer` when CURRENT or
    PREVIOUS is damaged, `SourceChanged` when a file changes mid-update,
    `indexer.guards.SourceMissing` when a path is missing or unreadable and
    `indexer.guards.MassDeletion` when more than ``max_delete`` (a fraction; None:
    any) of the served articles would be removed.
    """
    index_dir = Path(index_dir)
    progress = progress or Progress(quiet=True)
    started = time.perf_counter()
    with writer_lock(index_dir, wait=wait) as stale:
        removed = remove_strays(index_dir)
        if removed:
            progress.phase(f"removed {len(removed)} leftover(s) of an interrupted run")
        base, _previous = pointed_generations(index_dir)
        if base is None:
            raise FileNotFoundError(f"no index at {index_dir}; run `indexer build` first")
        old = Manifest.load(base)
        if old is None:
            raise NoManifest(f"{base} has no manifest.json; rebuild it with `indexer build`")
        version = read_info(base).get("schema_version")
        if version != SCHEMA_VERSION:  # other fields, another duplicate rule: rebuild
            raise NoManifest(
                f"{base} has schema version {version} but this code needs {SCHEMA_VERSION}; "
                "rebuild it with `indexer build`"
            )
        paths = [str(p) for p in paths] if paths else list(old.sources)
        fmt = fmt if fmt is not None else old.fmt
        follow_links = old.follow_links if follow_links is None else follow_links
        progress.phase(f"comparing {len(old.files)} known file(s) with {', '.join(paths)}")
        announce("reading")
        plan = plan_update(old, paths, fmt, report, follow_links=follow_links)
        lost, served = removed_articles(old.article_ids(), plan.manifest.article_ids())
        refuse_mass_deletion("update", lost, served, max_delete)
        total = plan.manifest.article_count()
        if plan.is_noop():
            progress.phase("index is up to date: nothing changed")
            return BuildResult(
                total,
                time.perf_counter() - started,
                base,
                files_total=len(plan.manifest.files),
                stale_lock=stale,
            )
        with write_transaction(
            index_dir, base=base, workers=workers, limit_mb=limit_mb
        ) as transaction:
            change = SpellingChange(base, served)
            if not change.too_many(len(plan.delete_ids)):
                for title, body in stored_articles_of(base, plan.delete_ids):
                    change.remove(title, body)
            progress.phase(f"deleting {len(plan.delete_ids)} article(s) of changed files")
            announce("deleting")
            deleted = transaction.feeder.delete_ids(plan.delete_ids)
            added = _add_files(transaction.feeder, plan, fmt, report, progress, change)
            progress.end_indexing()
            transaction.commit(merge=True, on_phase=progress.phase)
            transaction.publish(
                total,
                progress,
                manifest=plan.manifest,
                spelling=change,
                command="update",
                sources=paths,
                based_on=base.name,
                built_from=read_info(base).get("built_at"),
                changes={
                    "added_files": len(plan.added_files),
                    "changed_files": len(plan.changed),
                    "removed_files": len(plan.removed),
                    "articles_added": added,
                    "articles_deleted": deleted,
                },
                workers=workers,
                seconds=round(time.perf_counter() - started, 2),
            )
    return BuildResult(
        total,
        time.perf_counter() - started,
        transaction.generation,
        added=added,
        deleted=deleted,
        files_read=len(plan.to_read),
        files_total=len(plan.manifest.files),
        stale_lock=stale,
    )


def _add_files(
    feeder: IndexFeeder,
    plan: UpdatePlan,
    fmt: str | None,
    report: ReadReport,
    progress: Progress,
    change: SpellingChange,
) -> int:
    sizes = [plan.manifest.files[str(path)].size for path in plan.to_read]
    progress.start_indexing(sum(sizes), len(plan.to_read))
    done = 0
    count = 0
    for path, size in zip(plan.to_read, sizes, strict=True):
        entry = plan.manifest.files[str(path)]
        expected = list(entry.articles)
        kept = set(entry.kept)  # decided over all files by `plan_update`
        check = FileEntry(entry.size, entry.mtime_ns, entry.sha256)
        # Within a file, the share of its articles read so far stands for its bytes.
        share = size / max(1, len(expected))
        for position, article in enumerate(_read_all(path, fmt, report, check)):
            if position in kept:
                feeder.add(article_to_document(article))
                change.add(article.title, article.body)
                count += 1
                progress.update(count, done + min(size, (position + 1) * share))
        if check.articles != expected:
            raise SourceChanged(f"{path} changed while it was read; run the update again")
        done += size
        progress.update(count, done)
    return count


def _read_all(
    path: Path, fmt: str | None, report: ReadReport, entry: FileEntry
) -> Iterator[Article]:
    """Every article of ``path`` in reader order (duplicates included), recording ids."""
    for article in read_file(path, fmt, report):
        entry.articles.append((article.id, duplicate_key(article)))
        yield article


__all__ = ["NoManifest", "SourceChanged", "UpdatePlan", "plan_update", "update_from_paths"]
