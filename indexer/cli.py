"""``python -m indexer``: the operator's commands, thin over `indexer.build` and friends.

Commands: ``build PATH...`` (full rebuild), ``update [PATH...]`` (incremental;
default PATHS are the ones the index was built from), ``optimize`` (merge
segments), ``stats [--json]``, ``check``. Every writing command publishes a new
generation atomically (`indexer.generations`), so the web app keeps serving.

Exit statuses:

* ``build``/``update``: 0 = done, every input read; 3 = done and served, but some
  inputs were skipped (named on stderr); 1 = nothing written: no readable article
  (build), no index or no manifest (update), another writer holds the lock (also
  after ``--wait``), verification or a worker failed; 2 = usage error;
  130 = interrupted (the served index is unchanged).
* ``optimize``: 0 = done; 1 = no index, lock busy or failure.
* ``stats``: 0; 1 = no index.  ``check``: 0 = healthy; 1 = unhealthy or no index.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from corpus.discover import READERS
from corpus.report import ReadReport
from indexer.build import (
    DEFAULT_LIMIT_MB,
    BuildResult,
    IndexVerificationError,
    NothingIndexed,
    build_from_paths,
    optimize_index,
)
from indexer.generations import IndexBusy, current_generation
from indexer.health import check_index, index_stats
from indexer.pipeline import WorkerFailed, default_workers
from indexer.progress import Progress, human_bytes
from indexer.sources import Manifest
from indexer.update import NoManifest, SourceChanged, update_from_paths

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PROBLEMS = 3
EXIT_INTERRUPTED = 130

T = TypeVar("T")

_FAILURES = (
    IndexVerificationError,
    NothingIndexed,
    WorkerFailed,
    SourceChanged,
    NoManifest,
    OSError,
)


def default_index_dir() -> str:
    """``BROADSHEET_INDEX_DIR``, else ``var/index``."""
    return os.environ.get("BROADSHEET_INDEX_DIR") or "var/index"


def _fail(message: str, status: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def _run_writer(run: Callable[[], T], progress: Progress, report: ReadReport) -> T:
    """Run a writing command; expected failures become a message and an exit status
    (the served index is never touched by a failed run)."""
    try:
        result = run()
    except IndexBusy as error:
        progress.finish()
        _busy(error)
    except KeyboardInterrupt:
        progress.finish()
        _fail("interrupted; the served index is unchanged", EXIT_INTERRUPTED)
    except _FAILURES as error:
        progress.finish()
        for problem in report.problems:
            click.echo(f"skipped: {problem.origin}: {problem.reason}", err=True)
        _fail(f"{error}; the served index is unchanged")
    progress.finish()
    return result


def _busy(error: IndexBusy) -> NoReturn:
    _fail(f"{error}; try again when it has finished, or pass --wait SECONDS")


index_option = click.option(
    "--index",
    "index_dir",
    default=default_index_dir,
    show_default="$BROADSHEET_INDEX_DIR or var/index",
    help="Index folder (holds CURRENT and the generations).",
)
wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for a running build/update to finish before giving up.",
)


def _write_options(func):  # noqa: ANN001, ANN202 - click decorator stack
    func = click.option(
        "--limit-mb",
        type=click.IntRange(min=16),
        default=DEFAULT_LIMIT_MB,
        show_default=True,
        help="Memory knob: MB of postings each writer process buffers before spilling "
        "a sorted run to disk. Peak RSS is about workers x (limit-mb + 120 MB).",
    )(func)
    func = click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=default_workers,
        show_default="number of CPUs",
        help="Indexing processes; 1 indexes in this process.",
    )(func)
    func = click.option(
        "--format", "fmt", type=click.Choice(sorted(READERS)), help="Force one input format."
    )(func)
    return func


@click.group()
def cli() -> None:
    """Build and maintain Broadsheet's search index."""


def _report_run(result: BuildResult, report: ReadReport, verb: str) -> None:
    if result.stale_lock:
        click.echo(
            f"note: an earlier writer was killed ({result.stale_lock}); "
            "its lock and leftovers were cleared",
            err=True,
        )
    for problem in report.problems:
        click.echo(f"skipped: {problem.origin}: {problem.reason}", err=True)
    rate = result.added / result.seconds if result.seconds else 0.0
    click.echo(
        f"{verb}: {result.articles} articles in the index; {result.added} added, "
        f"{result.deleted} deleted; {result.files_read} of {result.files_total} files read; "
        f"{report.duplicates} duplicates dropped; {len(report.problems)} problems; "
        f"{result.seconds:.1f} s ({rate:,.0f} articles/s)"
        + (f"; serving {result.generation.name}" if result.generation else ""),
        err=True,
    )


@cli.command("build")
@click.argument("paths", nargs=-1, required=True)
@index_option
@_write_options
@wait_option
def build_command(
    paths: tuple[str, ...],
    index_dir: str,
    fmt: str | None,
    workers: int,
    limit_mb: int,
    wait: float,
) -> None:
    """Rebuild the index at --index from PATHS (files, folders, .gz, .zip)."""
    report = ReadReport()
    progress = Progress()
    click.echo(f"reading {', '.join(paths)} into {index_dir} ({workers} workers)", err=True)
    result = _run_writer(
        lambda: build_from_paths(
            paths,
            index_dir,
            report,
            fmt=fmt,
            progress=progress,
            workers=workers,
            limit_mb=limit_mb,
            wait=wait,
        ),
        progress,
        report,
    )
    # Same summary wording as before this command grew `update`.
    _report_run(result, report, "done")
    click.echo(
        f"indexed {result.articles} articles from {report.files_seen} files in "
        f"{result.seconds:.1f} s",
        err=True,
    )
    sys.exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


@cli.command("update")
@click.argument("paths", nargs=-1)
@index_option
@_write_options
@wait_option
def update_command(
    paths: tuple[str, ...],
    index_dir: str,
    fmt: str | None,
    workers: int,
    limit_mb: int,
    wait: float,
) -> None:
    """Re-read only new and changed files under PATHS; delete articles of removed files.

    Without PATHS, the paths the index was built from are used (relative ones
    from the folder the build ran in).
    """
    index = Path(index_dir).resolve()
    if not paths:
        generation = current_generation(index)
        manifest = Manifest.load(generation) if generation else None
        if manifest and manifest.cwd and Path(manifest.cwd).is_dir():
            os.chdir(manifest.cwd)
    report = ReadReport()
    progress = Progress()
    result = _run_writer(
        lambda: update_from_paths(
            list(paths) or None,
            index,
            report,
            fmt=fmt,
            progress=progress,
            workers=workers,
            limit_mb=limit_mb,
            wait=wait,
        ),
        progress,
        report,
    )
    _report_run(result, report, "updated")
    sys.exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


@cli.command("optimize")
@index_option
@wait_option
def optimize_command(index_dir: str, wait: float) -> None:
    """Merge the index's segments into one (as a new generation, swapped in)."""
    progress = Progress()
    try:
        result = optimize_index(Path(index_dir), wait=wait, progress=progress)
    except IndexBusy as error:
        _busy(error)
    except (FileNotFoundError, *_FAILURES) as error:
        _fail(f"{error}; the served index is unchanged")
    click.echo(
        f"optimized: {result.articles} articles in one segment in {result.seconds:.1f} s; "
        f"serving {result.generation.name if result.generation else '?'}",
        err=True,
    )


@cli.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def stats_command(index_dir: str, as_json: bool) -> None:
    """Article count, date range, top tags and sources, size, segments, build info."""
    try:
        stats = index_stats(Path(index_dir))
    except FileNotFoundError as error:
        _fail(str(error))
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    dates = stats["date_range"]
    segments = stats["segments"]
    lines = [
        f"index       {stats['index_dir']} ({stats['generation']})",
        f"articles    {stats['articles']:,}",
        f"dates       {dates['first']} .. {dates['last']} ({dates['undated']} undated)",
        f"size        {human_bytes(stats['index_bytes'])} in {len(segments)} segment(s), "
        f"{sum(s['deleted'] for s in segments)} deleted documents not yet merged away",
        f"built       {stats['built_at']} by `{stats['command']}`"
        + (f" from {stats['based_on']}" if stats["based_on"] else ""),
        f"sources     {', '.join(stats['sources']) or '(not recorded)'}"
        + (f" ({stats['source_files']} files)" if stats["source_files"] is not None else ""),
        "top tags    "
        + (", ".join(f"{t['value']} ({t['count']})" for t in stats["top_tags"]) or "-"),
        "top sources "
        + (", ".join(f"{s['value']} ({s['count']})" for s in stats["top_sources"]) or "-"),
    ]
    click.echo("\n".join(lines))


@cli.command("check")
@index_option
def check_command(index_dir: str) -> None:
    """Open the served index, read every document back, say healthy or not."""
    result = check_index(Path(index_dir))
    for note in result.notes:
        click.echo(f"note: {note}")
    if result.healthy:
        click.echo(f"healthy: {index_dir} ({result.generation}), {result.articles} articles")
        return
    for problem in result.problems:
        click.echo(f"problem: {problem}")
    click.echo(f"UNHEALTHY: {index_dir} ({result.generation or 'no generation'})")
    sys.exit(EXIT_FAILED)


def _register_extra_commands() -> None:
    """Replica publishing and the Typesense backend's commands live in their own modules."""
    from indexer.replicas import publish_command
    from indexer.typesense_cli import register as register_typesense

    cli.add_command(publish_command)
    register_typesense(cli)


_register_extra_commands()
