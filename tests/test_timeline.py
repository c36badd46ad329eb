"""Attention over time: periods, interval choice, and the counts of both backends.

The counts must agree with the search: a timeline's counts plus its undated matches
are the /api/search total (with collapse=0), and each period's all-articles totals add
up to the dated articles of the index.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typesense_servers import API_KEY, require_binary, typesense_node

from corpus import Article, ReadReport, read_paths
from indexer import build_index
from search import InvalidParameter, SearchRequest, SearchService
from search.timeline import (
    DAY,
    MONTH,
    WEEK,
    YEAR,
    choose_interval,
    ordinal_end,
    ordinal_of,
    ordinal_start,
    period_key,
    period_ordinals,
    periods_between,
)
from support import ARTICLES

QUERIES = ("", "budget", "election", "climate change", "budget OR trade", "-budget")


# -- periods (no index) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "interval"),
    [(1, DAY), (92, DAY), (93, WEEK), (732, WEEK), (733, MONTH), (7320, MONTH), (7321, YEAR)],
)
def test_interval_follows_the_length_of_the_range(days: int, interval: str) -> None:
    start = date(2001, 3, 4)
    assert choose_interval(start, start + timedelta(days=days - 1)) == interval


@pytest.mark.parametrize(
    ("day", "key", "monday"),
    [
        (date(2021, 1, 3), "2020-W53", date(2020, 12, 28)),  # a Sunday in ISO 2020's week 53
        (date(2021, 1, 4), "2021-W01", date(2021, 1, 4)),
        (date(2024, 12, 30), "2025-W01", date(2024, 12, 30)),  # a Monday in ISO 2025
        (date(1969, 12, 31), "1970-W01", date(1969, 12, 29)),  # before the epoch
        (date(1950, 6, 15), "1950-W24", date(1950, 6, 12)),
    ],
)
def test_iso_weeks_start_on_monday_across_year_ends(day: date, key: str, monday: date) -> None:
    ordinal = ordinal_of(day, WEEK)
    assert ordinal_start(ordinal, WEEK) == monday and monday.weekday() == 0
    assert ordinal_end(ordinal, WEEK) == monday + timedelta(days=6)
    assert period_key(monday, WEEK) == key


@pytest.mark.parametrize("interval", [DAY, WEEK, MONTH, YEAR])
def test_vector_ordinals_agree_with_single_days(interval: str) -> None:
    days = [date(1899, 12, 31), date(1969, 12, 31), date(1970, 1, 1), date(2024, 2, 29)]
    numbers = np.array([(d - date(1970, 1, 1)).days for d in days])
    assert period_ordinals(numbers, interval).tolist() == [ordinal_of(d, interval) for d in days]
    for d in days:
        ordinal = ordinal_of(d, interval)
        assert ordinal_start(ordinal, interval) <= d <= ordinal_end(ordinal, interval)


def test_periods_are_continuous_and_bounded() -> None:
    periods = periods_between(date(2023, 11, 20), date(2024, 2, 3), MONTH)
    assert [p.key for p in periods] == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert periods[1].label == "December 2023" and periods[3].end == date(2024, 2, 29)
    for before, after in zip(periods, periods[1:], strict=False):
        assert before.end + timedelta(days=1) == after.start
    with pytest.raises(InvalidParameter) as caught:
        periods_between(date(1, 1, 1), date(9999, 12, 31), DAY)
    assert caught.value.param == "interval"


# -- Whoosh counts ----------------------------------------------------------------------


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("interval", [None, DAY, WEEK, MONTH, YEAR])
def test_counts_add_up_to_the_search_total(
    service: SearchService, q: str, interval: str | None
) -> None:
    request = SearchRequest(q=q, collapse=False)
    timeline = service.timeline(request, interval)
    assert sum(timeline.counts) + timeline.undated == timeline.total
    assert timeline.total == service.search(request).total
    totals = [point.total for point in timeline.points]
    assert sum(totals) == service.doc_count() - 1  # one of the 12 articles is undated
    for point in timeline.points:
        assert point.share == (point.count / point.total if point.total else 0.0)
        assert 0 <= point.count <= point.total


def test_every_period_of_the_range_is_listed(service: SearchService) -> None:
    timeline = service.timeline(SearchRequest(q="election", collapse=False))
    assert timeline.interval == MONTH and timeline.chosen  # April 2021 to January 2024
    keys = [point.period for point in timeline.points]
    assert keys[0] == "2021-04" and keys[-1] == "2024-01" and len(keys) == 34
    counts = dict(zip(keys, timeline.counts, strict=True))
    assert counts["2023-12"] == 1 and counts["2024-01"] == 1 and counts["2022-05"] == 0


def test_request_dates_give_the_range_and_cut_the_edge_periods(service: SearchService) -> None:
    start = datetime(2023, 6, 10, tzinfo=UTC)
    end = datetime(2023, 7, 1, 23, 59, 59, tzinfo=UTC)
    request = SearchRequest(q="", date_from=start, date_to=end, collapse=False)
    timeline = service.timeline(request, WEEK)
    assert timeline.points[0].start == date(2023, 6, 5)  # the Monday of the first week
    assert timeline.points[-1].end == date(2023, 7, 2)
    # climate-1 (5 June) is in the first week but before `from`: neither counted nor a total.
    assert timeline.total == 2 == sum(point.total for point in timeline.points)
    by_day = service.timeline(request)
    assert by_day.interval == DAY and len(by_day.points) == 22


def test_undated_matches_are_counted_apart(service: SearchService) -> None:
    timeline = service.timeline(SearchRequest(q="archive note", collapse=False))
    assert timeline.undated == 1 and timeline.total == 1 and sum(timeline.counts) == 0


def _article(number: int, day: date, body: str) -> Article:
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return Article(id=f"a{number}", title=f"Story {number}", body=body, date=moment)


@pytest.fixture(scope="module")
def copies_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three copies of one wire story on three days, one other story, and a 1950 article."""
    wire = " ".join(f"harbour strike word{n} continues at the docks today" for n in range(30))
    other = " ".join(f"harbour festival item{n} draws crowds to the quay" for n in range(30))
    articles = [
        _article(1, date(2020, 1, 6), wire),
        _article(2, date(2020, 1, 14), wire + " updated"),
        _article(3, date(2020, 2, 2), wire),
        _article(4, date(2020, 2, 20), other),
        _article(5, date(1950, 6, 15), "an old harbour photograph from the archive"),
    ]
    directory = tmp_path_factory.mktemp("copies") / "index"
    build_index(articles, directory)
    return directory


def test_collapse_counts_a_story_once_in_its_first_period(copies_index: Path) -> None:
    service = SearchService(copies_index)
    try:
        every = service.timeline(SearchRequest(q="harbour strike", collapse=False), MONTH)
        stories = service.timeline(SearchRequest(q="harbour strike", collapse=True), MONTH)
        counts = dict(zip((p.period for p in every.points), every.counts, strict=True))
        assert (counts["2020-01"], counts["2020-02"]) == (2, 1) and not every.collapsed
        assert stories.collapsed and stories.total == 1
        story_counts = dict(zip((p.period for p in stories.points), stories.counts, strict=True))
        assert (story_counts["2020-01"], story_counts["2020-02"]) == (1, 0)
        assert stories.total == service.search(SearchRequest(q="harbour strike")).total
        # The totals of all articles are never collapsed.
        assert [p.total for p in stories.points] == [p.total for p in every.points]
    finally:
        service.close()


def test_articles_before_1970_are_in_their_own_years(copies_index: Path) -> None:
    service = SearchService(copies_index)
    try:
        timeline = service.timeline(SearchRequest(q="harbour", collapse=False))
        assert timeline.interval == YEAR and timeline.points[0].period == "1950"
        assert timeline.points[0].count == 1 and timeline.points[0].total == 1
        assert len(timeline.points) == 71 and sum(timeline.counts) == 5
    finally:
        service.close()


# -- Typesense (what its facets can count, and the refusal of the rest) -------------------


@pytest.fixture(scope="module")
def ts_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Typesense node on loopback with the 12 test articles behind the alias."""
    binary = require_binary()
    from indexer.typesense.schema import make_client
    from indexer.typesense.writer import rebuild

    with typesense_node(binary, tmp_path_factory.mktemp("typesense")) as node:
        client = make_client(node.address, API_KEY)
        try:
            rebuild(client, read_paths([ARTICLES], ReadReport()), alias="broadsheet")
        finally:
            client.close()
        yield node.address


@pytest.fixture()
def ts_service(ts_address: str) -> Iterator[object]:
    from search.typesense.backend import TypesenseSearchService

    service = TypesenseSearchService(ts_address, API_KEY, "broadsheet")
    yield service
    service.close()


@pytest.mark.slow
@pytest.mark.parametrize("q", ["", "budget", "election", "climate change"])
@pytest.mark.parametrize("interval", [None, MONTH, YEAR])
def test_typesense_counts_what_whoosh_counts(
    ts_service, service: SearchService, q: str, interval: str | None
) -> None:
    request = SearchRequest(q=q, collapse=False)
    found = ts_service.timeline(request, interval)
    expected = service.timeline(request, interval)
    assert found.interval == expected.interval
    assert [p.period for p in found.points] == [p.period for p in expected.points]
    assert found.counts == expected.counts and found.undated == expected.undated
    assert [p.total for p in found.points] == [p.total for p in expected.points]
    assert found.total == ts_service.search(request).total


@pytest.mark.slow
def test_typesense_month_periods_within_dates(ts_service, service: SearchService) -> None:
    request = SearchRequest(
        q="",
        date_from=datetime(2023, 6, 10, tzinfo=UTC),
        date_to=datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    found, expected = ts_service.timeline(request, MONTH), service.timeline(request, MONTH)
    assert found.counts == expected.counts and found.counts[0] == 1  # 20 June, not 5 June


@pytest.mark.slow
@pytest.mark.parametrize("interval", [DAY, WEEK])
def test_typesense_refuses_day_and_week(ts_service, interval: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        ts_service.timeline(SearchRequest(q="budget"), interval)
    assert caught.value.param == "interval" and caught.value.code == "unsupported_query"
    assert "Typesense" in caught.value.message
