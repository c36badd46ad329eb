"""Search entry point: ranking, snippets, facets, paging, fallbacks and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from search import InvalidParameter, SearchRequest, SearchResponse, SearchService
from support import ARTICLES, REPO, article_ids, assert_consistent_page


def ids(response: SearchResponse) -> list[str]:
    return [hit.id for hit in response.hits]


def test_title_match_ranks_above_body_only_match(service: SearchService) -> None:
    response = service.search(SearchRequest(q="budget", per_page=10))
    assert ids(response)[0] in {"t-budget-title", "t-budget-old"}
    assert ids(response).index("t-budget-body") > 0
    assert response.hits[0].score >= response.hits[-1].score


def test_all_words_required_by_default(service: SearchService) -> None:
    response = service.search(SearchRequest(q="election turnout"))
    assert ids(response) == ["t-election-1"]
    assert response.relaxed is False


def test_falls_back_to_any_word_and_says_so(service: SearchService) -> None:
    response = service.search(SearchRequest(q="turnout tariffs"))
    assert set(ids(response)) == {"t-election-1", "t-trade"}
    assert response.relaxed is True
    assert any("any of them" in notice for notice in response.notices)


def test_stemming_undoubles_consonants(service: SearchService) -> None:
    assert "t-shipping" in ids(service.search(SearchRequest(q="ship")))


def test_phrase_requires_adjacent_words(service: SearchService) -> None:
    response = service.search(SearchRequest(q='"climate change"'))
    assert ids(response) == ["t-climate-1"]


def test_snippet_marks_matches_and_escapes_article_html(service: SearchService) -> None:
    response = service.search(SearchRequest(q="comment"))
    snippet = response.hits[0].snippet
    assert "<mark>" in snippet
    assert (
        "&#x27;a &lt; b &amp;&amp; c &gt; d&#x27;" in snippet
        or "'a &lt; b &amp;&amp; c &gt; d'" in snippet
    )


def test_title_only_match_gets_the_lead_as_snippet(service: SearchService) -> None:
    response = service.search(SearchRequest(q="hackers"))
    assert ids(response) == ["t-script"]
    assert response.hits[0].snippet.startswith("Security researchers found")


def test_facets_count_every_tag_of_multi_tag_articles(service: SearchService) -> None:
    response = service.search(SearchRequest(q=""))
    tags = {value.value: value.count for value in response.facets["tags"]}
    assert tags["Politics"] == 5 and tags["Economy"] == 4 and tags["Trade"] == 2
    years = {value.value: value.count for value in response.facets["year"]}
    assert years == {"2021": 1, "2022": 2, "2023": 7, "2024": 1}


def test_facet_count_equals_total_after_selecting_it(service: SearchService) -> None:
    response = service.search(SearchRequest(q=""))
    for value in response.facets["tags"]:
        narrowed = service.search(SearchRequest(q="", tags=(value.value,)))
        assert narrowed.total == value.count, value


def test_facets_are_disjunctive_within_and_conjunctive_across(service: SearchService) -> None:
    response = service.search(SearchRequest(q="", tags=("Economy",), sources=("Daily Ledger",)))
    assert sorted(ids(response)) == ["t-budget-title", "t-trade"]
    tags = {value.value: (value.count, value.selected) for value in response.facets["tags"]}
    # Tag counts ignore the tag selection but keep the source selection.
    assert tags == {
        "Politics": (3, False),
        "Economy": (2, True),
        "Climate": (1, False),
        "Technology": (1, False),
        "Trade": (1, False),
    }
    sources = {value.value: value.count for value in response.facets["source"]}
    assert sources == {"Daily Ledger": 2, "Harbour Times": 2}
    both = service.search(SearchRequest(q="", tags=("Economy", "Education")))
    assert both.total == 5


def test_date_bounds_are_inclusive(service: SearchService) -> None:
    day_end = datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC)
    response = service.search(
        SearchRequest(q="", date_from=datetime(2023, 12, 1, tzinfo=UTC), date_to=day_end)
    )
    assert ids(response) == ["t-election-1"]


def test_sort_newest_and_views(service: SearchService) -> None:
    newest = service.search(SearchRequest(q="", sort="newest", per_page=20))
    dates = [hit.date for hit in newest.hits if hit.date]
    assert dates == sorted(dates, reverse=True)
    views = service.search(SearchRequest(q="", sort="views", per_page=20))
    counts = [hit.views for hit in views.hits if hit.views is not None]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest", "views"])
def test_paging_visits_every_article_once(service: SearchService, sort: str) -> None:
    seen: list[str] = []
    for page in range(1, 6):
        seen += ids(service.search(SearchRequest(q="", sort=sort, page=page, per_page=3)))
    assert len(seen) == 12 and len(set(seen)) == 12


def test_did_you_mean_only_when_it_finds_more(service: SearchService) -> None:
    response = service.search(SearchRequest(q="electoin"))
    assert response.total == 0
    assert response.suggestion == "election"
    assert service.search(SearchRequest(q="election")).suggestion is None


@pytest.mark.parametrize(
    "q",
    [
        "(",
        ")",
        '"',
        "a AND",
        "NOT",
        "OR OR",
        "http://x",
        "title:",
        "foo:bar",
        "*?",
        "\\",
        "[",
        "{",
        "x^",
        "~",
        "\x00",
        "the",
        "é" * 5000,
    ],
)
def test_hostile_queries_never_raise(service: SearchService, q: str) -> None:
    assert_consistent_page(service.search(SearchRequest(q=q)), article_ids(ARTICLES))


@pytest.mark.parametrize(
    ("field", "value"),
    [("page", 0), ("per_page", 0), ("per_page", 101), ("sort", "random"), ("op", "xor")],
)
def test_invalid_parameters_name_the_parameter(
    service: SearchService, field: str, value: object
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        service.search(SearchRequest(**{field: value}))
    assert caught.value.param == field


def test_per_page_allows_100(service: SearchService) -> None:
    assert len(service.search(SearchRequest(q="", per_page=100)).hits) == 12


def test_cli_prints_json(small_index: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "search", "election", "--index", str(small_index), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["total"] == 2 and "<mark>" in payload["results"][0]["snippet"]


def test_cli_searches_the_backend_the_environment_names(small_index: Path) -> None:
    """`python -m search` honours BROADSHEET_BACKEND like the server (issue 16)."""
    import os

    def run(backend: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "search", "election", "--index", str(small_index), "--json"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "BROADSHEET_BACKEND": backend},
        )

    assert run("whoosh").returncode == 0
    typesense = run("typesense")  # no nodes configured: said, not a traceback
    assert typesense.returncode == 2 and "BROADSHEET_TYPESENSE_NODES" in typesense.stderr
    bogus = run("bogus")
    assert bogus.returncode == 2 and "must be one of" in bogus.stderr
