"""Presentation helpers for the templates: URLs that change one piece of state,
date-range presets (the timeline's geometry: `webui.timeline_chart`).

No search logic lives here: counts come from the search layer's facets; this
module only turns them into links and rectangles.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from search.parameters import filter_names
from webui.urls import external_url

#: Parameters that select a subset of results (removed by "clear all").
FILTER_PARAMS = filter_names()
#: (key, label, days) of the date-range presets, counted back from the archive's newest day.
DATE_PRESETS = (
    ("week", "Last week", 7),
    ("month", "Last month", 31),
    ("year", "Last year", 366),
)
#: Facet values shown before "Show more".
FACET_SHOWN = 8


def search_url(
    args: MultiDict[str, str],
    endpoint: str = "views.search_page",
    _external: bool = False,
    **changes: Any,
) -> str:
    """URL of the search page with ``args`` changed: a value of None removes the key.

    ``toggle=(name, value)`` adds or removes one value of a repeatable parameter.
    Names that are Python keywords can be passed with a trailing underscore
    (``from_=...``). Any change but ``page`` goes back to page 1.
    """
    params: MultiDict[str, str] = MultiDict(args)
    toggle = changes.pop("toggle", None)
    if toggle is not None:
        name, value = toggle
        values = params.getlist(name)
        params.setlist(
            name, [v for v in values if v != value] if value in values else [*values, value]
        )
    for name, value in changes.items():
        name = name.rstrip("_")
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    if "page" not in changes:
        params.pop("page", None)
    query: dict[str, Any] = {
        k: params.getlist(k)
        for k in params
        if params.getlist(k) and k != "endpoint" and not k.startswith("_")
    }
    if _external:
        return external_url(endpoint, **query)
    return url_for(endpoint, **query)


def has_filters(args: MultiDict[str, str]) -> bool:
    """True when any filter parameter is set."""
    return any(value.strip() for name in FILTER_PARAMS for value in args.getlist(name))


def clear_filters_url(args: MultiDict[str, str]) -> str:
    """The search URL with every filter removed (query, sort and page size kept)."""
    cleared: dict[str, Any] = {name: None for name in FILTER_PARAMS}
    return search_url(args, **cleared)


def date_presets(args: MultiDict[str, str], newest: date | None) -> list[dict[str, Any]]:
    """Links for "last week / month / year of the archive": the span of that many days
    ending on the archive's newest day (an archive that ended years ago still has a last
    month), as ``from``/``to``. None when the archive has no dated article."""
    if newest is None:
        return []
    presets = []
    for key, label, days in DATE_PRESETS:
        start, end = (newest - timedelta(days=days - 1)).isoformat(), newest.isoformat()
        presets.append(_range_link(args, key, label, start, end))
    return presets


def _range_link(
    args: MultiDict[str, str], key: str, label: str, start: str, end: str
) -> dict[str, Any]:
    current = args.get("from") == start and args.get("to") == end
    href = search_url(args, from_=start, to=end)
    return {"key": key, "label": label, "href": href, "current": current}


def date_jumps(args: MultiDict[str, str], years: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    """Decade links over the archive's years (``years``: the year facet), and year links
    within the decade that the dates chosen fall in (or, for an archive of at most a
    decade, every year), newest first."""
    found = sorted({int(item.value) for item in years if str(item.value).isdigit()}, reverse=True)
    decades = sorted({year // 10 * 10 for year in found}, reverse=True)
    chosen = (args.get("from") or "")[:4]
    decade = int(chosen) // 10 * 10 if chosen.isdigit() else None
    if len(decades) == 1:
        decade = decades[0]
    return {
        "decades": [
            _range_link(args, f"d{d}", f"{d}s", f"{d}-01-01", f"{d + 9}-12-31") for d in decades
        ]
        if len(decades) > 1
        else [],
        "years": [
            _range_link(args, f"y{y}", str(y), f"{y}-01-01", f"{y}-12-31")
            for y in found
            if decade is not None and decade <= y < decade + 10
        ],
    }


def query_date_range(response: Any) -> tuple[str, str]:
    """The From and To days (ISO) that the query's own dates (``after:2008``) come to,
    "" where open: the latest start and the earliest end of those not negated."""
    starts = [found.start for found in response.query_dates if found.start and not found.negated]
    ends = [found.end for found in response.query_dates if found.end and not found.negated]
    start = max(starts).date().isoformat() if starts else ""
    end = min(ends).date().isoformat() if ends else ""
    return start, end


def day_label(value: Any) -> str:
    """``2009-01-01T00:00Z`` -> ``1 January 2009``."""
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"


def split_facet(values: Sequence[Any], shown: int = FACET_SHOWN) -> tuple[list[Any], list[Any]]:
    """The values shown at once (the first ``shown`` and every selected one) and the rest,
    behind "Show more"."""
    first = list(values[:shown])
    rest = [value for value in values[shown:] if not value.selected]
    first += [value for value in values[shown:] if value.selected]
    return first, rest


def article_date(value: Any) -> str:
    """An article's publication time: the day alone when only the day is known (a time
    of exactly midnight UTC is what a date without a time reads as)."""
    day = f"{value.day} {calendar.month_name[value.month]} {value.year}"
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return day
    return f"{day}, {value:%H:%M} UTC"


def month_range(month: str) -> tuple[str, str]:
    """First and last day (ISO dates) of a ``YYYY-MM`` month."""
    year, number = (int(part) for part in month.split("-"))
    last = calendar.monthrange(year, number)[1]
    return f"{year:04d}-{number:02d}-01", f"{year:04d}-{number:02d}-{last:02d}"


def month_label(month: str) -> str:
    """``2023-03`` -> ``March 2023``."""
    year, number = (int(part) for part in month.split("-"))
    return f"{calendar.month_name[number]} {year}"


def web_url(value: str | None) -> str:
    """``value`` if it is an http(s) URL, else "" (no ``javascript:`` links from data)."""
    text = (value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""


#: A body with no line breaks is set in paragraphs of about this many characters,
#: broken only after a sentence.
PARAGRAPH_CHARS = 600
_SENTENCE_END = re.compile(r"(?<=[a-z0-9%)][.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")


def paragraphs(body: str) -> list[str]:
    """Split article text into paragraphs: at blank lines, else at single newlines (the
    source's paragraphs); a long body without any line break (as many converted
    archives are) into paragraphs of whole sentences of about `PARAGRAPH_CHARS`."""
    text = body.replace("\r\n", "\n")
    blocks = [block.strip() for block in text.split("\n\n")]
    if len(blocks) == 1:
        blocks = [line.strip() for line in text.splitlines()]
    blocks = [block for block in blocks if block]
    if len(blocks) == 1 and len(blocks[0]) > PARAGRAPH_CHARS:
        return _sentence_paragraphs(blocks[0])
    return blocks


def _sentence_paragraphs(text: str) -> list[str]:
    found, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() - start >= PARAGRAPH_CHARS * 2 // 3:
            found.append(text[start : match.start()].strip())
            start = match.end()
    found.append(text[start:].strip())
    if len(found) > 1 and len(found[-1]) < PARAGRAPH_CHARS // 4:
        found[-2:] = [f"{found[-2]} {found[-1]}"]
    return [block for block in found if block]
