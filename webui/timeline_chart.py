"""The results page's timeline: one query as bars, up to five as lines, counts or share.

No search logic: the counts come from `search.comparison.compare`; this module turns a
`Comparison` into SVG geometry (viewBox units), links and text. Each series of a
comparison has its own dash pattern and marker shape (``series-0`` .. ``series-4``:
colour is never the only difference), a direct label at its end and a legend entry
with its total. The page state stays in the URL: ``q`` repeated (the first is the
search listed below the chart), ``tl=share`` for shares, ``interval=`` to choose the
period length.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from search import InvalidParameter, SearchRequest
from search.comparison import Comparison, ComparisonRequest, check_queries, compare, series_label
from search.parameters import names_of as parameter_names
from search.research_parameters import (
    MAX_COMPARED,
    TIMELINE,
    TIMELINE_INTERVALS,
    TIMELINE_PARAMETERS,
)

#: Parameters /api/timeline takes (the CSV link keeps only these).
TIMELINE_PARAMS = parameter_names(TIMELINE, TIMELINE_PARAMETERS)
#: The marker shape of each series, in order (also named in the legend).
MARKERS = ("circle", "square", "triangle", "diamond", "cross")
#: SVG dash patterns of each series' line ("" = solid).
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 2 4 6")
WIDTH, CHART_HEIGHT, LABEL_SPACE = 640, 110, 116
#: Lines show a marker on every point up to this many periods (else only at the end).
MARKER_POINTS = 60


@dataclass(frozen=True, slots=True)
class Slot:
    """One period's column: its link target and what it says."""

    x: float
    width: float
    label: str
    href: str
    has_matches: bool


@dataclass(frozen=True, slots=True)
class Bar:
    """One period's bar (a single query)."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Series:
    """One query's line (or bars), label and legend entry."""

    index: int
    q: str
    label: str
    short_label: str
    total: int
    marker: str
    dash: str
    points: tuple[tuple[float, float], ...]
    bars: tuple[Bar, ...]
    label_y: float
    remove_href: str


@dataclass(frozen=True, slots=True)
class Tick:
    """A label under the axis."""

    x: float
    text: str
    anchor: str = "start"
    minor: bool = False


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything the template draws."""

    width: int
    height: int
    chart_height: int
    plot_width: float
    mode: str
    interval: str
    peak_text: str
    slots: tuple[Slot, ...]
    series: tuple[Series, ...]
    ticks: tuple[Tick, ...]
    markers_everywhere: bool
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    csv_href: str
    counts_href: str
    share_href: str
    can_add: bool
    comparison: Comparison

    @property
    def compared(self) -> bool:
        """More than one query."""
        return len(self.series) > 1


def page_comparison(
    service: Any, args: MultiDict[str, str], search_request: SearchRequest
) -> Comparison | None:
    """The timelines of the page's queries (its ``q`` values, at most five) under its
    filters; None when there is nothing to draw or the backend cannot (a Typesense
    day interval: the page then goes without its chart)."""
    interval = args.get("interval")
    if interval not in TIMELINE_INTERVALS:
        interval = None
    try:
        queries = check_queries(args.getlist("q")[: MAX_COMPARED + 1])
    except InvalidParameter:
        queries = check_queries(args.getlist("q")[:MAX_COMPARED])
    request = dataclasses.replace(search_request, facets=False, snippets=False, page=1)
    try:
        found = compare(service, ComparisonRequest(queries, request, interval))
    except InvalidParameter:
        return None
    if len(found.first.points) < 2:
        return None
    return found


def _percent(value: float) -> str:
    return f"{value * 100:.2g}%" if value < 0.1 else f"{value * 100:.0f}%"


def _slot_label(comparison: Comparison, index: int) -> str:
    point = comparison.first.points[index]
    parts = []
    for timeline in comparison.timelines:
        mine = timeline.points[index]
        noun = "result" if mine.count == 1 else "results"
        name = f"{series_label(timeline.q)}: " if len(comparison.timelines) > 1 else ""
        parts.append(f"{name}{mine.count:,} {noun} ({_percent(mine.share)})")
    return f"{point.label}: " + "; ".join(parts) + f" of {point.total:,} articles"


def _label_places(ends: list[float], gap: float = 13.0, top: float = 12.0) -> list[float]:
    """Label baselines beside each line's end, at least ``gap`` apart, within the svg:
    placed top-down below the line ends, then pushed up from the bottom where they
    would fall off it (order kept)."""
    order = sorted(range(len(ends)), key=lambda i: ends[i])
    placed = [0.0] * len(ends)
    last = top - gap
    for i in order:
        placed[i] = max(ends[i] + 4, last + gap)
        last = placed[i]
    bottom = CHART_HEIGHT + 16.0
    for i in reversed(order):
        placed[i] = min(placed[i], bottom)
        bottom = placed[i] - gap
    return placed


def _ticks(comparison: Comparison, slot: float, plot_width: float) -> tuple[Tick, ...]:
    points = comparison.first.points
    step = max(1, -(-len(points) // 8))
    found: list[Tick] = []
    for index in range(0, len(points), step):
        text = points[index].period
        x = index * slot
        anchor = "start" if x < plot_width - 48 else "end"
        found.append(Tick(round(x, 2), text, anchor, minor=len(found) % 2 == 1))
    return tuple(found)


def _without_query(args: MultiDict[str, str], remaining: list[str]) -> str:
    """The page's URL comparing only the ``remaining`` queries."""
    from webui.presenters import search_url

    kept = [(k, v) for k, v in args.items(multi=True) if k != "q"]
    return search_url(MultiDict([*kept, *(("q", q) for q in remaining)]))


def build_chart(comparison: Comparison, args: MultiDict[str, str]) -> Chart:
    """Lay out ``comparison`` for the page whose arguments are ``args``."""
    from webui.presenters import search_url

    mode = "share" if args.get("tl") == "share" else "count"
    timelines = comparison.timelines
    compared = len(timelines) > 1
    points = comparison.first.points
    plot_width = WIDTH - LABEL_SPACE if compared else WIDTH
    slot = plot_width / len(points)
    values = [t.shares if mode == "share" else [float(c) for c in t.counts] for t in timelines]
    peak = max((max(v, default=0.0) for v in values), default=0.0) or 1.0
    slots = tuple(
        Slot(
            round(i * slot, 2),
            round(slot, 2),
            _slot_label(comparison, i),
            search_url(args, from_=point.start.isoformat(), to=point.end.isoformat()),
            any(t.points[i].count for t in timelines),
        )
        for i, point in enumerate(points)
    )
    ends = [CHART_HEIGHT - CHART_HEIGHT * v[-1] / peak for v in values]
    label_ys = _label_places(ends)
    bar_width = min(slot - min(2.0, slot * 0.2), 48.0)
    series = []
    for index, (timeline, mine) in enumerate(zip(timelines, values, strict=True)):
        coords = tuple(
            (round(i * slot + slot / 2, 2), round(CHART_HEIGHT - CHART_HEIGHT * v / peak, 2))
            for i, v in enumerate(mine)
        )
        bars: tuple[Bar, ...] = ()
        if not compared:
            bars = tuple(
                Bar(
                    round(i * slot + (slot - bar_width) / 2, 2),
                    round(CHART_HEIGHT - h, 2),
                    round(bar_width, 2),
                    round(h, 2),
                )
                for i, v in enumerate(mine)
                for h in [0.0 if v == 0 else max(2.0, CHART_HEIGHT * v / peak)]
            )
        label = series_label(timeline.q)
        remaining = [q for q in args.getlist("q") if q.strip() != timeline.q]
        series.append(
            Series(
                index,
                timeline.q,
                label,
                label if len(label) <= 16 else label[:15] + "…",
                timeline.total,
                MARKERS[index],
                DASHES[index],
                coords,
                bars,
                round(label_ys[index], 2),
                _without_query(args, remaining),
            )
        )
    peak_text = _percent(peak) if mode == "share" else f"{int(peak):,}"
    rows = tuple(
        (
            point.label,
            tuple(f"{t.points[i].count:,} ({_percent(t.points[i].share)})" for t in timelines),
        )
        for i, point in enumerate(points)
    )
    kept = MultiDict([(k, v) for k, v in args.items(multi=True) if k in TIMELINE_PARAMS])
    kept.setlist("format", ["csv"])
    kept_values: dict[str, Any] = {k: kept.getlist(k) for k in kept}
    csv_href = url_for("timeline_api.timeline", **kept_values)
    return Chart(
        WIDTH,
        CHART_HEIGHT + 20,
        CHART_HEIGHT,
        plot_width,
        mode,
        comparison.first.interval,
        peak_text,
        slots,
        tuple(series),
        _ticks(comparison, slot, plot_width),
        len(points) <= MARKER_POINTS,
        rows,
        csv_href,
        search_url(args, tl=None) + "#timeline",
        search_url(args, tl="share") + "#timeline",
        len(timelines) < MAX_COMPARED,
        comparison,
    )


def page_chart(
    service: Any, args: MultiDict[str, str], search_request: SearchRequest
) -> Chart | None:
    """The page's chart, or None (see `page_comparison`)."""
    found = page_comparison(service, args, search_request)
    return build_chart(found, args) if found is not None else None


__all__ = ["Chart", "build_chart", "page_chart", "page_comparison"]
