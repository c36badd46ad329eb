"""Corpus command line.

* ``python -m corpus inspect PATH... [--format FMT] [--json] [--problems-json FILE]``:
  see what the readers make of files; problems go to stderr as JSON lines (and to
  FILE when given), then a summary. Exit status 0 when nothing went wrong, 3 when
  problems were reported.
* ``python -m corpus evaluate-html FOLDER [--json] [--verbose] [--workers N]``: score
  the HTML reader on pages with expected answers (see `corpus.evaluate`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
@click.option(
    "--problems-json",
    "problems_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the problems to this file, one JSON object a line.",
)
def inspect_command(
    paths: tuple[str, ...], fmt: str | None, as_json: bool, problems_file: str | None
) -> None:
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
    if problems_file:
        Path(problems_file).write_text(report.problems_jsonl(), encoding="utf-8")
    click.echo(report.summary(), err=True)
    sys.exit(0 if not report.problems else 3)


@cli.command("evaluate-html")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--verbose", "-v", is_flag=True, help="One line per page.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Processes for the all-cores throughput (default: every CPU; 0 skips it).",
)
def evaluate_html_command(folder: Path, as_json: bool, verbose: bool, workers: int | None) -> None:
    """Score body, title, date, author and language on FOLDER/*/source.html."""
    from corpus.evaluate import evaluate_folder, format_result

    result = evaluate_folder(folder, workers=workers)
    if not result.pages:
        raise click.ClickException(f"no */source.html pages under {folder}")
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        click.echo(format_result(result, verbose=verbose))


if __name__ == "__main__":
    cli()
