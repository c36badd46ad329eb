"""The search contract on every backend: Whoosh, a real Typesense node and a real 3-node
OpenSearch cluster (conftest), each serving the same 12 test articles; and the write
contract (`indexer.backends.IndexWriter`): what a rebuild wrote is what the search
service of the same configuration serves."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typesense_servers import API_KEY

from corpus import ReadReport, read_paths
from search import InvalidParameter, SearchRequest, SearchResponse
from support import ARTICLES, article_ids, assert_consistent_page


def ids(response: SearchResponse) -> list[str]:
    return [hit.id for hit in response.hits]


@pytest.fixture(
    params=[
        "whoosh",
        pytest.param("typesense", marks=pytest.mark.slow),
        pytest.param("opensearch", marks=pytest.mark.slow),
    ]
)
def backend(request: pytest.FixtureRequest):
    """The search service of each backend over the same 12 articles."""
    names = {"whoosh": "service", "typesense": "ts_service", "opensearch": "os_service"}
    return request.getfixturevalue(names[request.param])


# -- the contract, on every backend ----------------------------------------------------


def test_contract_all_words_required(backend) -> None:
    assert sorted(ids(backend.search(SearchRequest(q="election")))) == [
        "t-election-1",
        "t-election-2",
    ]
    response = backend.search(SearchRequest(q="election turnout"))
    assert ids(response) == ["t-election-1"] and response.relaxed is False


def test_contract_relaxed_fallback_says_so(backend) -> None:
    response = backend.search(SearchRequest(q="turnout tariffs"))
    assert set(ids(response)) == {"t-election-1", "t-trade"}
    assert response.relaxed is True
    assert any("any of them" in notice for notice in response.notices)


def test_contract_op_or(backend) -> None:
    response = backend.search(SearchRequest(q="turnout tariffs", op="or"))
    assert set(ids(response)) == {"t-election-1", "t-trade"}


def test_contract_phrase_and_exclusion(backend) -> None:
    assert ids(backend.search(SearchRequest(q='"climate change"'))) == ["t-climate-1"]
    excluded = backend.search(SearchRequest(q="budget NOT surplus"))
    assert sorted(ids(excluded)) == ["t-budget-body", "t-budget-title"]
    assert sorted(ids(backend.search(SearchRequest(q="budget -surplus")))) == sorted(ids(excluded))


def test_contract_snippets_mark_and_escape(backend) -> None:
    snippet = backend.search(SearchRequest(q="comment")).hits[0].snippet
    assert "<mark>comment</mark>" in snippet
    assert "a &lt; b &amp;&amp; c &gt; d" in snippet and "<script" not in snippet
    lead = backend.search(SearchRequest(q="hackers")).hits[0].snippet
    assert lead.startswith("Security researchers found") and "<mark>" not in lead


def test_contract_facet_counts(backend) -> None:
    response = backend.search(SearchRequest(q=""))
    assert response.total == 12
    tags = {value.value: value.count for value in response.facets["tags"]}
    assert tags["Politics"] == 5 and tags["Economy"] == 4 and tags["Trade"] == 2
    years = {value.value: value.count for value in response.facets["year"]}
    assert years == {"2021": 1, "2022": 2, "2023": 7, "2024": 1}
    sources = {value.value: value.count for value in response.facets["source"]}
    assert sources == {"Daily Ledger": 4, "Morning Post": 4, "Harbour Times": 4}


def test_contract_facets_are_multi_select(backend) -> None:
    response = backend.search(SearchRequest(q="", tags=("Economy",), sources=("Daily Ledger",)))
    assert sorted(ids(response)) == ["t-budget-title", "t-trade"]
    tags = {value.value: (value.count, value.selected) for value in response.facets["tags"]}
    assert tags == {
        "Politics": (3, False),
        "Economy": (2, True),
        "Climate": (1, False),
        "Technology": (1, False),
        "Trade": (1, False),
    }
    sources = {value.value: (value.count, value.selected) for value in response.facets["source"]}
    assert sources == {"Daily Ledger": (2, True), "Harbour Times": (2, False)}
    assert backend.search(SearchRequest(q="", tags=("Economy", "Education"))).total == 5
    two_years = backend.search(SearchRequest(q="", years=(2021, 2024)))
    assert sorted(ids(two_years)) == ["t-budget-old", "t-election-2"]


def test_contract_date_bounds_are_inclusive(backend) -> None:
    response = backend.search(
        SearchRequest(
            q="",
            date_from=datetime(2023, 12, 1, tzinfo=UTC),
            date_to=datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        )
    )
    assert ids(response) == ["t-election-1"]
    since = backend.search(SearchRequest(q="", date_from=datetime(2024, 1, 1, tzinfo=UTC)))
    assert ids(since) == ["t-election-2"]


@pytest.mark.parametrize("sort", ["newest", "oldest", "views"])
def test_contract_sorting_and_paging(backend, sort: str) -> None:
    whole = backend.search(SearchRequest(q="", sort=sort, per_page=20))
    seen: list[str] = []
    for page in range(1, 6):
        seen += ids(backend.search(SearchRequest(q="", sort=sort, page=page, per_page=3)))
    assert seen == ids(whole) and len(set(seen)) == 12
    if sort == "views":
        counts = [hit.views for hit in whole.hits if hit.views is not None]
        assert counts == sorted(counts, reverse=True) and whole.hits[-1].views is None
    else:
        dates = [hit.date for hit in whole.hits]
        assert dates[-1] is None  # undated last either way
        assert dates[:-1] == sorted(dates[:-1], reverse=sort == "newest")


@pytest.mark.parametrize("q", ["(", '"', "a AND", "NOT", "OR OR", "http://x", "title:", "\x00"])
def test_contract_hostile_queries_never_raise(backend, q: str) -> None:
    assert_consistent_page(backend.search(SearchRequest(q=q)), article_ids(ARTICLES))


@pytest.mark.parametrize(("field", "value"), [("page", 0), ("per_page", 101), ("sort", "x")])
def test_contract_invalid_parameters(backend, field: str, value: object) -> None:
    with pytest.raises(InvalidParameter) as caught:
        backend.search(SearchRequest(**{field: value}))
    assert caught.value.param == field


def test_contract_articles_count_and_suggest(backend) -> None:
    assert backend.doc_count() == 12
    article = backend.get_article("t-trade")
    assert article.title == "Trade deal signed" and article.tags == ("Trade", "Politics", "Economy")
    assert article.date == datetime(2022, 11, 11, 10, tzinfo=UTC) and article.views == 310
    assert backend.get_article("no-such-id") is None
    assert backend.suggest("the bu")[0] == "the budget"
    assert all(hit.id != "t-election-1" for hit in backend.related("t-election-1"))


@pytest.mark.parametrize(
    "name",
    [
        "whoosh",
        pytest.param("typesense", marks=pytest.mark.slow),
        pytest.param("opensearch", marks=pytest.mark.slow),
    ],
)
def test_contract_writer_rebuilds_what_the_service_serves(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The write contract (`indexer.backends.IndexWriter`) on every backend: what a
    rebuild wrote is what the search service of the same configuration serves, and a
    second rebuild replaces it whole."""
    from indexer.backends import IndexWriter, writer_from_config
    from search.backends import service_from_config

    config: dict[str, str] = {
        "BACKEND": name,
        "INDEX_DIR": str(tmp_path / "index"),
        "REFRESH_SECONDS": "0",
        "TYPESENSE_ALIAS": "contract_writer",
        "OPENSEARCH_ALIAS": "contract-writer",
    }
    if name == "typesense":
        config["TYPESENSE_NODES"] = request.getfixturevalue("typesense_address")
        config["TYPESENSE_API_KEY"] = API_KEY
    if name == "opensearch":
        config["OPENSEARCH_NODES"] = request.getfixturevalue("opensearch_nodes")
    writer = writer_from_config(config)
    assert isinstance(writer, IndexWriter) and writer.backend == name
    try:
        first = writer.rebuild(read_paths([ARTICLES], ReadReport()))
        service = service_from_config(config)
        try:
            assert first.articles == 12 and service.doc_count() == 12
            assert ids(service.search(SearchRequest(q="trade deal")))[0] == "t-trade"
            kept = [a for a in read_paths([ARTICLES], ReadReport()) if a.id != "t-trade"]
            second = writer.rebuild(kept)
            assert second.articles == 11 and second.target != first.target
            assert service.doc_count() == 11 and service.get_article("t-trade") is None
        finally:
            service.close()
        if name == "typesense":
            writer.client.drop_collection(second.target)
    finally:
        writer.close()
