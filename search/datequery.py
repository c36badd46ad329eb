"""Date expressions inside the query text, resolved against the request time.

Forms (each may be negated with a leading ``-`` or ``NOT``)::

    date:2023            the whole year          date:2023-07        the whole month
    date:2023-07-04      that day (UTC)          date:"July 2023"    a month by name
    date:[2023-01-01 to 2023-03-31]              inclusive; either side may be empty
    date:today  date:yesterday                   that day
    date:"last week"  date:"past 3 months"       the span up to now (week = 7 days,
                                                 month = 30 days, year = 365 days)
    date:"this month"                            start of the month up to now
    date:"3 days ago"  date:"last tuesday"       that day (through corpus.dates)
    after:X   strictly after X's span            before:X   strictly before X's span
    since:X   from the start of X's span         until:X    to the end of X's span

All times are UTC, and every date from 0001-01-01 to 9999-12-31 (the years an
article can have) can be named: ``date:9999`` runs to the last moment of 9999. An
expression that cannot be read, or that reaches outside those years (``before:0001``,
``date:"last 9999 years"``, a moment whose UTC time falls outside them), is removed
from the query and reported in a notice (the search box is lenient by construction);
it is never silently dropped. The ``from``/``to`` request parameters, in contrast,
answer an ``invalid_date`` error (see `webui.params`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from corpus.dates import parse_date

_EXPRESSION = re.compile(
    r"(?:(?<=[\s(])|^)(?P<neg>-|NOT\s+)?(?P<op>date|after|before|since|until):"
    r"(?:\"(?P<quoted>[^\"]*)\"?|\[(?P<range>[^\]]*)\]?|(?P<bare>[^\s()]*))",
    re.IGNORECASE,
)
_RANGE_SPLIT = re.compile(r"(?:^|\s+)to(?:\s+|$)|\s*\.\.\s*", re.IGNORECASE)
_RELATIVE = re.compile(
    r"^(?:last|past|previous)\s+(?:(?P<n>\d{1,4})\s+)?(?P<unit>day|week|month|year)s?$",
    re.IGNORECASE,
)
_THIS = re.compile(r"^this\s+(?P<unit>week|month|year)$", re.IGNORECASE)
_MONTH_NAME = re.compile(r"^[A-Za-z]{3,9}\.?,?\s+\d{4}$")
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_TICK = timedelta(microseconds=1)
#: The first and the last moment a date can name (the range of `datetime`).
FIRST_MOMENT = datetime.min.replace(tzinfo=UTC)
LAST_MOMENT = datetime.max.replace(tzinfo=UTC)

Span = tuple[datetime, datetime]


class DateExpressionError(ValueError):
    """A date expression in the query that cannot be read."""


@dataclass(frozen=True, slots=True)
class DateBound:
    """One resolved expression: an inclusive UTC range (either end may be open)."""

    start: datetime | None
    end: datetime | None
    negated: bool = False
    #: The expression as written (for rebuilding a corrected query).
    text: str = ""


def _end_before(following: Callable[[], datetime]) -> datetime:
    """The moment before ``following()``, or the last moment when that is past 9999."""
    try:
        return following() - _TICK
    except (OverflowError, ValueError):
        return LAST_MOMENT


def _day(value: datetime) -> Span:
    start = value.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, _end_before(lambda: start + timedelta(days=1))


def _month(year: int, month: int) -> Span:
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, _end_before(lambda: datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC))


def _read_date(text: str, now: datetime) -> datetime | None:
    """`corpus.dates.parse_date`, with a moment outside the years 1-9999 (in UTC) as an
    error rather than a crash."""
    try:
        return parse_date(text, relative_base=now)
    except (OverflowError, ValueError) as error:
        raise DateExpressionError(f"{text[:40]!r} is outside the years 0001 to 9999") from error


def resolve_span(text: str, now: datetime) -> Span:
    """The inclusive UTC span a date expression names; raises `DateExpressionError`."""
    text = " ".join(text.split())
    lowered = text.lower()
    try:
        if re.fullmatch(r"\d{4}", text):
            year = int(text)
            start = datetime(year, 1, 1, tzinfo=UTC)
            return start, _end_before(lambda: datetime(year + 1, 1, 1, tzinfo=UTC))
        match = re.fullmatch(r"(\d{4})[-/](\d{1,2})", text)
        if match:
            return _month(int(match[1]), int(match[2]))
    except ValueError as error:
        raise DateExpressionError(f"{text!r} is not a date") from error
    if lowered == "today":
        return _day(now)
    if lowered == "yesterday":
        return _day(now - timedelta(days=1))
    match = _RELATIVE.match(text)
    if match:
        count = int(match["n"] or 1)
        try:
            return now - timedelta(days=count * _UNIT_DAYS[match["unit"].lower()]), now
        except OverflowError:
            raise DateExpressionError(f"{text!r} reaches back before the year 1") from None
    match = _THIS.match(text)
    if match:
        unit = match["unit"].lower()
        start = _day(now)[0]
        if unit == "week":
            start -= timedelta(days=start.weekday())
        elif unit == "month":
            start = start.replace(day=1)
        else:
            start = start.replace(month=1, day=1)
        return start, now
    parsed = _read_date(text, now)
    if parsed is None:
        raise DateExpressionError(f"{text!r} is not a date I can read")
    if _MONTH_NAME.match(text):
        return _month(parsed.year, parsed.month)
    return _day(parsed)


def _resolve(op: str, value: str, is_range: bool, now: datetime) -> tuple[datetime | None, ...]:
    op = op.lower()
    if is_range:
        parts = _RANGE_SPLIT.split(value.strip(), maxsplit=1)
        if len(parts) != 2:
            raise DateExpressionError(f"[{value}] is not a range like [2023-01-01 to 2023-03-31]")
        low, high = (part.strip() for part in parts)
        start = resolve_span(low, now)[0] if low else None
        end = resolve_span(high, now)[1] if high else None
        if start and end and start > end:
            raise DateExpressionError(f"[{value}] ends before it starts")
        return start, end
    if not value.strip():
        raise DateExpressionError(f"{op}: needs a date")
    start, end = resolve_span(value, now)
    if op == "after":
        if end >= LAST_MOMENT:
            raise DateExpressionError(f"no date is after {value.strip()[:40]!r}")
        return end + _TICK, None
    if op == "before":
        if start <= FIRST_MOMENT:
            raise DateExpressionError(f"no date is before {value.strip()[:40]!r}")
        return None, start - _TICK
    if op == "since":
        return start, None
    if op == "until":
        return None, end
    return start, end


def extract_dates(text: str, now: datetime) -> tuple[str, tuple[DateBound, ...], tuple[str, ...]]:
    """Remove the date expressions from ``text``.

    Returns the remaining text, the resolved bounds (all to be applied, AND) and
    a notice for every expression that could not be read.
    """
    bounds: list[DateBound] = []
    notices: list[str] = []

    def replace(match: re.Match[str]) -> str:
        is_range = match["range"] is not None
        value = match["quoted"] if match["quoted"] is not None else match["range"] or ""
        if match["bare"] is not None and not is_range and match["quoted"] is None:
            value = match["bare"]
        try:
            start, end = _resolve(match["op"], value, is_range, now)
        except DateExpressionError as error:
            notices.append(f"The date “{match[0].strip()[:60]}” was ignored: {error}.")
            return " "
        bounds.append(DateBound(start, end, bool(match["neg"]), match[0].strip()))
        return " "

    if ":" not in text:
        return text, (), ()
    remaining = _EXPRESSION.sub(replace, text)
    return remaining, tuple(bounds), tuple(notices)


def parse_date_bound(text: str, end: bool, now: datetime) -> datetime:
    """A ``from`` (``end=False``) or ``to`` (``end=True``) bound, inclusive, UTC.

    A moment with a time of day is taken as it is; a day, month or year
    (``2023-07``) or a relative expression bounds at the start or end of its span.
    Raises `DateExpressionError` when ``text`` is not a date.
    """
    text = " ".join(text.split())
    if re.search(r"\d:\d\d", text):
        moment = _read_date(text, now)
        if moment is None:
            raise DateExpressionError(f"{text[:40]!r} is not a date I can read")
        return moment
    start, finish = resolve_span(text, now)
    return finish if end else start
