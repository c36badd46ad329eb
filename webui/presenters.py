"""Presentation helpers for the templates: URLs that change one piece of state,
date-range presets and the geometry of the results-per-month timeline.

No search logic lives here: counts come from the search layer's facets; this
module only turns them into links and rectangles.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from webui.urls import external_url

#: Parameters that select a subset of results (removed by "clear all").
FILTER_PARAMS = ("tag", "source", "year", "month", "from", "to")
#: (key, label, days back) of the date-range presets.
DATE_PRESETS = (("week", "Past week", 7), ("month", "Past month", 31), ("year", "Past year", 366))


def search_url(
    args: MultiDict, endpoint: str = "views.search_page", _external: bool = False, **changes: Any
) -> str:
    """URL of the search page with ``args`` changed: a value of None removes the key.

    ``toggle=(name, value)`` adds or removes one value of a repeatable parameter.
    Names that are Python keywords can be passed with a trailing underscore
    (``from_=...``). Any change but ``page`` goes back to page 1.
    """
    params = MultiDict(args)
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
    values = {
        k: params.getlist(k)
        for k in params
        if params.getlist(k) and k != "endpoint" and not k.startswith("_")
    }
    if _external:
        return external_url(endpoint, **values)
    return url_for(endpoint, **values)


def has_filters(args: MultiDict) -> bool:
    """True when any filter parameter is set."""
    return any(value.strip() for name in FILTER_PARAMS for value in args.getlist(name))


def clear_filters_url(args: MultiDict) -> str:
    """The search URL with every filter removed (query, sort and page size kept)."""
    return search_url(args, **{name: None for name in FILTER_PARAMS})


def date_presets(args: MultiDict, today: date) -> list[dict[str, Any]]:
    """Links for "past week / month / year": ``from`` that many days back, no ``to``."""
    presets = []
    for key, label, days in DATE_PRESETS:
        start = (today - timedelta(days=days)).isoformat()
        current = args.get("from") == start and not args.get("to")
        presets.append(
            {
                "key": key,
                "label": label,
                "href": search_url(args, from_=start, to=None),
                "current": current,
            }
        )
    return presets


def month_range(month: str) -> tuple[str, str]:
    """First and last day (ISO dates) of a ``YYYY-MM`` month."""
    year, number = (int(part) for part in month.split("-"))
    last = calendar.monthrange(year, number)[1]
    return f"{year:04d}-{number:02d}-01", f"{year:04d}-{number:02d}-{last:02d}"


def month_label(month: str) -> str:
    """``2023-03`` -> ``March 2023``."""
    year, number = (int(part) for part in month.split("-"))
    return f"{calendar.month_name[number]} {year}"


@dataclass(frozen=True, slots=True)
class Bar:
    """One month of the timeline: its rectangle, label and link target."""

    month: str
    count: int
    slot_x: float
    slot_width: float
    x: float
    y: float
    width: float
    height: float
    label: str
    date_from: str
    date_to: str


@dataclass(frozen=True, slots=True)
class Tick:
    """A year label under the timeline."""

    x: float
    text: str
    anchor: str = "start"


@dataclass(frozen=True, slots=True)
class Timeline:
    """Geometry of the SVG bar chart (in viewBox units)."""

    width: int
    height: int
    chart_height: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    peak: int


def build_timeline(
    months: Sequence[Any], width: int = 640, chart_height: int = 90, max_ticks: int = 8
) -> Timeline | None:
    """Lay out the month facet (chronological ``value``/``count`` items, zero months
    included) as bars; None when there are fewer than two months or no counts."""
    values = [(str(item.value), int(item.count)) for item in months if _is_month(item.value)]
    peak = max((count for _, count in values), default=0)
    if len(values) < 2 or peak == 0:
        return None
    slot = width / len(values)
    bar_width = min(slot - min(2.0, slot * 0.2), 48.0)
    bars = []
    for position, (month, count) in enumerate(values):
        height = 0.0 if count == 0 else max(2.0, chart_height * count / peak)
        first, last = month_range(month)
        noun = "result" if count == 1 else "results"
        bars.append(
            Bar(
                month=month,
                count=count,
                slot_x=round(position * slot, 2),
                slot_width=round(slot, 2),
                x=round(position * slot + (slot - bar_width) / 2, 2),
                y=round(chart_height - height, 2),
                width=round(bar_width, 2),
                height=round(height, 2),
                label=f"{month_label(month)}: {count:,} {noun}",
                date_from=first,
                date_to=last,
            )
        )
    years = sorted({month[:4] for month, _ in values})
    step = max(1, -(-len(years) // max_ticks))
    ticks = []
    for index, (month, _) in enumerate(values):
        year = month[:4]
        if (index == 0 or month.endswith("-01")) and years.index(year) % step == 0:
            if not ticks or ticks[-1].text != year:
                ticks.append(_tick(index, slot, width, year))
    return Timeline(width, chart_height + 18, chart_height, tuple(bars), tuple(ticks), peak)


def _tick(index: int, slot: float, width: int, text: str) -> Tick:
    if slot >= 40:
        return Tick(round(index * slot + slot / 2, 2), text, "middle")
    x = index * slot
    if x > width - 32:
        return Tick(float(width), text, "end")
    return Tick(round(x, 2), text)


def _is_month(value: object) -> bool:
    text = str(value)
    return len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit()


def web_url(value: str | None) -> str:
    """``value`` if it is an http(s) URL, else "" (no ``javascript:`` links from data)."""
    text = (value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""


def paragraphs(body: str) -> list[str]:
    """Split article text into paragraphs at blank lines (or single newlines)."""
    blocks = [block.strip() for block in body.replace("\r\n", "\n").split("\n\n")]
    if len(blocks) == 1:
        blocks = [line.strip() for line in body.splitlines()]
    return [block for block in blocks if block]
