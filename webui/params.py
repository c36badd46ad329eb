"""HTTP query arguments to a `SearchRequest`: one small parser per parameter.

Every parser raises `search.InvalidParameter` naming the parameter, which the
web layer answers with a 400 in the one JSON error shape (or an HTML message).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from search import InvalidParameter, SearchRequest
from search.datequery import DateExpressionError, parse_date_bound
from search.models import MAX_PER_PAGE, OPERATORS, SORTS

DEFAULT_PER_PAGE = 10
#: Longest value accepted for any one parameter (query text is cut later, with a notice).
MAX_PARAM_CHARS = 10_000
#: Numbers are written in ASCII digits (``int`` would also take ``١٢``, and ``str.isdigit``
#: passes ``²``, which ``int`` refuses).
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")
_YEAR = re.compile(r"[0-9]{1,4}")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


#: Parameters of ``/search`` and ``/api/search``.
SEARCH_PARAMS = (
    "q",
    "page",
    "per_page",
    "sort",
    "op",
    "tag",
    "source",
    "year",
    "month",
    "from",
    "to",
    "collapse",
    "recency",
    "correct",
)


def reject_unknown(args: MultiDict, known: tuple[str, ...]) -> None:
    """Raise `InvalidParameter` naming the first parameter not in ``known`` (the API
    answers a misspelt or unsupported parameter, ``fields=`` or ``format=csv``, with a
    400 rather than ignoring it; the HTML page ignores them)."""
    for name in args:
        if name not in known:
            allowed = ", ".join(known) or "none"
            raise InvalidParameter(
                name, f"unknown parameter {name[:40]!r} (accepted: {allowed})", "unknown_parameter"
            )


def parse_int(args: MultiDict, name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high]."""
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise InvalidParameter(name, f"{name} must be a whole number, got {raw[:40]!r}")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidParameter(name, f"{name} must be between {low} and {high}")
    return value


def parse_choice(args: MultiDict, name: str, choices: tuple[str, ...], default: str) -> str:
    """A parameter that must be one of ``choices``."""
    value = args.get(name, "").strip().lower() or default
    if value not in choices:
        raise InvalidParameter(name, f"{name} must be one of {', '.join(choices)}")
    return value


def parse_date_param(
    args: MultiDict, name: str, end_of_day: bool, now: datetime
) -> datetime | None:
    """A date parameter, inclusive: ``to=2023-07`` means up to the end of July 2023,
    ``from=2023`` from the first moment of 2023; a time of day is taken as given. Any
    date from 0001-01-01 to 9999-12-31 UTC; outside them (``from=last 9999 years``,
    a moment whose UTC time is past 9999) an ``invalid_date`` error."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_date_bound(raw, end=end_of_day, now=now)
    except (DateExpressionError, OverflowError, ValueError) as error:
        raise InvalidParameter(name, f"{name}: {str(error)[:120]}", "invalid_date") from None


def parse_values(args: MultiDict, name: str) -> tuple[str, ...]:
    """A repeatable parameter's distinct non-empty values, in order."""
    return tuple(dict.fromkeys(value.strip() for value in args.getlist(name) if value.strip()))


def parse_years(args: MultiDict) -> tuple[int, ...]:
    """Repeatable ``year`` values."""
    years = []
    for raw in parse_values(args, "year"):
        if not _YEAR.fullmatch(raw) or not 1 <= int(raw) <= 9999:
            raise InvalidParameter("year", f"year must be a year like 2005, got {raw[:20]!r}")
        years.append(int(raw))
    return tuple(years)


def parse_months(args: MultiDict) -> tuple[str, ...]:
    """Repeatable ``month`` values, ``YYYY-MM``."""
    months = parse_values(args, "month")
    for raw in months:
        if not _MONTH.fullmatch(raw) or raw < "0001":
            raise InvalidParameter("month", f"month must look like 2023-07, got {raw[:20]!r}")
    return months


def parse_flag(args: MultiDict, name: str, default: bool) -> bool:
    """A switch: ``1/true/yes/on`` or ``0/false/no/off`` (empty = default)."""
    raw = args.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise InvalidParameter(name, f"{name} must be 0 or 1")


def request_to_search_request(args: MultiDict, now: datetime | None = None) -> SearchRequest:
    """Build the `SearchRequest` for ``/search`` and ``/api/search`` arguments."""
    now = now or datetime.now(UTC)
    for name, value in args.items(multi=True):
        if len(value) > MAX_PARAM_CHARS:
            raise InvalidParameter(name, f"{name} is longer than {MAX_PARAM_CHARS} characters")
    return SearchRequest(
        q=args.get("q", ""),
        page=parse_int(args, "page", 1, 1, 1_000_000),
        per_page=parse_int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
        sort=parse_choice(args, "sort", SORTS, "relevance"),
        op=parse_choice(args, "op", OPERATORS, "and"),
        tags=parse_values(args, "tag"),
        sources=parse_values(args, "source"),
        years=parse_years(args),
        months=parse_months(args),
        date_from=parse_date_param(args, "from", end_of_day=False, now=now),
        date_to=parse_date_param(args, "to", end_of_day=True, now=now),
        collapse=parse_flag(args, "collapse", True),
        recency=parse_flag(args, "recency", False),
        correct=parse_flag(args, "correct", True),
    )
