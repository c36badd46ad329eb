"""``python -m indexer stats|check|recover``: looking at an index, and repairing its pointers.

Wired into the indexer CLI with ``register(cli)``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from indexer.cli_common import EXIT_FAILED, busy, fail, index_option, wait_option
from indexer.generations import DamagedPointer, IndexBusy
from indexer.progress import human_bytes
from indexer.recover import NothingToRecover, recover_index
from indexer.whoosh.health import check_index, index_stats


@click.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def stats_command(index_dir: str, as_json: bool) -> None:
    """Article count, date range, top tags and sources, size, segments, build info."""
    try:
        stats = index_stats(Path(index_dir))
    except (FileNotFoundError, DamagedPointer) as error:
        fail(str(error))
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


@click.command("check")
@index_option
@click.option(
    "--deep",
    is_flag=True,
    help="Also read every posting block and column (Reuters-21578: 15 s instead of 2.6 s); "
    "run it after a build or update, and when searches fail.",
)
def check_command(index_dir: str, deep: bool) -> None:
    """Open the served index, read every document back, say healthy or not."""
    result = check_index(Path(index_dir), deep=deep)
    for note in result.notes:
        click.echo(f"note: {note}")
    if result.healthy:
        click.echo(
            f"healthy: {index_dir} ({result.generation}), {result.articles} articles"
            + ("" if deep else "; posting lists not read (`check --deep` reads every block)")
        )
        return
    for problem in result.problems:
        click.echo(f"problem: {problem}")
    click.echo(f"UNHEALTHY: {index_dir} ({result.generation or 'no generation'})")
    sys.exit(EXIT_FAILED)


@click.command("recover")
@index_option
@wait_option
def recover_command(index_dir: str, wait: float) -> None:
    """Repair a damaged CURRENT/PREVIOUS: point CURRENT at the newest complete generation.

    Checks the generation folders newest first as `check --deep` does; deletes
    nothing. Does nothing when the pointers are sound.
    """
    try:
        result = recover_index(Path(index_dir), wait=wait)
    except IndexBusy as error:
        busy(error)
    except (NothingToRecover, OSError) as error:
        fail(str(error))
    if not result.repaired:
        click.echo(f"nothing to recover: CURRENT names {result.current}", err=True)
        return
    for rejected in result.rejected:
        click.echo(f"passed over: {rejected}", err=True)
    click.echo(
        f"recovered: {result.damage}; CURRENT now names {result.current}"
        + (f", PREVIOUS {result.previous}" if result.previous else ", no PREVIOUS"),
        err=True,
    )


def register(group: click.Group) -> None:
    """Add ``stats``, ``check`` and ``recover`` to the indexer's click group."""
    for command in (stats_command, check_command, recover_command):
        group.add_command(command)
