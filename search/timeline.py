"""Attention over time: matching articles per period, against all articles per period.

Backend-neutral: intervals, periods, the `Timeline` a backend answers and its JSON
shape. A backend counts; this module says what the periods are.

Intervals are ``day``, ``week`` (ISO weeks, starting on Monday), ``month`` and
``year``. Periods are numbered by an *ordinal* counted from 1970 (the day, the
Monday-based week, the month or the year since 1970-01-01, negative before), so a
vector of day numbers becomes a vector of period ordinals with integer arithmetic
(`period_ordinals`).

The range of a timeline is the request's ``from``/``to`` when given, else the
archive's oldest to newest dated article; every period touching the range is listed,
those with no match included (a continuous axis). Without an interval, one is chosen
from the range's length (`choose_interval`) so that a chart has roughly 20-200 bars:
up to `DAY_RANGE` days by day, up to `WEEK_RANGE` days by week, up to `MONTH_RANGE`
days by month, longer by year.

A point's ``count`` is its matches (stories, when near-duplicates are collapsed), its
``total`` every article of the period within the range (never collapsed: the sum of
the totals is the number of dated articles), and ``share`` = count / total (0 for a
period with no article at all). Undated matches belong to no period: ``undated``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np

from search.errors import InvalidParameter

DAY, WEEK, MONTH, YEAR = "day", "week", "month", "year"
INTERVALS = (DAY, WEEK, MONTH, YEAR)
#: The longest range (in days, inclusive) charted by day, by week and by month.
DAY_RANGE, WEEK_RANGE, MONTH_RANGE = 92, 2 * 366, 20 * 366
#: Most periods one timeline may have (a day interval over centuries is refused).
MAX_PERIODS = 5_000
#: Most queries one comparison may have.
MAX_QUERIES = 5
EPOCH = date(1970, 1, 1)
#: 1970-01-01 was a Thursday: week ordinal 0 starts on Monday 1969-12-29.
_WEEK_OFFSET = 3


def choose_interval(start: date, end: date) -> str:
    """The interval for a range from ``start`` to ``end`` (inclusive): day up to
    `DAY_RANGE` days, week up to `WEEK_RANGE`, month up to `MONTH_RANGE`, else year."""
    days = (end - start).days + 1
    if days <= DAY_RANGE:
        return DAY
    if days <= WEEK_RANGE:
        return WEEK
    return MONTH if days <= MONTH_RANGE else YEAR


def ordinal_of(day: date, interval: str) -> int:
    """The ordinal of the period of ``interval`` that holds ``day``."""
    days = (day - EPOCH).days
    if interval == DAY:
        return days
    if interval == WEEK:
        return (days + _WEEK_OFFSET) // 7
    if interval == MONTH:
        return (day.year - 1970) * 12 + day.month - 1
    return day.year - 1970


def period_ordinals(days: np.ndarray, interval: str) -> np.ndarray:
    """The period ordinal of each of ``days`` (days since 1970-01-01, any sign)."""
    days = np.asarray(days, dtype=np.int64)
    if interval == DAY:
        return days
    if interval == WEEK:
        return (days + _WEEK_OFFSET) // 7
    unit = "M" if interval == MONTH else "Y"
    return days.astype("datetime64[D]").astype(f"datetime64[{unit}]").astype(np.int64)


def ordinal_start(ordinal: int, interval: str) -> date:
    """The first day of the period ``ordinal`` of ``interval``."""
    if interval == DAY:
        return EPOCH + timedelta(days=ordinal)
    if interval == WEEK:
        return EPOCH + timedelta(days=ordinal * 7 - _WEEK_OFFSET)
    if interval == MONTH:
        year, month = divmod(ordinal, 12)
        return date(1970 + year, month + 1, 1)
    return date(1970 + ordinal, 1, 1)


def ordinal_end(ordinal: int, interval: str) -> date:
    """The last day of the period ``ordinal`` of ``interval``."""
    if interval == DAY:
        return ordinal_start(ordinal, interval)
    if interval == WEEK:
        return ordinal_start(ordinal, interval) + timedelta(days=6)
    if interval == MONTH:
        first = ordinal_start(ordinal, interval)
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return date(1970 + ordinal, 12, 31)


def period_key(start: date, interval: str) -> str:
    """The period's key: ``2023-07-03`` (day), ``2023-W27`` (ISO week), ``2023-07``
    (month) or ``2023`` (year)."""
    if interval == DAY:
        return start.isoformat()
    if interval == WEEK:
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if interval == MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    return f"{start.year:04d}"


def period_label(start: date, interval: str) -> str:
    """The period for people: ``3 July 2023``, ``Week of 3 July 2023``, ``July 2023``,
    ``2023``."""
    day = f"{start.day} {calendar.month_name[start.month]} {start.year}"
    if interval == DAY:
        return day
    if interval == WEEK:
        return f"Week of {day}"
    if interval == MONTH:
        return f"{calendar.month_name[start.month]} {start.year}"
    return str(start.year)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), UTC)


def day_end(day: date) -> datetime:
    """The last microsecond (UTC) of ``day``."""
    return datetime.combine(day, time(23, 59, 59, 999_999), UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """One period of a timeline's axis."""

    key: str
    label: str
    start: date
    end: date


def periods_between(start: date, end: date, interval: str) -> tuple[Period, ...]:
    """Every period of ``interval`` from the one holding ``start`` to the one holding
    ``end``; raises `InvalidParameter` (``interval``) past `MAX_PERIODS`."""
    first, last = ordinal_of(start, interval), ordinal_of(max(start, end), interval)
    if last - first + 1 > MAX_PERIODS:
        raise InvalidParameter(
            "interval",
            f"{last - first + 1:,} periods of one {interval} are more than {MAX_PERIODS:,};"
            " choose a longer interval or a shorter date range",
        )
    found = []
    for ordinal in range(first, last + 1):
        begins = ordinal_start(ordinal, interval)
        found.append(
            Period(
                period_key(begins, interval),
                period_label(begins, interval),
                begins,
                ordinal_end(ordinal, interval),
            )
        )
    return tuple(found)


def resolve_range(
    date_from: datetime | None,
    date_to: datetime | None,
    oldest: date | None,
    newest: date | None,
) -> tuple[date, date] | None:
    """The days a timeline spans: the request's bounds where given, else the archive's
    oldest / newest dated article; None when there is neither (no dated article)."""
    start = date_from.astimezone(UTC).date() if date_from else oldest
    end = date_to.astimezone(UTC).date() if date_to else newest
    if start is None and end is None:
        return None
    start = start or end
    end = end or start
    assert start is not None and end is not None
    return start, max(start, end)


def share_of(count: int, total: int) -> float:
    """``count / total``, 0 for a period without articles."""
    return count / total if total else 0.0


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """One period: its matches, every article in it and the share they make."""

    period: str
    start: date
    end: date
    count: int
    total: int
    share: float
    label: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        """The point as JSON."""
        return {
            "period": self.period,
            "label": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "count": self.count,
            "total": self.total,
            "share": self.share,
        }


@dataclass(frozen=True, slots=True)
class Timeline:
    """One query's matches over time (see the module docstring for the counts)."""

    q: str
    interval: str
    points: tuple[TimelinePoint, ...]
    #: Every match, dated or not (stories when ``collapsed``).
    total: int
    #: Matches without a date (in no period).
    undated: int
    #: Whether near-duplicate copies of a story counted once.
    collapsed: bool
    #: The interval was chosen from the range (no ``interval`` given).
    chosen: bool = False
    notices: tuple[str, ...] = ()

    @property
    def periods(self) -> tuple[Period, ...]:
        """The axis."""
        return tuple(Period(p.period, p.label, p.start, p.end) for p in self.points)

    @property
    def counts(self) -> list[int]:
        """Matches per period."""
        return [point.count for point in self.points]

    @property
    def shares(self) -> list[float]:
        """Share of all articles per period."""
        return [point.share for point in self.points]

    def to_json_dict(self) -> dict[str, Any]:
        """The timeline as JSON."""
        return {
            "q": self.q,
            "interval": self.interval,
            "total": self.total,
            "undated": self.undated,
            "collapsed": self.collapsed,
            "points": [point.to_json_dict() for point in self.points],
        }


def make_timeline(
    q: str,
    interval: str,
    periods: tuple[Period, ...],
    counts: list[int],
    totals: list[int],
    undated: int,
    collapsed: bool,
    chosen: bool = False,
    notices: tuple[str, ...] = (),
) -> Timeline:
    """A `Timeline` from per-period counts and totals (the total is their sum plus
    ``undated``)."""
    points = tuple(
        TimelinePoint(p.key, p.start, p.end, c, t, share_of(c, t), p.label)
        for p, c, t in zip(periods, counts, totals, strict=True)
    )
    total = sum(counts) + undated
    return Timeline(q, interval, points, total, undated, collapsed, chosen, notices)


def empty_timeline(q: str, interval: str | None, undated: int, collapsed: bool) -> Timeline:
    """The timeline of an archive without dated articles: no period."""
    return Timeline(q, interval or MONTH, (), undated, undated, collapsed, interval is None)
