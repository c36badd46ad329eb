"""One date helper for every reader and for query dates: fast and deterministic.

Order of attempts: stdlib ISO 8601, stdlib RFC 2822, a few fixed formats seen in
news archives (Reuters' ``26-FEB-1987 15:01:01.79``), then dateparser restricted
to English with explicit settings. Naive times are taken as UTC. Every result is a
timezone-aware UTC datetime, or None when the text holds no date.

A date is never completed from today: a year alone (``2023``, ``in 2023``) is January 1
of that year at 00:00 UTC, a month alone (``July 2023``, ``2023-07``) its first day.
`parse_date` never raises: a date that is out of range once moved to UTC
(``0001-01-01T00:00:00+05:00`` is in year 0) gives None like any unreadable text.
"""

from __future__ import annotations

import email.utils
import re
import warnings
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

_FIXED_FORMATS = (
    "%d-%b-%Y %H:%M:%S.%f",  # Reuters-21578: 26-FEB-1987 15:01:01.79
    "%d-%b-%Y %H:%M:%S",
    "%Y-%m-%d %H:%M",  # the scraped text format: 2023-07-12 03:58
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M",
)
_MAX_DATE_TEXT = 200
_YEAR_ONLY = re.compile(r"\d{4}")
_HAS_DIGIT_OR_WORD = re.compile(r"\d|[A-Za-z]{3}")


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _try_stdlib(text: str) -> datetime | None:
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    if "," in text or text[:3].isalpha():
        try:
            return email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    for fmt in _FIXED_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


@lru_cache(maxsize=1)
def _dateparser() -> Any:  # imported lazily: the import alone costs ~120 ms
    import dateparser

    return dateparser


def parse_date(text: str | None, *, relative_base: datetime | None = None) -> datetime | None:
    """Parse a date or datetime string to an aware UTC datetime, or None.

    ``relative_base`` anchors relative expressions ("3 days ago", "last week");
    it defaults to now. Year-only dates resolve to January 1, month-only dates to the
    first of the month, whatever ``relative_base`` is. Never raises: None when
    the text holds no date that fits in years 1-9999 in UTC.
    """
    if not text:
        return None
    text = " ".join(text.split())[:_MAX_DATE_TEXT]
    if not text or not _HAS_DIGIT_OR_WORD.search(text):
        return None
    if _YEAR_ONLY.fullmatch(text):  # a year alone: January 1, never a month of today
        return datetime(int(text), 1, 1, tzinfo=UTC) if text != "0000" else None
    parsed = _try_stdlib(text)
    if parsed is not None:
        return _as_utc_or_none(parsed)
    base = relative_base or datetime.now(UTC)
    settings = {
        "TIMEZONE": "UTC",
        "TO_TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DAY_OF_MONTH": "first",
        "PREFER_MONTH_OF_YEAR": "first",  # a year alone is January, not this month
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY" if re.match(r"\d{1,2} [A-Za-z]", text) else "MDY",
        "RELATIVE_BASE": _as_utc(base).replace(tzinfo=None),
        "STRICT_PARSING": False,
    }
    with warnings.catch_warnings():
        # dateparser/regex may warn on odd input; a bad date is simply "no date".
        warnings.simplefilter("ignore")
        try:
            parsed = _dateparser().parse(text, languages=["en"], settings=settings)
        except Exception:  # any failure on odd text means "no date"
            return None
    return _as_utc_or_none(parsed) if parsed is not None else None


def _as_utc_or_none(value: datetime) -> datetime | None:
    """`_as_utc`, or None when the instant falls outside years 1-9999 in UTC."""
    try:
        return _as_utc(value)
    except (OverflowError, ValueError):
        return None
