"""HTTP arguments to `SearchRequest` (webui.params): the search parameters' parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from werkzeug.datastructures import MultiDict

from search import InvalidParameter
from webui.params import request_to_search_request

NOW = datetime(2024, 3, 14, 12, 0, tzinfo=UTC)


def parse(**args: object):
    pairs = [
        (k, v)
        for k, values in args.items()
        for v in (values if isinstance(values, list) else [values])
    ]
    return request_to_search_request(MultiDict(pairs), now=NOW)


def test_months_collapse_recency_and_op() -> None:
    request = parse(month=["2024-01", "2024-02", "2024-01"], collapse="0", recency="1", op="or")
    assert request.months == ("2024-01", "2024-02")
    assert request.collapse is False and request.recency is True and request.op == "or"
    assert parse().collapse is True and parse().recency is False


def test_date_bounds_cover_their_whole_span() -> None:
    request = parse(**{"from": "2023-07", "to": "2023-07"})
    assert request.date_from == datetime(2023, 7, 1, tzinfo=UTC)
    assert request.date_to == datetime(2023, 7, 31, 23, 59, 59, 999999, tzinfo=UTC)
    request = parse(**{"to": "2023-12-31T12:00:00Z"})
    assert request.date_to == datetime(2023, 12, 31, 12, tzinfo=UTC)
    assert parse(**{"from": "yesterday"}).date_from == datetime(2024, 3, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "param", "code"),
    [
        ({"month": "2024-13"}, "month", "invalid_parameter"),
        ({"collapse": "maybe"}, "collapse", "invalid_parameter"),
        ({"from": "not a date"}, "from", "invalid_date"),
        ({"to": "31/31/2023"}, "to", "invalid_date"),
        ({"per_page": "101"}, "per_page", "invalid_parameter"),
    ],
)
def test_bad_values_name_their_parameter(args: dict, param: str, code: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse(**args)
    assert caught.value.param == param and caught.value.code == code


@pytest.mark.parametrize(
    ("args", "param", "code"),
    [
        ({"q": "a", "year": "\u00b2"}, "year", "invalid_parameter"),  # isdigit, not int
        ({"q": "a", "year": "\u2460"}, "year", "invalid_parameter"),
        ({"year": "\u0661\u0669\u0669\u0669"}, "year", "invalid_parameter"),  # Arabic-Indic
        ({"page": "\u00b2"}, "page", "invalid_parameter"),
        ({"per_page": "1_0"}, "per_page", "invalid_parameter"),
        ({"month": "\u0661\u0669\u0669\u0669-01"}, "month", "invalid_parameter"),
        ({"from": "last 9999 years"}, "from", "invalid_date"),
        ({"from": "0001-01-01T00:00+05:00"}, "from", "invalid_date"),
        ({"to": "9999-12-31T23:00-05:00"}, "to", "invalid_date"),
    ],
)
def test_values_that_used_to_crash_are_400s(args: dict, param: str, code: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse(**args)
    assert caught.value.param == param and caught.value.code == code


def test_every_year_an_article_can_have_is_a_date_bound() -> None:
    request = parse(**{"from": "0001-01-01", "to": "9999"})
    assert request.date_from == datetime(1, 1, 1, tzinfo=UTC)
    assert request.date_to == datetime.max.replace(tzinfo=UTC)
    request = parse(**{"from": "9999-01-01", "to": "9999-12-31"})
    assert request.date_from == datetime(9999, 1, 1, tzinfo=UTC)
    assert request.date_to == datetime.max.replace(tzinfo=UTC)
    assert parse(**{"to": "9999-12"}).date_to == datetime.max.replace(tzinfo=UTC)
    assert parse(year=["0001", "9999"]).years == (1, 9999)
