"""The Typesense timeline: month and year periods from the ``month`` facet.

One ``multi_search`` round trip: the query with its filters, faceted by ``month``
(``YYYY-MM``, present only on dated articles), and every article within the request's
date bounds (no query, no facet selections), faceted the same way. Year periods add
up their months; the default range is the first day of the archive's oldest month to
the last day of its newest. Undated matches are the query's ``found`` minus its
month counts.

What this backend cannot do, it refuses: ``day`` and ``week`` intervals need a
per-day count that Typesense 0.24's facets do not give (400 ``unsupported_query``
naming ``interval``); when no interval is asked, one is chosen from the range as on
Whoosh but never finer than a month. Typesense has no near-duplicate groups, so
``collapse`` counts every article (``collapsed`` is false).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from search.errors import InvalidParameter
from search.models import SearchRequest
from search.timeline import (
    DAY,
    MONTH,
    WEEK,
    YEAR,
    Timeline,
    choose_interval,
    empty_timeline,
    make_timeline,
    ordinal_end,
    ordinal_of,
    periods_between,
    resolve_range,
)
from search.typesense.mapping import facet_counts, filter_by
from search.typesense.query import UNSUPPORTED, translate

__all__ = ["typesense_timeline"]

#: Distinct months asked for (every month of 800 years).
MAX_MONTHS = 10_000

MultiSearch = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _month_day(month: str, last: bool) -> date:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    return ordinal_end(ordinal_of(first, MONTH), MONTH) if last else first


def _facet_search(q: str, filters: str) -> dict[str, Any]:
    search: dict[str, Any] = {
        "q": q,
        "query_by": "title,body",
        "facet_by": "month",
        "max_facet_values": MAX_MONTHS,
        "per_page": 0,
    }
    if filters:
        search["filter_by"] = filters
    return search


def typesense_timeline(
    multi_search: MultiSearch,
    request: SearchRequest,
    interval: str | None,
    query_settings: dict[str, Any],
) -> Timeline:
    """``request``'s matches per month or year (see the module docstring);
    ``query_settings`` are the backend's matching settings (typos, prefix, ...)."""
    if interval in (DAY, WEEK):
        raise InvalidParameter(
            "interval",
            f"interval={interval} is not supported by the Typesense backend (its facets "
            "count by month at the finest): use month or year",
            UNSUPPORTED,
        )
    translated = translate(request.q, request.op)
    bounds = SearchRequest(date_from=request.date_from, date_to=request.date_to)
    everything = _facet_search("*", filter_by(bounds))
    if translated.no_words:
        (all_result,) = multi_search([everything])
        found, matched = 0, Counter[str]()
    else:
        query = {**_facet_search(translated.q, filter_by(request)), **query_settings}
        all_result, match_result = multi_search([everything, query])
        found, matched = int(match_result["found"]), facet_counts(match_result, "month")
    all_months = facet_counts(all_result, "month")
    undated = found - sum(matched.values())
    months = sorted(all_months)
    oldest = _month_day(months[0], last=False) if months else None
    newest = _month_day(months[-1], last=True) if months else None
    span = resolve_range(request.date_from, request.date_to, oldest, newest)
    if span is None:
        return empty_timeline(request.q, interval, undated, False)
    chosen = interval or choose_interval(*span)
    if chosen in (DAY, WEEK):
        chosen = MONTH
    periods = periods_between(span[0], span[1], chosen)
    width = 4 if chosen == YEAR else 7  # a period key is a month's first 4 or 7 characters

    def per_period(counted: Counter[str]) -> list[int]:
        summed: Counter[str] = Counter()
        for month, number in counted.items():
            summed[month[:width]] += number
        return [summed.get(period.key, 0) for period in periods]

    counts, totals = per_period(matched), per_period(all_months)
    undated += sum(matched.values()) - sum(counts)  # outside the span: none expected
    timeline = make_timeline(
        request.q, chosen, periods, counts, totals, undated, False, chosen=interval is None
    )
    return dataclasses.replace(timeline, notices=translated.notices)
