"""Timelines of up to five queries side by side: the request, the JSON and the CSV.

`parse_comparison` reads the timeline parameters (`search.research_parameters.TIMELINE_PARAMETERS`:
``q`` repeated, the search filters, ``interval``, ``format``); `compare` asks a backend
for one `search.timeline.Timeline` per query, all under the same filters, so they share
one axis; `Comparison` answers in one fixed shape for one to five queries:

``{"interval", "interval_chosen", "collapse", "from", "to", "periods": [{"period",
"label", "start", "end", "total"}], "series": [{"q", "label", "total", "undated",
"counts", "shares", "notices"}]}``

and as CSV (`Comparison.to_csv`): UTF-8 with a byte-order mark (spreadsheets then read
it as UTF-8), one header row, then one row per period: ``period, start, end,
all_articles`` and, per query, ``<label> count`` and ``<label> share``. A cell that a
spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from search.csv_cells import download_name, neutral_cell
from search.errors import InvalidParameter
from search.models import SearchRequest
from search.parameters import parameters_of, parse_arguments, validate
from search.research_parameters import MAX_COMPARED, TIMELINE, TIMELINE_PARAMETERS
from search.timeline import Timeline

__all__ = ["Comparison", "ComparisonRequest", "compare", "parse_comparison", "series_label"]

#: What a series of no query (every article) is called.
ALL_ARTICLES = "All articles"


class TimelineBackend(Protocol):
    """The part of `search.backends.SearchBackend` a comparison needs."""

    def timeline(
        self, request: SearchRequest, interval: str | None = None, now: datetime | None = None
    ) -> Timeline:
        """One query's timeline."""
        ...


@dataclass(frozen=True, slots=True)
class ComparisonRequest:
    """The queries to compare, the filters they share, the interval and the format."""

    queries: tuple[str, ...]
    request: SearchRequest
    interval: str | None
    format: str = "json"

    def requests(self) -> list[SearchRequest]:
        """One `SearchRequest` per query, with the shared filters."""
        return [dataclasses.replace(self.request, q=q) for q in self.queries]


def series_label(q: str) -> str:
    """How a series is named: its query, or `ALL_ARTICLES` for none."""
    return q.strip() or ALL_ARTICLES


def check_queries(queries: Sequence[str]) -> tuple[str, ...]:
    """``queries`` (distinct, in order; none means one series of every article); more
    than `MAX_COMPARED` raises `InvalidParameter` naming ``q``."""
    distinct = tuple(dict.fromkeys(q.strip() for q in queries if q.strip()))
    if len(distinct) > MAX_COMPARED:
        raise InvalidParameter(
            "q",
            f"at most {MAX_COMPARED} queries can be compared, got {len(distinct)}",
            "too_many_queries",
        )
    return distinct or ("",)


def parse_comparison(values: Mapping[str, Sequence[str]], now: datetime) -> ComparisonRequest:
    """The `ComparisonRequest` of raw timeline parameters (name -> every value given)."""
    parsed = parse_arguments(values, now, TIMELINE, TIMELINE_PARAMETERS)
    fields = {
        p.field: parsed[p.name]
        for p in parameters_of(TIMELINE, TIMELINE_PARAMETERS)
        if p.field and p.name != "q"
    }
    request = SearchRequest(**fields, facets=False, snippets=False)
    validate(request)
    return ComparisonRequest(
        check_queries(parsed["q"]), request, parsed["interval"], parsed["format"]
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """One timeline per query, on one axis."""

    timelines: tuple[Timeline, ...]

    @property
    def first(self) -> Timeline:
        """The first query's timeline (its axis is every timeline's axis)."""
        return self.timelines[0]

    def to_json_dict(self) -> dict[str, Any]:
        """The fixed JSON shape of the module docstring."""
        first = self.first
        points = first.points
        return {
            "interval": first.interval,
            "interval_chosen": first.chosen,
            "collapse": first.collapsed,
            "from": points[0].start.isoformat() if points else None,
            "to": points[-1].end.isoformat() if points else None,
            "periods": [
                {
                    "period": p.period,
                    "label": p.label,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "total": p.total,
                }
                for p in points
            ],
            "series": [
                {
                    "q": timeline.q,
                    "label": series_label(timeline.q),
                    "total": timeline.total,
                    "undated": timeline.undated,
                    "counts": timeline.counts,
                    "shares": timeline.shares,
                    "notices": list(timeline.notices),
                }
                for timeline in self.timelines
            ],
        }

    def csv_rows(self) -> list[list[str]]:
        """The header row and one row per period (cells as text, formulas neutralised)."""
        header = ["period", "start", "end", "all_articles"]
        for timeline in self.timelines:
            label = series_label(timeline.q)
            header += [f"{label} count", f"{label} share"]
        rows = [header]
        for index, point in enumerate(self.first.points):
            row = [point.period, point.start.isoformat(), point.end.isoformat(), str(point.total)]
            for timeline in self.timelines:
                mine = timeline.points[index]
                row += [str(mine.count), f"{mine.share:.6g}"]
            rows.append(row)
        return [[neutral_cell(cell) for cell in row] for row in rows]

    def to_csv(self) -> str:
        """The CSV text (with its byte-order mark)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerows(self.csv_rows())
        return "\ufeff" + buffer.getvalue()

    def filename(self, day: str) -> str:
        """A download name: ``timeline-<first query>-<day>.csv``, safe characters only."""
        words = "-".join(series_label(t.q) for t in self.timelines)
        return download_name("timeline", words, day, "csv")


def compare(
    backend: TimelineBackend, comparison: ComparisonRequest, now: datetime | None = None
) -> Comparison:
    """Each query's timeline from ``backend``, in order, on the first one's interval
    (so a chosen interval is chosen once)."""
    timelines: list[Timeline] = []
    interval = comparison.interval
    for request in comparison.requests():
        timeline = backend.timeline(request, interval, now)
        if comparison.interval is None:
            interval = timeline.interval if timeline.points else None
            timeline = dataclasses.replace(timeline, chosen=True)
        timelines.append(timeline)
    return Comparison(tuple(timelines))
