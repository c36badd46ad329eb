"""What every ``python -m indexer`` command shares: exit statuses, ``--index``,
``--wait`` and the one way a command fails (a message on stderr and a status)."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from indexer.generations import IndexBusy

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PROBLEMS = 3
EXIT_INTERRUPTED = 130


def default_index_dir() -> str:
    """``BROADSHEET_INDEX_DIR``, else ``var/index``."""
    return os.environ.get("BROADSHEET_INDEX_DIR") or "var/index"


def fail(message: str, status: int = EXIT_FAILED) -> NoReturn:
    """Print ``error: MESSAGE`` on stderr and exit with ``status``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def busy(error: IndexBusy) -> NoReturn:
    """Fail because another writer holds the lock."""
    fail(f"{error}; try again when it has finished, or pass --wait SECONDS")


index_option = click.option(
    "--index",
    "index_dir",
    default=default_index_dir,
    show_default="$BROADSHEET_INDEX_DIR or var/index",
    help="Index folder (holds CURRENT and the generations).",
)
wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for a running build/update to finish before giving up.",
)
