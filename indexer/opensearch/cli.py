"""``python -m indexer build-opensearch|update-opensearch|delete-opensearch``: OpenSearch writes.

Wire into the indexer CLI with ``register(cli)``. The nodes default to
``BROADSHEET_OPENSEARCH_NODES``; the alias to ``BROADSHEET_OPENSEARCH_ALIAS`` or
``broadsheet``; a build's shards and replicas to ``BROADSHEET_OPENSEARCH_SHARDS`` and
``BROADSHEET_OPENSEARCH_REPLICAS`` or 1 and 1.

Exit status: 0 all inputs read; 3 written but some inputs were skipped; 1 nothing
indexable, or OpenSearch refused or could not be reached (one line on stderr, the
served articles unchanged by a failed build); 2 usage error.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

import click

from corpus.discover import READERS, read_paths
from corpus.report import ReadReport
from indexer.opensearch.bulk import OpenSearchWriteError, check_alias
from indexer.opensearch.schema import (
    DEFAULT_ALIAS,
    DEFAULT_REPLICAS,
    DEFAULT_SHARDS,
    DEFAULT_YEARS_PER_INDEX,
    make_client,
)
from indexer.opensearch.writer import (
    DEFAULT_BATCH_SIZE,
    WRITE_TIMEOUT,
    delete_articles,
    rebuild,
    upsert_articles,
)

EXIT_OK, EXIT_FAILED, EXIT_PROBLEMS = 0, 1, 3


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else default


def _options(function: Callable[..., None]) -> Callable[..., None]:  # click decorator stack
    function = click.option(
        "--alias",
        default=lambda: os.environ.get("BROADSHEET_OPENSEARCH_ALIAS") or DEFAULT_ALIAS,
        show_default="$BROADSHEET_OPENSEARCH_ALIAS or broadsheet",
        help="The alias searches read (its indices are <alias>-g<build>-<year>).",
    )(function)
    return click.option(
        "--nodes",
        default=lambda: os.environ.get("BROADSHEET_OPENSEARCH_NODES", ""),
        show_default="$BROADSHEET_OPENSEARCH_NODES",
        help="host:port,host:port,... of the OpenSearch nodes.",
    )(function)


def _client(nodes: str, alias: str) -> Any:
    if not nodes:
        raise click.UsageError("--nodes (or $BROADSHEET_OPENSEARCH_NODES) is needed")
    try:
        check_alias(alias)
        return make_client(nodes, timeout=WRITE_TIMEOUT)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _failed(error: OpenSearchWriteError, report: ReadReport | None = None) -> NoReturn:
    for problem in report.problems if report else ():
        click.echo(f"skipped: {problem.origin}: {problem.reason}", err=True)
    click.echo(f"error: {error}", err=True)
    sys.exit(EXIT_FAILED)


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


@click.command("build-opensearch")
@click.argument("paths", nargs=-1, required=True)
@_options
@click.option(
    "--shards",
    type=click.IntRange(min=1),
    default=lambda: _env_int("BROADSHEET_OPENSEARCH_SHARDS", DEFAULT_SHARDS),
    show_default=f"$BROADSHEET_OPENSEARCH_SHARDS or {DEFAULT_SHARDS}",
    help="Primary shards of each index.",
)
@click.option(
    "--replicas",
    type=click.IntRange(min=0),
    default=lambda: _env_int("BROADSHEET_OPENSEARCH_REPLICAS", DEFAULT_REPLICAS),
    show_default=f"$BROADSHEET_OPENSEARCH_REPLICAS or {DEFAULT_REPLICAS}",
    help="Replicas of each shard.",
)
@click.option(
    "--years-per-index",
    type=click.IntRange(min=1, max=1000),
    default=lambda: _env_int("BROADSHEET_OPENSEARCH_YEARS_PER_INDEX", DEFAULT_YEARS_PER_INDEX),
    show_default=f"$BROADSHEET_OPENSEARCH_YEARS_PER_INDEX or {DEFAULT_YEARS_PER_INDEX}",
    help="Years of articles per index (more for an archive too small for an index a year).",
)
@click.option("--format", "fmt", type=click.Choice(sorted(READERS)), help="Force one format.")
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH_SIZE)
def build_opensearch(
    paths: tuple[str, ...],
    nodes: str,
    alias: str,
    shards: int,
    replicas: int,
    years_per_index: int,
    fmt: str | None,
    batch_size: int,
) -> None:
    """Rebuild the indices behind --alias from PATHS, then move the alias onto them."""
    client = _client(nodes, alias)
    report = ReadReport()
    started = time.perf_counter()
    try:
        result = rebuild(
            client,
            read_paths(paths, report, fmt),
            alias=alias,
            shards=shards,
            replicas=replicas,
            years_per_index=years_per_index,
            batch_size=batch_size,
        )
    except OpenSearchWriteError as error:
        _failed(error, report)
    finally:
        client.close()
    click.echo(
        f"alias {alias} -> {', '.join(result.indices)}; {result.grouped} articles in "
        f"near-duplicate stories; {len(result.dropped)} old indices deleted",
        err=True,
    )
    _finish(report, result.articles, "indexed", started)


@click.command("update-opensearch")
@click.argument("paths", nargs=-1, required=True)
@_options
@click.option("--format", "fmt", type=click.Choice(sorted(READERS)), help="Force one format.")
def update_opensearch(paths: tuple[str, ...], nodes: str, alias: str, fmt: str | None) -> None:
    """Add or replace (by id) the articles of PATHS in the build --alias serves."""
    client = _client(nodes, alias)
    report = ReadReport()
    started = time.perf_counter()
    try:
        count = upsert_articles(client, alias, read_paths(paths, report, fmt))
    except OpenSearchWriteError as error:
        _failed(error, report)
    finally:
        client.close()
    _finish(report, count, "upserted", started)


@click.command("delete-opensearch")
@click.argument("ids", nargs=-1, required=True)
@_options
def delete_opensearch(ids: tuple[str, ...], nodes: str, alias: str) -> None:
    """Delete the articles with these IDS from the indices behind --alias."""
    client = _client(nodes, alias)
    try:
        deleted = delete_articles(client, alias, ids)
    except OpenSearchWriteError as error:
        _failed(error)
    finally:
        client.close()
    click.echo(f"deleted {deleted} of {len(set(ids))} articles", err=True)


COMMANDS = (build_opensearch, update_opensearch, delete_opensearch)


def register(group: click.Group) -> None:
    """Add the OpenSearch commands to the indexer's click group."""
    for command in COMMANDS:
        group.add_command(command)


@click.group()
def cli() -> None:
    """Broadsheet's OpenSearch writer (also reachable through ``python -m indexer``)."""


register(cli)

if __name__ == "__main__":
    cli()
