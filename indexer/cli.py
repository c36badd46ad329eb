"""``python -m indexer``: the operator's commands, thin over `indexer.build_index`.

Exit status of ``build``: 0 = every input read and indexed; 3 = index built and
served, but some inputs were skipped (listed on stderr); 1 = nothing indexed (no
readable article) or the index is locked by another build; 2 = usage error.
"""

from __future__ import annotations

import os
import sys
import time

import click

from corpus.discover import READERS, read_paths
from corpus.report import ReadReport
from indexer.build import DEFAULT_LIMIT_MB, build_index
from indexer.generations import IndexBusy

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_PROBLEMS = 3


def default_index_dir() -> str:
    """``BROADSHEET_INDEX_DIR``, else ``var/index``."""
    return os.environ.get("BROADSHEET_INDEX_DIR") or "var/index"


class ProgressLine:
    """Live counter on a terminal; a plain line every few seconds elsewhere (CI logs)."""

    def __init__(self, interval: float = 5.0) -> None:
        self.started = time.perf_counter()
        self.is_tty = sys.stderr.isatty()
        self.interval = interval
        self.last_print = 0.0

    def __call__(self, count: int) -> None:
        now = time.perf_counter()
        elapsed = max(now - self.started, 1e-9)
        text = f"indexing: {count} articles, {count / elapsed:,.0f} articles/s"
        if self.is_tty:
            click.echo(f"\r{text}", nl=False, err=True)
        elif now - self.last_print >= self.interval:
            click.echo(text, err=True)
            self.last_print = now

    def finish(self) -> None:
        if self.is_tty:
            click.echo("", err=True)


@click.group()
def cli() -> None:
    """Build and maintain Broadsheet's search index."""


@cli.command("build")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--index",
    "index_dir",
    default=default_index_dir,
    show_default="$BROADSHEET_INDEX_DIR or var/index",
)
@click.option("--format", "fmt", type=click.Choice(sorted(READERS)), help="Force one input format.")
@click.option(
    "--limit-mb", default=DEFAULT_LIMIT_MB, show_default=True, help="Writer memory before a flush."
)
def build_command(paths: tuple[str, ...], index_dir: str, fmt: str | None, limit_mb: int) -> None:
    """Rebuild the index at --index from PATHS (files, folders, .gz, .zip)."""
    report = ReadReport()
    progress = ProgressLine()
    click.echo(f"reading {', '.join(paths)} into {index_dir}", err=True)
    try:
        result = build_index(
            read_paths(paths, report, fmt),
            index_dir,
            sources=paths,
            on_progress=progress,
            limit_mb=limit_mb,
        )
    except IndexBusy as error:
        progress.finish()
        click.echo(f"error: {error}; try again when it has finished", err=True)
        sys.exit(EXIT_FAILED)
    progress.finish()
    for problem in report.problems:
        click.echo(f"skipped: {problem.origin}: {problem.reason}", err=True)
    click.echo(
        f"indexed {result.articles} articles from {report.files_seen} files in "
        f"{result.seconds:.1f} s; {report.duplicates} duplicates dropped; "
        f"{len(report.problems)} problems",
        err=True,
    )
    if result.articles == 0:
        click.echo("error: no readable article found; the index is empty", err=True)
        sys.exit(EXIT_FAILED)
    sys.exit(EXIT_PROBLEMS if report.problems else EXIT_OK)
