"""The one table of request parameters, and the parsing and checks made from it.

Each `Parameter` says its name, the `SearchRequest` field it fills, its kind, default,
limits, allowed values, whether it repeats, what it does and which endpoints take it.
The web parser (`webui.params`), the OpenAPI document (`webui.openapi`), the
``python -m search`` options (`search.cli`) and `validate` are all made from
`PARAMETERS`; the facet parameters come from `search.facet_specs.FACETS`. The tables
of the research endpoints (timelines, terms, export) are in `search.research_parameters`.

Kinds: ``text`` (as given), ``integer`` (ASCII digits within ``minimum``-``maximum``),
``choice`` (one of ``choices``, any case), ``switch`` (``1/true/yes/on`` or
``0/false/no/off``), ``date`` (an inclusive date bound, `search.datequery`),
``values`` (repeatable strings), ``years`` (repeatable years) and ``months``
(repeatable ``YYYY-MM``). Every parser raises `InvalidParameter` naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from search.datequery import DateExpressionError, parse_date_bound
from search.errors import InvalidParameter
from search.facet_specs import FACETS
from search.models import MAX_PER_PAGE, MAX_WINDOW, OPERATORS, SORTS, SearchRequest

#: Endpoints: ``search`` (/search, /api/search, /search.atom, ``python -m search``)
#: and ``suggest`` (/api/suggest).
SEARCH, SUGGEST = "search", "suggest"
#: Parameters only the JSON search (``/api/search``) takes, beside those of ``search``.
API_SEARCH = "api_search"
#: Longest value accepted for any one parameter (query text is cut later, with a notice).
MAX_PARAM_CHARS = 10_000
#: A month, ``YYYY-MM`` from 0001-01 to 9999-12: the one month rule (parsing,
#: validation and the OpenAPI pattern).
MONTH_PATTERN = r"^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)
#: Numbers are written in ASCII digits (``int`` would also take ``١٢``, and ``str.isdigit``
#: passes ``²``, which ``int`` refuses).
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")
_YEAR = re.compile(r"[0-9]{1,4}")
SWITCH_ON = ("1", "true", "yes", "on")
SWITCH_OFF = ("0", "false", "no", "off")
FIRST_YEAR, LAST_YEAR = 1, 9999


@dataclass(frozen=True, slots=True)
class Parameter:
    """One request parameter (see the module docstring for the kinds)."""

    name: str
    kind: str
    description: str
    #: The `SearchRequest` attribute it fills ("" for none).
    field: str = ""
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    max_length: int = MAX_PARAM_CHARS
    endpoints: frozenset[str] = frozenset({SEARCH})
    #: Narrows the results (removed by the page's "clear all filters").
    is_filter: bool = False
    #: For dates: a day, month or year given means its end (else its start).
    end_of_span: bool = False
    examples: tuple[str, ...] = ()
    #: An extra CLI name that turns a switch off (``--all`` for ``collapse``).
    cli_off: str = ""

    @property
    def repeatable(self) -> bool:
        """Whether the parameter may be given several times (values combine with OR)."""
        return self.kind in ("values", "years", "months")


_FACET_KINDS = {"text": "values", "year": "years", "month": "months"}


def _facet_parameters() -> tuple[Parameter, ...]:
    return tuple(
        Parameter(
            facet.param,
            _FACET_KINDS[facet.values],
            facet.description,
            field=facet.request_field,
            default=(),
            minimum=FIRST_YEAR if facet.values == "year" else None,
            maximum=LAST_YEAR if facet.values == "year" else None,
            is_filter=True,
        )
        for facet in FACETS
    )


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("q", "text", "query (Whoosh syntax, lenient)", field="q", default=""),
    Parameter("page", "integer", "page number", "page", 1, 1, 1_000_000),
    Parameter(
        "per_page",
        "integer",
        f"hits per page; page * per_page must stay within {MAX_WINDOW}",
        "per_page",
        10,
        1,
        MAX_PER_PAGE,
    ),
    Parameter("sort", "choice", "order of hits", "sort", "relevance", choices=SORTS),
    Parameter("op", "choice", "default operator between words", "op", "and", choices=OPERATORS),
    *_facet_parameters(),
    Parameter(
        "from",
        "date",
        "earliest date, inclusive (UTC); a month or year means its first day",
        field="date_from",
        is_filter=True,
        examples=("2023-07-01", "2023-07", "2023"),
    ),
    Parameter(
        "to",
        "date",
        "latest date, inclusive (UTC); a day, month or year means its end",
        field="date_to",
        is_filter=True,
        end_of_span=True,
        examples=("2023-07-31", "2023-07", "2023"),
    ),
    Parameter(
        "collapse",
        "switch",
        "near-duplicate stories shown as one hit with a count; 0 shows every article",
        "collapse",
        True,
        cli_off="--all",
    ),
    Parameter(
        "recency", "switch", "1 boosts newer articles in relevance ranking", "recency", False
    ),
    Parameter(
        "correct",
        "switch",
        "0 searches the query exactly as typed, never its spelling correction",
        "correct",
        True,
    ),
    Parameter(
        "cursor",
        "text",
        "where the next page starts: the next_cursor of the previous answer, to page "
        f"past result {MAX_WINDOW:,} (valid for the index snapshot it came from; not with "
        "page)",
        default="",
        max_length=500,
        endpoints=frozenset({API_SEARCH}),
    ),
    Parameter(
        "q",
        "text",
        "what was typed so far; completions continue its last word with the words that "
        "most often follow the word before it",
        default="",
        max_length=200,
        endpoints=frozenset({SUGGEST}),
    ),
)


def parameters_of(endpoint: str, table: Iterable[Parameter] = PARAMETERS) -> tuple[Parameter, ...]:
    """The parameters ``endpoint`` takes, in table order."""
    return tuple(parameter for parameter in table if endpoint in parameter.endpoints)


def names_of(endpoint: str, table: Iterable[Parameter] = PARAMETERS) -> tuple[str, ...]:
    """The names of the parameters ``endpoint`` takes."""
    return tuple(parameter.name for parameter in parameters_of(endpoint, table))


def filter_names(table: Iterable[Parameter] = PARAMETERS) -> tuple[str, ...]:
    """The search parameters that narrow the results."""
    return tuple(p.name for p in parameters_of(SEARCH, table) if p.is_filter)


def is_month(text: str) -> bool:
    """Whether ``text`` is a month, ``YYYY-MM`` (0001-01 to 9999-12)."""
    return _MONTH.fullmatch(text) is not None


def _first(raw: Sequence[str]) -> str:
    return raw[0].strip() if raw else ""


def _distinct(raw: Sequence[str]) -> tuple[str, ...]:
    """A repeatable parameter's distinct non-empty values, in order."""
    return tuple(dict.fromkeys(value.strip() for value in raw if value.strip()))


def _year_message(name: str, value: object) -> str:
    return f"{name} must be a year like 2005, got {str(value)[:20]!r}"


def parse_value(parameter: Parameter, raw: Sequence[str], now: datetime) -> Any:
    """``parameter``'s value from its raw strings (empty: the default); ``now`` anchors
    relative dates. Raises `InvalidParameter` naming it."""
    name, kind = parameter.name, parameter.kind
    if kind == "text":
        return raw[0] if raw else parameter.default
    if kind == "values":
        return _distinct(raw)
    if kind == "years":
        values = _distinct(raw)
        for value in values:
            if not _YEAR.fullmatch(value):
                raise InvalidParameter(name, _year_message(name, value))
        years = tuple(int(value) for value in values)
        check_value(parameter, years)
        return years
    if kind == "months":
        months = _distinct(raw)
        check_value(parameter, months)
        return months
    value = _first(raw)
    if not value:
        return parameter.default
    if kind == "integer":
        if not _WHOLE_NUMBER.fullmatch(value):
            raise InvalidParameter(name, f"{name} must be a whole number, got {value[:40]!r}")
        number = int(value)
        check_value(parameter, number)
        return number
    if kind == "choice":
        check_value(parameter, value.lower())
        return value.lower()
    if kind == "switch":
        if value.lower() in SWITCH_ON + SWITCH_OFF:
            return value.lower() in SWITCH_ON
        raise InvalidParameter(name, f"{name} must be 0 or 1")
    if kind == "date":
        try:
            return parse_date_bound(value, end=parameter.end_of_span, now=now)
        except (DateExpressionError, OverflowError, ValueError) as error:
            raise InvalidParameter(name, f"{name}: {str(error)[:120]}", "invalid_date") from None
    raise ValueError(f"unknown parameter kind {kind!r}")


def check_value(parameter: Parameter, value: Any) -> None:
    """Raise `InvalidParameter` when a parsed ``value`` is outside ``parameter``'s
    limits or allowed values (the checks `validate` and the parsers share)."""
    name = parameter.name
    if parameter.kind == "integer":
        low, high = parameter.minimum, parameter.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise InvalidParameter(name, f"{name} must be between {low} and {high}")
    elif parameter.kind == "choice" and value not in parameter.choices:
        raise InvalidParameter(name, f"{name} must be one of {', '.join(parameter.choices)}")
    elif parameter.kind == "years":
        for year in value:
            if not FIRST_YEAR <= year <= LAST_YEAR:
                raise InvalidParameter(name, _year_message(name, year))
    elif parameter.kind == "months":
        for month in value:
            if not is_month(month):
                raise InvalidParameter(name, f"{name} must look like 2023-07, got {month[:20]!r}")


def parse_arguments(
    values: Mapping[str, Sequence[str]],
    now: datetime,
    endpoint: str,
    table: Iterable[Parameter] = PARAMETERS,
) -> dict[str, Any]:
    """Each of ``endpoint``'s parameters parsed from raw ``values`` (name -> every
    string given for it), by name; names the endpoint does not take are ignored here
    (the API refuses them first) but no value may be longer than its limit."""
    known = {parameter.name: parameter for parameter in parameters_of(endpoint, table)}
    for name, given in values.items():
        limit = known[name].max_length if name in known else MAX_PARAM_CHARS
        if any(len(value) > limit for value in given):
            raise InvalidParameter(name, f"{name} is longer than {limit} characters")
    return {name: parse_value(p, values.get(name, ()), now) for name, p in known.items()}


def parse_request(values: Mapping[str, Sequence[str]], now: datetime) -> SearchRequest:
    """The `SearchRequest` for a search's raw ``values`` (see `parse_arguments`)."""
    parsed = parse_arguments(values, now, SEARCH)
    return SearchRequest(**{p.field: parsed[p.name] for p in parameters_of(SEARCH) if p.field})


def validate(request: SearchRequest) -> None:
    """Raise `InvalidParameter` naming the first parameter out of range: each field
    against its parameter's limits, then ``page * per_page`` <= `MAX_WINDOW` (the
    deepest reachable result; narrow the query to see further) and ``from`` <= ``to``."""
    for parameter in parameters_of(SEARCH):
        if parameter.field:
            check_value(parameter, getattr(request, parameter.field))
    if request.start is not None:
        if request.start < 0:
            raise InvalidParameter("cursor", "a cursor cannot start before the first result")
    elif request.page * request.per_page > MAX_WINDOW:
        raise InvalidParameter(
            "page",
            f"page {request.page} is past result number {MAX_WINDOW:,}, the deepest that"
            " paging reaches (page × per_page at most that); narrow the query, or page on"
            " with the answer's next_cursor",
        )
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise InvalidParameter("from", "from must not be after to", code="invalid_date")
