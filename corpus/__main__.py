"""``python -m corpus inspect PATH [--format FMT] [--json]``: see what the readers make of files."""

from __future__ import annotations

import json
import sys

import click

from corpus.discover import READERS, read_paths
from corpus.report import ReadReport


@click.group()
def cli() -> None:
    """Read news files into Article records without indexing them."""


@cli.command("inspect")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(sorted(READERS)), help="Force a format.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per article on stdout.")
def inspect_command(paths: tuple[str, ...], fmt: str | None, as_json: bool) -> None:
    """Print each parsed article; problems go to stderr as JSON lines."""
    report = ReadReport()
    for article in read_paths(paths, report, fmt):
        if as_json:
            click.echo(json.dumps(article.to_json_dict(), ensure_ascii=False))
        else:
            date = article.date.isoformat() if article.date else "no date"
            click.echo(f"{article.id}\t{date}\t{article.title}")
    for problem in report.problems:
        click.echo(problem.to_json(), err=True)
    click.echo(report.summary(), err=True)
    sys.exit(0 if not report.problems else 3)


if __name__ == "__main__":
    cli()
