"""``python -m search "QUERY" [--index DIR] [--json]``: the search entry point on the command line.

Exit status: 0 = answered (even with no hits); 1 = no index; 2 = bad parameter.
"""

from __future__ import annotations

import json
import os
import sys

import click

from search.engine import SearchService
from search.errors import IndexUnavailable, InvalidParameter
from search.models import SORTS, SearchRequest


class DefaultCommandGroup(click.Group):
    """A group whose first argument, when it is no command name, goes to ``query``."""

    default_command = "query"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Insert the default command name unless a known command comes first."""
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def default_index_dir() -> str:
    """``BROADSHEET_INDEX_DIR``, else ``var/index``."""
    return os.environ.get("BROADSHEET_INDEX_DIR") or "var/index"


@click.group(cls=DefaultCommandGroup)
def cli() -> None:
    """Search a Broadsheet index from the command line."""


@cli.command("query")
@click.argument("text", nargs=-1)
@click.option(
    "--index",
    "index_dir",
    default=default_index_dir,
    show_default="$BROADSHEET_INDEX_DIR or var/index",
)
@click.option("--page", default=1, show_default=True)
@click.option("--per-page", default=10, show_default=True)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--op", type=click.Choice(["and", "or"]), default="and", show_default=True)
@click.option("--tag", "tags", multiple=True, help="Only articles with this tag (repeatable: OR).")
@click.option("--source", "sources", multiple=True, help="Only articles from this source.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON API's response.")
def query_command(
    text: tuple[str, ...],
    index_dir: str,
    page: int,
    per_page: int,
    sort: str,
    op: str,
    tags: tuple[str, ...],
    sources: tuple[str, ...],
    as_json: bool,
) -> None:
    """Search for TEXT (Whoosh query syntax; all words required by default)."""
    request = SearchRequest(
        q=" ".join(text), page=page, per_page=per_page, sort=sort, op=op, tags=tags, sources=sources
    )
    service = SearchService(index_dir)
    try:
        response = service.search(request)
    except IndexUnavailable as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except InvalidParameter as error:
        click.echo(f"error: {error.param}: {error.message}", err=True)
        sys.exit(2)
    finally:
        service.close()
    if as_json:
        click.echo(json.dumps(response.to_json_dict(), ensure_ascii=False, indent=2))
        return
    for notice in response.notices:
        click.echo(f"note: {notice}")
    if response.suggestion:
        click.echo(f"did you mean: {response.suggestion}")
    click.echo(f"{response.total} results ({response.took_ms:.1f} ms), page {page}")
    for rank, hit in enumerate(response.hits, start=(page - 1) * per_page + 1):
        date = hit.date.strftime("%Y-%m-%d") if hit.date else "no date"
        click.echo(f"{rank:>4}. {hit.title}  [{date}] {hit.source}  ({hit.id})")
