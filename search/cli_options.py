"""What the ``python -m search`` commands share: options made from the parameter table,
the index option, and opening a backend with the command line's exit statuses.

Exit status: 0 = answered (even with no hits); 1 = no index; 2 = bad parameter.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click

from search.backends import SearchBackend, service_from_environment
from search.errors import IndexUnavailable, InvalidParameter
from search.parameters import SWITCH_OFF, SWITCH_ON, Parameter, parameters_of
from search.whoosh.engine import SearchService

F = TypeVar("F", bound=Callable[..., Any])

#: Placeholders of option values in ``--help``, by parameter kind.
_METAVARS = {"integer": "N", "date": "DATE", "years": "YEAR", "months": "YYYY-MM"}


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


def index_option(function: F) -> F:
    """The ``--index DIR`` option (default ``$BROADSHEET_INDEX_DIR`` or ``var/index``)."""
    return click.option(
        "--index",
        "index_dir",
        default=default_index_dir,
        show_default="$BROADSHEET_INDEX_DIR or var/index",
    )(function)


def fail(message: str, status: int) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``status``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def _request_option(parameter: Parameter) -> Callable[[F], F]:
    """The click option of one row of the parameter table: ``--per-page`` for
    ``per_page``, ``--tag`` (repeatable) for ``tag``, ``--collapse/--no-collapse``
    for a switch. Values stay strings, parsed by `search.parameters` as on the web."""
    flag = "--" + parameter.name.replace("_", "-")
    help_text = parameter.description[:1].upper() + parameter.description[1:] + "."
    if parameter.kind == "switch":
        names = [f"{flag}/--no-{flag[2:]}"]
        if parameter.cli_off:
            names.append(f" /{parameter.cli_off}")
        default = "on" if parameter.default else "off"
        help_text += f" [default: {default}]"
        return click.option(*names, parameter.name, default=None, help=help_text)
    if parameter.repeatable:
        help_text += " (repeatable)"
    elif parameter.default not in (None, ""):
        help_text += f" [default: {parameter.default}]"
    return click.option(
        flag,
        parameter.name,
        multiple=parameter.repeatable,
        type=click.Choice(parameter.choices, case_sensitive=False) if parameter.choices else None,
        metavar=_METAVARS.get(parameter.kind, "TEXT") if not parameter.choices else None,
        default=None,
        help=help_text,
    )


def request_options(endpoint: str, table: Iterable[Parameter]) -> Callable[[F], F]:
    """Decorate a command with one option per parameter ``endpoint`` takes in ``table``
    (the query text, ``q``, is the command's argument); each option's value arrives
    under the parameter's name."""

    def decorate(function: F) -> F:
        for parameter in reversed(parameters_of(endpoint, table)):
            if parameter.name != "q":
                function = _request_option(parameter)(function)
        return function

    return decorate


def raw_values(
    chosen: dict[str, Any], endpoint: str, table: Iterable[Parameter]
) -> dict[str, list[str]]:
    """The options given, as the raw strings the web would have (name -> values)."""
    raw: dict[str, list[str]] = {}
    for parameter in parameters_of(endpoint, table):
        value = chosen.get(parameter.name)
        if value is None or value == ():
            continue
        if isinstance(value, bool):
            raw[parameter.name] = [SWITCH_ON[0] if value else SWITCH_OFF[0]]
        elif isinstance(value, tuple):
            raw[parameter.name] = list(value)
        else:
            raw[parameter.name] = [str(value)]
    return raw


@contextmanager
def opened_backend(index_dir: str) -> Iterator[SearchBackend]:
    """The backend ``BROADSHEET_BACKEND`` names (as the server would search), closed
    after; a bad setting or parameter exits 2, no index exits 1."""
    try:
        service = service_from_environment(INDEX_DIR=index_dir)
    except ValueError as error:
        fail(str(error), 2)
    try:
        yield service
    except IndexUnavailable as error:
        fail(str(error), 1)
    except InvalidParameter as error:
        fail(f"{error.param}: {error.message}", 2)
    finally:
        service.close()


@contextmanager
def opened_whoosh(index_dir: str) -> Iterator[SearchService]:
    """The Whoosh index at ``index_dir`` (evaluation reads it directly), closed after;
    no index exits 1."""
    service = SearchService(index_dir)
    try:
        yield service
    except IndexUnavailable as error:
        fail(str(error), 1)
    finally:
        service.close()
