"""Date parsing: every form news archives use, to the right UTC instant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from corpus.dates import parse_date
from corpus.reuters import reuters_date

UTC = UTC
BASE = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-07-12 03:58", datetime(2023, 7, 12, 3, 58, tzinfo=UTC)),
        ("Wed, 12 Jul 2023 03:58:00 GMT", datetime(2023, 7, 12, 3, 58, tzinfo=UTC)),
        ("2023-07-12T03:58:00+02:00", datetime(2023, 7, 12, 1, 58, tzinfo=UTC)),
        ("July 12, 2023", datetime(2023, 7, 12, tzinfo=UTC)),
        ("12 July 2023", datetime(2023, 7, 12, tzinfo=UTC)),
        ("26-FEB-1987 15:01:01.79", datetime(1987, 2, 26, 15, 1, 1, 790000, tzinfo=UTC)),
        ("2019-01-03T07:00:02.000Z", datetime(2019, 1, 3, 7, 0, 2, tzinfo=UTC)),
        ("2017-11-16T14:15+0000", datetime(2017, 11, 16, 14, 15, tzinfo=UTC)),
    ],
)
def test_parse_date_absolute(text: str, expected: datetime) -> None:
    assert parse_date(text, relative_base=BASE) == expected


def test_parse_date_relative_uses_fixed_base() -> None:
    assert parse_date("3 days ago", relative_base=BASE) == datetime(2024, 1, 12, 12, 0, tzinfo=UTC)
    assert parse_date("yesterday", relative_base=BASE).date() == datetime(2024, 1, 14).date()


def test_parse_date_rejects_noise() -> None:
    assert parse_date("") is None
    assert parse_date("   ") is None
    assert parse_date("not a date at all, sorry", relative_base=BASE) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 5-MAR-1987 09:15:05.40", datetime(1987, 3, 5, 9, 15, 5, tzinfo=UTC)),
        ("3-MAR-1987  09:15:05.40", datetime(1987, 3, 3, 9, 15, 5, tzinfo=UTC)),
        ("27-MAR-1987 00:03:35.68&#5;&#5;&#5;F", datetime(1987, 3, 27, 0, 3, 35, tzinfo=UTC)),
        ("31-MAR-1987 605:12:19.12", datetime(1987, 3, 31, tzinfo=UTC)),
    ],
)
def test_reuters_date_variants(raw: str, expected: datetime) -> None:
    assert reuters_date(raw) == expected
