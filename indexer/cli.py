"""``python -m indexer``: the operator's commands, thin over `indexer.whoosh.build` and friends.

Commands: ``build PATH...`` (full rebuild), ``update [PATH...]`` (incremental;
default PATHS are the ones the index was built from), ``optimize`` (merge
segments), ``stats [--json]``, ``check [--deep]``, ``recover`` (repair a damaged
``CURRENT``). Every writing command publishes a new generation atomically
(`indexer.generations`), so the web app keeps serving.

Exit statuses:

* ``build``/``update``: 0 = done, every input read; 3 = done and served, but some
  inputs were skipped (named on stderr); 1 = nothing written: no readable article
  (build), no index or no manifest (update), a given path missing or unreadable,
  more than ``--max-delete-percent`` of the served articles would go, ``CURRENT``
  or ``PREVIOUS`` damaged, another writer holds the lock (also after ``--wait``),
  verification or a worker failed; 2 = usage error; 130 = interrupted (the served
  index is unchanged).
* ``optimize``: 0 = done; 1 = no index, damaged pointers, lock busy or failure.
* ``stats``: 0; 1 = no index or damaged pointers.  ``check``: 0 = healthy;
  1 = unhealthy, damaged pointers or no index.  ``recover``: 0 = repaired or
  nothing to repair; 1 = no complete generation, or lock busy.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from corpus.discover import READERS
from corpus.report import ReadReport
from indexer.cli_common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    busy,
    fail,
    index_option,
    wait_option,
)
from indexer.errors import IndexerError
from indexer.generations import IndexBusy, current_generation
from indexer.guards import DEFAULT_MAX_DELETE, MAX_DELETE_ENV
from indexer.progress import Progress
from indexer.sources import Manifest
from indexer.whoosh.build import BuildResult, build_from_paths, optimize_index
from indexer.whoosh.pipeline import default_workers
from indexer.whoosh.transaction import DEFAULT_LIMIT_MB
from indexer.whoosh.update import update_from_paths

T = TypeVar("T")

#: Failures reported as one line, the served index unchanged (`IndexerError` carries
#: its exit status; an `OSError` is a failed read or write).
_FAILURES = (IndexerError, OSError)


def _run_writer(run: Callable[[], T], progress: Progress, report: ReadReport) -> T:
    """Run a writing command; expected failures become a message and an exit status
    (the served index is never touched by a failed run)."""
    try:
        result = run()
    except IndexBusy as error:
        progress.finish()
        busy(error)
    except KeyboardInterrupt:
        progress.finish()
        fail("interrupted; the served index is unchanged", EXIT_INTERRUPTED)
    except _FAILURES as error:
        progress.finish()
        for problem in report.problems:
            click.echo(f"skipped: {problem.origin}: {problem.reason}", err=True)
        fail(f"{error}; the served index is unchanged", _status(error))
    progress.finish()
    return result


def _status(error: BaseException) -> int:
    """The exit status for ``error`` (an `IndexerError`'s own, else 1)."""
    return error.exit_status if isinstance(error, IndexerError) else EXIT_FAILED


def _write_options(func: Callable[..., None]) -> Callable[..., None]:  # click decorator stack
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
    func = click.option(
        "--allow-mass-delete",
        is_flag=True,
        help="Publish even when more than --max-delete-percent of the served articles go.",
    )(func)
    func = click.option(
        "--max-delete-percent",
        type=click.FloatRange(min=0, max=100),
        default=100 * DEFAULT_MAX_DELETE,
        show_default=True,
        envvar=MAX_DELETE_ENV,
        show_envvar=True,
        help="Refuse (exit 1, nothing changed) a run that would remove more than this "
        "share of the served articles, as an unmounted source folder would.",
    )(func)
    return func


def _max_delete(percent: float, allow: bool) -> float | None:
    return None if allow else percent / 100


@click.group()
def cli() -> None:
    """Build and maintain Broadsheet's search index."""


def _note_stale_lock(result: BuildResult) -> None:
    if result.stale_lock:
        click.echo(
            f"note: an earlier writer was killed ({result.stale_lock}); "
            "its lock and leftovers were cleared",
            err=True,
        )


def _report_run(result: BuildResult, report: ReadReport, verb: str) -> None:
    _note_stale_lock(result)
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
@click.option(
    "--follow-links",
    is_flag=True,
    help="Follow links to files outside PATHS too (by default they are named and skipped).",
)
def build_command(
    paths: tuple[str, ...],
    index_dir: str,
    fmt: str | None,
    workers: int,
    limit_mb: int,
    wait: float,
    follow_links: bool,
    max_delete_percent: float,
    allow_mass_delete: bool,
) -> None:
    """Rebuild the index at --index from PATHS (files, folders, .gz, .zip).

    Over an existing index, a result lacking more than --max-delete-percent of
    the served articles is refused unless --allow-mass-delete is given.
    """
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
            follow_links=follow_links,
            max_delete=_max_delete(max_delete_percent, allow_mass_delete),
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
@click.option(
    "--follow-links/--no-follow-links",
    default=None,
    help="Follow links to files outside PATHS too [default: as the index was built].",
)
def update_command(
    paths: tuple[str, ...],
    index_dir: str,
    fmt: str | None,
    workers: int,
    limit_mb: int,
    wait: float,
    follow_links: bool | None,
    max_delete_percent: float,
    allow_mass_delete: bool,
) -> None:
    """Re-read only new and changed files under PATHS; delete articles of removed files.

    Without PATHS, the paths the index was built from are used (relative ones
    from the folder the build ran in). A missing or unreadable PATH stops the
    update; articles from unreadable folders and files under PATHS are kept; a
    run removing more than --max-delete-percent of the served articles is refused
    unless --allow-mass-delete is given.
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
            follow_links=follow_links,
            max_delete=_max_delete(max_delete_percent, allow_mass_delete),
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
        busy(error)
    except _FAILURES as error:
        fail(f"{error}; the served index is unchanged", _status(error))
    _note_stale_lock(result)
    click.echo(
        f"optimized: {result.articles} articles in one segment in {result.seconds:.1f} s; "
        f"serving {result.generation.name if result.generation else '?'}",
        err=True,
    )


def _register_extra_commands() -> None:
    """Looking and repairing, replica publishing and the Typesense and OpenSearch
    backends' commands live in their own modules."""
    from indexer.cli_health import register as register_health
    from indexer.opensearch.cli import register as register_opensearch
    from indexer.typesense.cli import register as register_typesense
    from indexer.whoosh.replicas import publish_command

    register_health(cli)
    cli.add_command(publish_command)
    register_typesense(cli)
    register_opensearch(cli)


_register_extra_commands()
