"""Presentation helpers: URL changes, date presets, timeline geometry, safe links."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from werkzeug.datastructures import MultiDict

from webui.presenters import (
    clear_filters_url,
    date_presets,
    month_range,
    paragraphs,
    search_url,
    web_url,
)


def query(url: str) -> dict[str, list[str]]:
    """The query string of ``url`` as a dict of lists."""
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_search_url_toggles_and_resets_the_page(app: Flask) -> None:
    args = MultiDict([("q", "x"), ("tag", "A"), ("page", "3"), ("endpoint", "evil")])
    with app.test_request_context():
        assert query(search_url(args, toggle=("tag", "B"))) == {"q": ["x"], "tag": ["A", "B"]}
        assert query(search_url(args, toggle=("tag", "A"))) == {"q": ["x"]}
        assert query(search_url(args, page=4))["page"] == ["4"]
        assert query(search_url(args, from_="2023-01-01"))["from"] == ["2023-01-01"]
        assert search_url(args, _external=True).startswith("http://localhost/")
        cleared = query(clear_filters_url(MultiDict([("q", "x"), ("tag", "A"), ("to", "2023")])))
        assert cleared == {"q": ["x"]}


def test_date_presets_count_back_from_the_archive_end(app: Flask) -> None:
    with app.test_request_context():
        chosen = MultiDict([("from", "2024-03-09"), ("to", "2024-03-15")])
        presets = date_presets(chosen, date(2024, 3, 15))
        assert date_presets(chosen, None) == []
    assert [p["label"] for p in presets] == ["Last week", "Last month", "Last year"]
    assert query(presets[0]["href"])["from"] == ["2024-03-09"] and presets[0]["current"]
    assert query(presets[0]["href"])["to"] == ["2024-03-15"]
    assert query(presets[2]["href"])["from"] == ["2023-03-16"] and not presets[2]["current"]


def test_month_range_and_paragraphs_and_web_url() -> None:
    assert month_range("2023-02") == ("2023-02-01", "2023-02-28")
    assert paragraphs("One.\n\nTwo.\n\n\n") == ["One.", "Two."]
    assert paragraphs("a\nb") == ["a", "b"]
    assert web_url("https://example.org/x") == "https://example.org/x"
    assert web_url("javascript:alert(1)") == "" and web_url(None) == ""
