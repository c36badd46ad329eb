"""Each rule of the query language, ranking, facets and collapsing, pinned on a
hand-made corpus (tests/data/search/corpus.jsonl, 24 articles)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from search import SearchRequest, SearchService
from search.facet_specs import FACET_NAMES
from support import DATA, build_from

CORPUS = DATA / "search" / "corpus.jsonl"
NOW = datetime(2024, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from([CORPUS], tmp_path_factory.mktemp("rules") / "index")


@pytest.fixture()
def svc(rules_index: Path) -> Iterator[SearchService]:
    service = SearchService(rules_index)
    yield service
    service.close()


def ids(svc: SearchService, q: str = "", **options: object) -> list[str]:
    options.setdefault("per_page", 100)
    return [hit.id for hit in svc.search(SearchRequest(q=q, **options), now=NOW).hits]


# -- query language -------------------------------------------------------------


def test_phrase_matches_adjacent_words_not_reversed_ones(svc: SearchService) -> None:
    assert ids(svc, '"climate change"') == ["climate-phrase"]
    assert set(ids(svc, "climate change")) == {"climate-phrase", "climate-reversed"}


@pytest.mark.parametrize(
    ("slop", "expected"),
    [
        (None, {"undated"}),
        (4, {"undated"}),
        (5, {"undated", "prox-near"}),
        (20, {"undated", "prox-near", "prox-far"}),
    ],
)
def test_proximity_allows_words_within_n_positions(
    svc: SearchService, slop: int | None, expected: set[str]
) -> None:
    # prox-near has "harbour" and "crane" 5 positions apart, prox-far about 12.
    query = '"harbour crane"' + (f"~{slop}" if slop else "")
    assert set(ids(svc, query)) == expected


def test_title_field_ignores_body_only_matches(svc: SearchService) -> None:
    assert ids(svc, "title:budget") == ["budget-title"]
    assert set(ids(svc, "body:budget")) == {"budget-body", "budget-sports"}


def test_title_match_ranks_above_body_match(svc: SearchService) -> None:
    assert ids(svc, "budget")[0] == "budget-title"


@pytest.mark.parametrize("q", ["budget -sports", "budget NOT sports", "budget -sport"])
def test_exclusion_removes_every_article_with_the_word(svc: SearchService, q: str) -> None:
    found = ids(svc, q)
    assert found and "budget-sports" not in found


def test_or_finds_a_superset_of_and(svc: SearchService) -> None:
    both = set(ids(svc, "fireworks midnight"))
    either = set(ids(svc, "fireworks OR council"))
    assert both <= set(ids(svc, "fireworks OR midnight"))
    assert set(ids(svc, "fireworks council")) <= either


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("tag:science comet", {"comet-old", "comet-new"}),
        ("tags:travel", {"quokka", "volcano-3"}),
        ("author:voss", {"authored"}),
        ('source:"island gazette" volcano', {"volcano-1", "volcano-2"}),
    ],
)
def test_named_fields(svc: SearchService, q: str, expected: set[str]) -> None:
    assert set(ids(svc, q)) == expected


def test_wildcards_and_prefixes(svc: SearchService) -> None:
    assert {"volcano-1", "volcano-2"} <= set(ids(svc, "volc*"))
    assert set(ids(svc, "quok?a")) == {"quokka"}
    response = svc.search(SearchRequest(q="volc*"), now=NOW)
    assert "<mark>" in response.hits[0].snippet


def test_wildcard_expansion_is_bounded(svc: SearchService, monkeypatch: pytest.MonkeyPatch) -> None:
    import search.whoosh.expansion

    monkeypatch.setattr(search.whoosh.expansion, "MAX_EXPANSIONS", 3)
    response = svc.search(SearchRequest(q="c*"), now=NOW)
    assert response.total > 0
    assert any("most common" in notice for notice in response.notices)


def test_wildcard_expansion_is_bounded_by_postings(
    svc: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.whoosh.expansion

    unbounded = svc.search(SearchRequest(q="c*", per_page=50), now=NOW)
    assert not any("most common" in notice for notice in unbounded.notices)
    monkeypatch.setattr(search.whoosh.expansion, "MAX_EXPANSION_POSTINGS", 2)
    bounded = svc.search(SearchRequest(q="c*", per_page=50), now=NOW)
    assert 0 < bounded.total < unbounded.total
    assert {hit.id for hit in bounded.hits} < {hit.id for hit in unbounded.hits}
    assert any("only the" in notice and "most common" in notice for notice in bounded.notices)


def test_unknown_field_is_read_as_words_with_a_notice(svc: SearchService) -> None:
    response = svc.search(SearchRequest(q="colour:zebra"), now=NOW)
    assert [hit.id for hit in response.hits] == ["zebra"]
    assert any("is not a field you can search" in notice for notice in response.notices)


def test_unbalanced_syntax_is_repaired_with_a_notice(svc: SearchService) -> None:
    response = svc.search(SearchRequest(q='(zebra "crossing'), now=NOW)
    assert [hit.id for hit in response.hits] == ["zebra"]
    assert len(response.notices) == 2


# -- default operator, relaxed fallback, did-you-mean --------------------------------


def test_all_words_required_then_relaxed_fallback_is_flagged(svc: SearchService) -> None:
    strict = svc.search(SearchRequest(q="zebra crossing"), now=NOW)
    assert [hit.id for hit in strict.hits] == ["zebra"] and not strict.relaxed
    relaxed = svc.search(SearchRequest(q="zebra quokka"), now=NOW)
    assert {hit.id for hit in relaxed.hits} == {"zebra", "quokka"} and relaxed.relaxed
    assert relaxed.to_json_dict()["relaxed"] is True


def test_op_or_is_explicit_and_never_flagged_relaxed(svc: SearchService) -> None:
    response = svc.search(SearchRequest(q="zebra quokka", op="or"), now=NOW)
    assert response.total == 2 and not response.relaxed


def test_did_you_mean_only_when_the_suggestion_finds_more(svc: SearchService) -> None:
    response = svc.search(SearchRequest(q="vulcano"), now=NOW)
    assert response.total == 0 and response.suggestion == "volcano"
    assert svc.search(SearchRequest(q="volcano"), now=NOW).suggestion is None
    # The suggestion would find nothing more under this filter, so none is made.
    filtered = svc.search(SearchRequest(q="vulcano", tags=("Sport",)), now=NOW)
    assert filtered.suggestion is None


# -- dates -----------------------------------------------------------------------------


def test_request_dates_are_inclusive_to_the_last_second(svc: SearchService) -> None:
    found = ids(
        svc,
        "fireworks",
        date_from=datetime(2024, 1, 1, tzinfo=UTC),
        date_to=datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC),
    )
    assert set(found) == {"jan-first", "jan-last"}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("fireworks date:2024-01", {"jan-first", "jan-last"}),
        ("fireworks date:2024-01-31", {"jan-last"}),
        ("fireworks date:[2024-01-31 to 2024-02-01]", {"jan-last", "feb-first"}),
        ("fireworks date:[2024-02-01 to]", {"feb-first"}),
        ("fireworks after:2024-01-31", {"feb-first"}),
        ("fireworks before:2024-01-02", {"jan-first"}),
        ("fireworks since:2024-01", {"jan-first", "jan-last", "feb-first"}),
        ("fireworks until:2024-01-01", {"jan-first"}),
        ('fireworks date:"January 2024"', {"jan-first", "jan-last"}),
        ("fireworks -date:2024-01", {"feb-first"}),
        ("date:2024 midnight", {"jan-first", "jan-last", "feb-first"}),
    ],
)
def test_date_expressions_in_the_query(svc: SearchService, q: str, expected: set[str]) -> None:
    assert set(ids(svc, q)) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('date:"last week"', {"eclipse-new", "comet-new"}),
        ("date:today", set()),
        ('date:"4 days ago"', {"eclipse-new"}),
        ('date:"this month"', {"eclipse-new", "comet-new"}),
        (
            'date:"last 2 months"',
            # No words: newest first (issue 18), so the story's newest copy stands for it.
            {"eclipse-new", "comet-new", "wire-c", "feb-first", "jan-last"},
        ),
    ],
)
def test_relative_dates_resolve_against_the_request_time(
    svc: SearchService, q: str, expected: set[str]
) -> None:
    # NOW is 2024-03-14 12:00Z; eclipse-new is dated 2024-03-10, comet-new 2024-03-12.
    assert set(ids(svc, q, collapse=True)) == expected


def test_unreadable_query_date_is_a_notice_not_a_silent_drop(svc: SearchService) -> None:
    response = svc.search(SearchRequest(q="zebra date:blorp"), now=NOW)
    assert [hit.id for hit in response.hits] == ["zebra"]
    assert any("date:blorp" in notice for notice in response.notices)


# -- ranking, sorting, paging ----------------------------------------------------------


def test_recency_boost_prefers_the_newer_of_equal_texts(svc: SearchService) -> None:
    plain = ids(svc, "lunar eclipse", collapse=False)
    assert plain == ["eclipse-old", "eclipse-new"]  # equal scores: index order
    assert ids(svc, "lunar eclipse", collapse=False, recency=True) == [
        "eclipse-new",
        "eclipse-old",
    ]


def test_recency_boost_keeps_a_strong_old_match_above_a_weak_new_one(svc: SearchService) -> None:
    assert ids(svc, "comet", recency=True)[0] == "comet-old"


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest", "views"])
@pytest.mark.parametrize("collapse", [True, False])
def test_paging_walks_every_result_exactly_once(
    svc: SearchService, sort: str, collapse: bool
) -> None:
    for q in ("", "volcano OR fireworks OR harbour OR budget OR science"):
        whole = svc.search(SearchRequest(q=q, sort=sort, per_page=100, collapse=collapse), now=NOW)
        walked: list[str] = []
        for page in range(1, -(-whole.total // 4) + 1):
            request = SearchRequest(q=q, sort=sort, page=page, per_page=4, collapse=collapse)
            walked += [hit.id for hit in svc.search(request, now=NOW).hits]
        assert walked == [hit.id for hit in whole.hits]
        assert len(walked) == len(set(walked)) == whole.total


def test_sorts_order_by_date_and_views(svc: SearchService) -> None:
    newest = svc.search(SearchRequest(sort="newest", per_page=100), now=NOW).hits
    dates = [hit.date for hit in newest if hit.date]
    assert dates == sorted(dates, reverse=True) and newest[-1].date is None
    views = [hit.views or -1 for hit in svc.search(SearchRequest(sort="views", per_page=100)).hits]
    assert views == sorted(views, reverse=True)


# -- facets ------------------------------------------------------------------------


@pytest.mark.parametrize("collapse", [True, False])
@pytest.mark.parametrize("q", ["", "volcano OR fireworks OR science OR harbour"])
def test_facet_count_equals_total_after_selecting_it(
    svc: SearchService, q: str, collapse: bool
) -> None:
    response = svc.search(SearchRequest(q=q, collapse=collapse), now=NOW)
    field = {"tags": "tags", "source": "sources", "year": "years", "month": "months"}
    for name in FACET_NAMES:
        for value in response.facets[name]:
            chosen = int(value.value) if name == "year" else value.value
            narrowed = svc.search(
                SearchRequest(q=q, collapse=collapse, **{field[name]: (chosen,)}), now=NOW
            )
            assert narrowed.total == value.count, (name, value)


def test_facets_are_disjunctive_within_and_conjunctive_across(svc: SearchService) -> None:
    response = svc.search(
        SearchRequest(tags=("Science", "Travel"), sources=("Island Gazette",)), now=NOW
    )
    assert {hit.id for hit in response.hits} == {
        "quokka",
        "volcano-1",
        "volcano-2",
        "comet-new",
    }
    tags = {value.value: (value.count, value.selected) for value in response.facets["tags"]}
    # Tag counts ignore the tag selection but apply the source selection.
    assert tags["Science"] == (3, True) and tags["Travel"] == (1, True)
    sources = {value.value: value.count for value in response.facets["source"]}
    # Source counts ignore the source selection but apply the tag selection.
    assert sources["Island Gazette"] == 4 and sources["Daily Ledger"] == 3


def test_month_facet_is_a_chronological_histogram_with_empty_months(
    svc: SearchService,
) -> None:
    months = svc.search(SearchRequest(q="fireworks OR eclipse"), now=NOW).facets["month"]
    values = [value.value for value in months]
    assert values == sorted(values) and values[0] == "2019-01" and values[-1] == "2024-03"
    assert len(values) == 63
    counts = {value.value: value.count for value in months}
    assert counts["2024-01"] == 2 and counts["2020-06"] == 0
    assert sum(counts.values()) == 5


def test_month_selection_filters(svc: SearchService) -> None:
    assert set(ids(svc, "", months=("2024-01",))) == {"jan-first", "jan-last"}


# -- near-duplicates ---------------------------------------------------------------


def test_near_duplicates_collapse_into_one_hit_with_counts(svc: SearchService) -> None:
    collapsed = svc.search(SearchRequest(q="eruption evacuation"), now=NOW)
    assert collapsed.total == 1 and len(collapsed.hits) == 1
    hit = collapsed.hits[0]
    assert hit.duplicates == 2 and len(hit.duplicate_ids) == 2
    assert {hit.id, *hit.duplicate_ids} == {"wire-a", "wire-b", "wire-c"}
    assert collapsed.to_json_dict()["results"][0]["duplicates"] == 2
    every = svc.search(SearchRequest(q="eruption evacuation", collapse=False), now=NOW)
    assert every.total == 3 and all(h.duplicates == 0 for h in every.hits)


def test_duplicates_count_only_members_that_match(svc: SearchService) -> None:
    response = svc.search(SearchRequest(q="eruption", sources=("Morning Post",)), now=NOW)
    assert [(hit.id, hit.duplicates) for hit in response.hits] == [("wire-c", 0)]


def test_related_excludes_itself_and_its_duplicates(svc: SearchService) -> None:
    related = [hit.id for hit in svc.related("wire-a", limit=5)]
    assert related and not {"wire-a", "wire-b", "wire-c"} & set(related)
    assert related[0].startswith("volcano")
    assert svc.related("no-such-id") == ()


def test_json_contract_keys(svc: SearchService) -> None:
    payload = svc.search(SearchRequest(q="volcano"), now=NOW).to_json_dict()
    assert {
        "query",
        "total",
        "page",
        "per_page",
        "took_ms",
        "results",
        "facets",
        "suggestion",
        "total_exact",
        "relaxed",
        "notices",
        "pages",
    } <= set(payload)
    assert payload["total_exact"] is True
    assert set(payload["facets"]) == {"tags", "source", "year", "month"}
