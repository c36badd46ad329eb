"""HTTP query arguments to a `SearchRequest`: one small parser per parameter.

Every parser raises `search.InvalidParameter` naming the parameter, which the
web layer answers with a 400 in the one JSON error shape (or an HTML message).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from werkzeug.datastructures import MultiDict

from corpus.dates import parse_date
from search import InvalidParameter, SearchRequest
from search.models import MAX_PER_PAGE, OPERATORS, SORTS

DEFAULT_PER_PAGE = 10
#: Longest value accepted for any one parameter (query text is cut later, with a notice).
MAX_PARAM_CHARS = 10_000


def parse_int(args: MultiDict, name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high]."""
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name, f"{name} must be a whole number, got {raw[:40]!r}") from None
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
    """A date parameter; a bare day as ``to`` means the end of that day (inclusive)."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    value = parse_date(raw, relative_base=now)
    if value is None:
        raise InvalidParameter(
            name, f"{name} is not a date I can read: {raw[:40]!r}", "invalid_date"
        )
    is_bare_day = len(raw) <= 10 and value.hour == value.minute == value.second == 0
    if end_of_day and is_bare_day:
        value = value + timedelta(days=1) - timedelta(microseconds=1)
    return value


def parse_values(args: MultiDict, name: str) -> tuple[str, ...]:
    """A repeatable parameter's distinct non-empty values, in order."""
    return tuple(dict.fromkeys(value.strip() for value in args.getlist(name) if value.strip()))


def parse_years(args: MultiDict) -> tuple[int, ...]:
    """Repeatable ``year`` values."""
    years = []
    for raw in parse_values(args, "year"):
        if not raw.isdigit() or not 1 <= int(raw) <= 9999:
            raise InvalidParameter("year", f"year must be a year like 2005, got {raw[:20]!r}")
        years.append(int(raw))
    return tuple(years)


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
        date_from=parse_date_param(args, "from", end_of_day=False, now=now),
        date_to=parse_date_param(args, "to", end_of_day=True, now=now),
    )
