"""Field values from untrusted records: never raise, name what is wrong, keep the article.

Readers turn raw values (JSON numbers and strings, CSV cells, header lines) into
`Article` fields through these helpers. A value that cannot be used becomes None and
the problem is named in the report with the record's origin (``file.jsonl:12``,
``feed.rss#item3``); the article is kept without that field.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from corpus.dates import parse_date
from corpus.report import ReadReport

#: Largest view count an article may carry. The index stores ``views`` in a signed
#: 64-bit NUMERIC field (indexer/whoosh/schema.py, with -1 for "unknown"); Typesense's is int64.
MAX_VIEWS = 2**63 - 1
_MAX_VIEWS_DIGITS = len(str(MAX_VIEWS))
_COUNT = re.compile(r"[+-]?\d+")
_SHOWN = 40


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:_SHOWN] + "…" if len(text) > _SHOWN else text)


def read_views(value: Any, where: str, report: ReadReport) -> int | None:
    """A view count in ``[0, MAX_VIEWS]`` from an int, an integral float or a string of
    digits (``"1,234"`` and spaces allowed), or None.

    None and ``""`` are simply no views. Anything else that is not such a count is named
    in ``report`` under ``where``: "unreadable views" or "views out of range". Digit
    strings of any length are judged without converting them (Python refuses to convert
    more than 4,300 digits).
    """
    if value is None or value == "":
        return None
    count: int | None = None
    if isinstance(value, bool):
        count = None
    elif isinstance(value, int):
        count = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        count = int(value)
    elif isinstance(value, float) and math.isinf(value):
        return _out_of_range(value, where, report)
    elif isinstance(value, str):
        text = re.sub(r"[\s,_]", "", value)
        if _COUNT.fullmatch(text):
            digits = text.lstrip("+-").lstrip("0")
            if text.startswith("-") and digits or len(digits) > _MAX_VIEWS_DIGITS:
                return _out_of_range(value, where, report)
            count = int(digits or "0")
    if count is None:
        report.add_problem(where, f"unreadable views: {_shown(value)} (article kept without views)")
        return None
    if not 0 <= count <= MAX_VIEWS:
        return _out_of_range(value, where, report)
    return count


def _out_of_range(value: Any, where: str, report: ReadReport) -> int | None:
    """Name ``value`` as out of range in ``report``; None (no views)."""
    report.add_problem(
        where,
        f"views out of range: {_shown(value)} not in 0..{MAX_VIEWS} (article kept without views)",
    )
    return None


def read_date(value: str, where: str, report: ReadReport) -> datetime | None:
    """`parse_date` of a record's date text; an unreadable date (one that is not a date,
    or one outside the years 1-9999 once moved to UTC) is named under ``where``."""
    text = value.strip()
    if not text:
        return None
    date = parse_date(text)
    if date is None:
        report.add_problem(where, f"unreadable date: {_shown(text)} (article kept without date)")
    return date
