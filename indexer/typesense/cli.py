"""``python -m indexer build-typesense|update-typesense|delete-typesense``: Typesense writes.

Wire into the indexer CLI with ``register(cli)``. Nodes and key default to
``BROADSHEET_TYPESENSE_NODES`` and ``BROADSHEET_TYPESENSE_API_KEY``; the alias to
``BROADSHEET_TYPESENSE_ALIAS`` or ``broadsheet``.

Exit status: 0 all inputs read; 3 written but some inputs were skipped; 1 nothing
indexable, or Typesense refused or could not be reached; 2 usage error.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import click

from corpus.discover import READERS, read_paths
from corpus.report import ReadReport
from indexer.typesense.http import TypesenseError, TypesenseHttp
from indexer.typesense.schema import DEFAULT_ALIAS, make_client
from indexer.typesense.writer import (
    DEFAULT_BATCH_SIZE,
    TypesenseImportError,
    delete_articles,
    rebuild,
    upsert_articles,
)

EXIT_OK, EXIT_FAILED, EXIT_PROBLEMS = 0, 1, 3


def _options(function: Callable[..., None]) -> Callable[..., None]:  # click decorator stack
    function = click.option(
        "--alias",
        default=lambda: os.environ.get("BROADSHEET_TYPESENSE_ALIAS") or DEFAULT_ALIAS,
        show_default="$BROADSHEET_TYPESENSE_ALIAS or broadsheet",
    )(function)
    function = click.option(
        "--api-key",
        default=lambda: os.environ.get("BROADSHEET_TYPESENSE_API_KEY", ""),
        show_default="$BROADSHEET_TYPESENSE_API_KEY",
    )(function)
    return click.option(
        "--nodes",
        default=lambda: os.environ.get("BROADSHEET_TYPESENSE_NODES", ""),
        show_default="$BROADSHEET_TYPESENSE_NODES",
        help="host:port,host:port,... of the Typesense nodes.",
    )(function)


def _client(nodes: str, api_key: str) -> TypesenseHttp:
    if not nodes or not api_key:
        raise click.UsageError("--nodes and --api-key (or their environment variables) are needed")
    try:
        return make_client(nodes, api_key, timeout=60.0)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _finish(report: ReadReport, count: int, verb: str, started: float) -> None:
    for problem in report.problems:
        click.echo(f"skipped: {problem.origin}: {problem.reason}", err=True)
    seconds = time.perf_counter() - started
    click.echo(
        f"{verb} {count} articles from {report.files_seen} files in {seconds:.1f} s "
        f"({count / max(seconds, 1e-9):,.0f} articles/s); {len(report.problems)} problems",
        err=True,
    )
    if count == 0:
        click.echo("error: no readable article found", err=True)
        sys.exit(EXIT_FAILED)
    sys.exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


@click.command("build-typesense")
@click.argument("paths", nargs=-1, required=True)
@_options
@click.option("--format", "fmt", type=click.Choice(sorted(READERS)), help="Force one format.")
@click.option("--batch-size", default=DEFAULT_BATCH_SIZE, show_default=True)
def build_typesense(
    paths: tuple[str, ...], nodes: str, api_key: str, alias: str, fmt: str | None, batch_size: int
) -> None:
    """Rebuild the Typesense collection behind --alias from PATHS, then swap the alias."""
    client = _client(nodes, api_key)
    report = ReadReport()
    started = time.perf_counter()
    try:
        result = rebuild(client, read_paths(paths, report, fmt), alias=alias, batch_size=batch_size)
    except (TypesenseError, TypesenseImportError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_FAILED)
    finally:
        client.close()
    click.echo(
        f"alias {alias} -> {result.collection}"
        + (f" (dropped {result.dropped})" if result.dropped else ""),
        err=True,
    )
    _finish(report, result.articles, "indexed", started)


@click.command("update-typesense")
@click.argument("paths", nargs=-1, required=True)
@_options
@click.option("--format", "fmt", type=click.Choice(sorted(READERS)), help="Force one format.")
def update_typesense(
    paths: tuple[str, ...], nodes: str, api_key: str, alias: str, fmt: str | None
) -> None:
    """Add or replace (by id) the articles of PATHS in the served collection."""
    client = _client(nodes, api_key)
    report = ReadReport()
    started = time.perf_counter()
    try:
        count = upsert_articles(client, read_paths(paths, report, fmt), alias=alias)
    except (TypesenseError, TypesenseImportError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_FAILED)
    finally:
        client.close()
    _finish(report, count, "upserted", started)


@click.command("delete-typesense")
@click.argument("ids", nargs=-1, required=True)
@_options
def delete_typesense(ids: tuple[str, ...], nodes: str, api_key: str, alias: str) -> None:
    """Delete the articles with these IDS from the served collection."""
    client = _client(nodes, api_key)
    try:
        deleted = delete_articles(client, ids, alias=alias)
    except TypesenseError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_FAILED)
    finally:
        client.close()
    click.echo(f"deleted {deleted} of {len(set(ids))} articles", err=True)


COMMANDS = (build_typesense, update_typesense, delete_typesense)


def register(group: click.Group) -> None:
    """Add the Typesense commands to the indexer's click group."""
    for command in COMMANDS:
        group.add_command(command)


@click.group()
def cli() -> None:
    """Broadsheet's Typesense writer (also reachable through ``python -m indexer``)."""


register(cli)

if __name__ == "__main__":
    cli()
