"""``broadsheet``: one command for every part (installed by ``pip install -e .``).

``broadsheet index build|update|optimize|stats|check|recover|publish|...`` are the
indexer's commands (`indexer.cli`, also ``python -m indexer``); ``broadsheet
search QUERY`` and ``broadsheet search evaluate|evaluate-spelling`` the search
commands (`search.cli`, also ``python -m search``); ``broadsheet inspect`` shows
what the index holds (``index stats``); ``broadsheet serve`` runs the web app
under gunicorn with the repository's ``gunicorn.conf.py``, on 127.0.0.1 unless
told otherwise. Options and exit statuses are those of the commands it names.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from indexer.cli import cli as index_group
from indexer.cli_common import index_option
from indexer.cli_health import stats_command
from search.cli import cli as search_group

#: The checkout the editable install points at: gunicorn.conf.py and wsgi.py live here.
ROOT = Path(__file__).resolve().parents[1]


@click.group()
def main() -> None:
    """Broadsheet: build, search, inspect and serve a news archive index."""


main.add_command(index_group, name="index")
main.add_command(search_group, name="search")
main.add_command(stats_command, name="inspect")


def gunicorn_argv(host: str, port: int, workers: int | None) -> list[str]:
    """The gunicorn command line ``serve`` runs (the one ``make run`` runs)."""
    argv = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]
    argv += ["--pythonpath", str(ROOT)]
    argv += ["--bind", f"{host}:{port}", "--no-control-socket"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    return [*argv, "wsgi:app"]


@main.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes [default: gunicorn.conf.py's, cores + 1, at most 8].",
)
def serve_command(index_dir: str, host: str, port: int, workers: int | None) -> None:
    """Serve the index at --index with gunicorn (replaces this process; stop it with
    Ctrl-C or SIGTERM)."""
    os.environ["BROADSHEET_INDEX_DIR"] = str(Path(index_dir).resolve())
    argv = gunicorn_argv(host, port, workers)
    click.echo(f"Broadsheet: http://{host}:{port}/  (index: {index_dir})", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
