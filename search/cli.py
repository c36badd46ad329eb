"""``python -m search "QUERY" [--index DIR] [--json]``: the search entry point on the command line.

``python -m search export "QUERY" [--format csv|jsonl] [--fields ...] [--output FILE]``:
every matching article, as the ``/api/export`` download.

``python -m search evaluate --topics FILE --qrels FILE [--index DIR]``: ranking quality;
``evaluate-spelling``: did-you-mean accuracy; ``tune``: ranking parameters
(`search.cli_evaluate`).

Exit status: 0 = answered (even with no hits); 1 = no index; 2 = bad parameter.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from search.cli_evaluate import evaluate_command, evaluate_spelling_command, tune_command
from search.cli_options import (
    DefaultCommandGroup,
    fail,
    index_option,
    opened_backend,
    raw_values,
    request_options,
)
from search.errors import InvalidParameter
from search.export import export_chunks, parse_export_request
from search.parameters import PARAMETERS, SEARCH, parse_request
from search.research_parameters import EXPORT, EXPORT_PARAMETERS


@click.group(cls=DefaultCommandGroup)
def cli() -> None:
    """Search a Broadsheet index from the command line."""


cli.add_command(evaluate_command)
cli.add_command(tune_command)
cli.add_command(evaluate_spelling_command)


@cli.command("query")
@click.argument("text", nargs=-1)
@index_option
@request_options(SEARCH, PARAMETERS)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON API's response.")
def query_command(text: tuple[str, ...], index_dir: str, as_json: bool, **chosen: Any) -> None:
    """Search for TEXT (Whoosh query syntax; all words required by default)."""
    raw = {"q": [" ".join(text)], **raw_values(chosen, SEARCH, PARAMETERS)}
    try:
        request = parse_request(raw, datetime.now(UTC))
    except InvalidParameter as error:
        fail(f"{error.param}: {error.message}", 2)
    with opened_backend(index_dir) as service:
        response = service.search(request)
    if as_json:
        click.echo(json.dumps(response.to_json_dict(), ensure_ascii=False, indent=2))
        return
    for notice in response.notices:
        click.echo(f"note: {notice}")
    if response.corrected_query:
        click.echo(f"showing results for: {response.corrected_query} (nothing matched as typed)")
    if response.suggestion:
        click.echo(f"did you mean: {response.suggestion}")
    page, per_page = request.page, request.per_page
    click.echo(f"{response.total} results ({response.took_ms:.1f} ms), page {page}")
    for rank, hit in enumerate(response.hits, start=(page - 1) * per_page + 1):
        date = hit.date.strftime("%Y-%m-%d") if hit.date else "no date"
        dupes = f"  +{hit.duplicates} similar" if hit.duplicates else ""
        click.echo(f"{rank:>4}. {hit.title}  [{date}] {hit.source}  ({hit.id}){dupes}")
        if hit.missing:
            click.echo(f"      missing: {', '.join(hit.missing)}")


@cli.command("export")
@click.argument("text", nargs=-1)
@index_option
@request_options(EXPORT, EXPORT_PARAMETERS)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the file here (default: standard output).",
)
def export_command(
    text: tuple[str, ...], index_dir: str, output: Path | None, **chosen: Any
) -> None:
    """Every article TEXT matches (no query: every article), as CSV or JSONL, in the
    search's order; the count goes to stderr."""
    raw = {"q": [" ".join(text)], **raw_values(chosen, EXPORT, EXPORT_PARAMETERS)}
    try:
        asked = parse_export_request(raw, datetime.now(UTC))
    except InvalidParameter as error:
        fail(f"{error.param}: {error.message}", 2)
    with opened_backend(index_dir) as service:
        stream = service.export(asked.search)
        try:
            chunks = export_chunks(stream, asked.fields, asked.format)
            if output is None:
                for chunk in chunks:  # UTF-8 whatever the locale (the CSV's BOM says so)
                    sys.stdout.buffer.write(chunk.encode("utf-8"))
                sys.stdout.flush()
            else:
                with output.open("w", encoding="utf-8", newline="") as file:
                    file.writelines(chunks)
        finally:
            stream.close()
    click.echo(f"{stream.total} articles exported", err=True)
