"""The Whoosh timeline: a request's matches per period against all articles per period.

Per snapshot (keyed by generation folder and reader generation), once: each
document's signed day number (from the raw ``date`` column of `FacetTables`; its
``days`` vector stops at 1970) and the sorted timestamps of every live dated
article. A request then costs its matching (`matching_documents`), one gather of
the matches' days, their period ordinals (`search.timeline.period_ordinals`), one
``np.bincount``, and two binary searches per period for the all-articles totals
(so a period cut by ``from``/``to`` counts only the articles inside the bounds,
exactly as the matches are filtered).

With ``collapse`` (and near-duplicate groups in the index), a story counts once, in
the period of its earliest matching copy: the timeline's total is then the search's
total; with ``collapse=0`` it is every matching article.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from whoosh.util.times import datetime_to_long

from indexer.whoosh.schema import to_whoosh_date
from search.deadline import Deadline
from search.models import SearchRequest
from search.timeline import (
    EPOCH,
    Period,
    Timeline,
    choose_interval,
    day_end,
    day_start,
    empty_timeline,
    make_timeline,
    period_ordinals,
    periods_between,
    resolve_range,
)
from search.whoosh.execution import Snapshot, matching_documents
from search.whoosh.facet_tables import NO_DATE
from search.whoosh.query import parse_query

__all__ = ["timeline"]

#: Share of the time limit that wildcard expansion may take.
EXPANSION_SHARE = 0.5
_EPOCH_LONG = datetime_to_long(datetime(1970, 1, 1))
_DAY_LONG = 86_400_000_000  # Whoosh's date longs count microseconds
#: Marks an undated document in `_Dates.days`.
UNDATED = np.iinfo(np.int64).min
_CACHE_SIZE = 4


@dataclass(frozen=True, slots=True)
class _Dates:
    """One snapshot's per-document days and the sorted stamps of its live dated articles."""

    days: np.ndarray
    sorted_stamps: np.ndarray
    oldest: date | None
    newest: date | None


_cache: dict[tuple[str, int], _Dates] = {}
_cache_lock = threading.Lock()


def _load_dates(snapshot: Snapshot) -> _Dates:
    stamps = snapshot.tables.stamps
    dated = stamps < np.uint64(NO_DATE)
    signed = np.where(dated, stamps, np.uint64(_EPOCH_LONG)).astype(np.int64)
    days = np.where(dated, (signed - _EPOCH_LONG) // _DAY_LONG, UNDATED)
    live = snapshot.scorer.live()
    kept = np.sort(signed[dated & live[: len(stamps)]])
    oldest: date | None = None
    newest: date | None = None
    if len(kept):
        oldest = date.fromordinal(EPOCH.toordinal() + int((kept[0] - _EPOCH_LONG) // _DAY_LONG))
        newest = date.fromordinal(EPOCH.toordinal() + int((kept[-1] - _EPOCH_LONG) // _DAY_LONG))
    return _Dates(days, kept, oldest, newest)


def snapshot_dates(snapshot: Snapshot) -> _Dates:
    """The snapshot's `_Dates`, made once per generation and commit."""
    key = (str(snapshot.generation), int(snapshot.searcher.reader().generation()))
    with _cache_lock:
        found = _cache.get(key)
    if found is None:
        found = _load_dates(snapshot)
        with _cache_lock:
            while len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = found
    return found


def _long(moment: datetime) -> int:
    naive = to_whoosh_date(moment)
    assert naive is not None
    return int(datetime_to_long(naive))


def _period_totals(dates: _Dates, periods: tuple[Period, ...], request: SearchRequest) -> list[int]:
    """Live dated articles per period, within the request's date bounds."""
    low = _long(request.date_from) if request.date_from else None
    high = _long(request.date_to) if request.date_to else None
    starts = np.array([_long(day_start(p.start)) for p in periods], dtype=np.int64)
    ends = np.array([_long(day_end(p.end)) for p in periods], dtype=np.int64)
    if low is not None:
        starts = np.maximum(starts, low)
    if high is not None:
        ends = np.minimum(ends, high)
    stamps = dates.sorted_stamps
    found = np.searchsorted(stamps, ends, "right") - np.searchsorted(stamps, starts, "left")
    return [int(number) for number in np.maximum(found, 0)]


def _stories(snapshot: Snapshot, docs: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Positions in ``docs`` to count when a story counts once: every document without
    near-duplicates, and of each group its earliest matching copy (dated before undated)."""
    groups = snapshot.groups.story(docs)
    grouped = np.flatnonzero(groups >= 0)
    if not len(grouped):
        return np.arange(len(docs))
    by_day = np.where(days[grouped] == UNDATED, np.iinfo(np.int64).max, days[grouped])
    order = grouped[np.lexsort((by_day, groups[grouped]))]
    _, first = np.unique(groups[order], return_index=True)
    keep = np.concatenate([np.flatnonzero(groups < 0), order[first]])
    keep.sort()
    return keep


def timeline(
    snapshot: Snapshot,
    request: SearchRequest,
    interval: str | None,
    now: datetime,
    deadline: Deadline,
) -> Timeline:
    """``request``'s matches per period of ``interval`` (chosen from the range when
    None): the query as typed (no spelling correction, no relaxing), with its filters."""
    reader = snapshot.searcher.reader()
    parsed = parse_query(
        request.q, snapshot.searcher.schema, request.op, now, reader, deadline.part(EXPANSION_SHARE)
    )
    docs, _ = matching_documents(snapshot, parsed, request, deadline)
    dates = snapshot_dates(snapshot)
    days = dates.days[docs]
    collapsed = bool(request.collapse and snapshot.groups.any_groups)
    if collapsed:
        days = days[_stories(snapshot, docs, days)]
    dated = days != UNDATED
    undated = int(len(days) - np.count_nonzero(dated))
    span = resolve_range(request.date_from, request.date_to, dates.oldest, dates.newest)
    if span is None:
        return empty_timeline(request.q, interval, undated, collapsed)
    chosen = interval or choose_interval(*span)
    periods = periods_between(span[0], span[1], chosen)
    first = int(period_ordinals(np.array([(periods[0].start - EPOCH).days]), chosen)[0])
    places = period_ordinals(days[dated], chosen) - first
    inside = (places >= 0) & (places < len(periods))
    counts = np.bincount(places[inside], minlength=len(periods))
    # Matches outside the span cannot happen (it holds the request's bounds or every
    # dated article); were one there, it would count as undated rather than vanish.
    undated += int(len(places) - np.count_nonzero(inside))
    totals = _period_totals(dates, periods, request)
    return make_timeline(
        request.q,
        chosen,
        periods,
        counts.tolist(),
        totals,
        undated,
        collapsed,
        chosen=interval is None,
        notices=parsed.notices,
    )
