"""The OpenSearch backend's own parts: query translation (no server), agreement with the
Whoosh backend on the same articles, the research endpoints, routing by year, the web
app, and what a client sees when the cluster is unreachable. The shared search contract
is in test_backend_contract.py; the cluster is conftest's (3 real nodes on 127.0.0.1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from search import IndexUnavailable, SearchRequest, SearchResponse
from search.opensearch.query import MIN_LEADING_WILDCARD_LETTERS, translate
from search.terms import TermsRequest
from support import ARTICLES, article_ids, assert_consistent_page

NOW = datetime(2025, 1, 1, tzinfo=UTC)
DATE_FORMAT = "strict_date_optional_time"


def ids(response: SearchResponse) -> list[str]:
    return [hit.id for hit in response.hits]


# -- translation (no server) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("election turnout", "election turnout"),
        ("budget -surplus", "budget NOT surplus"),
        ("+budget vote", "budget vote"),
        ("tag:Economy", "tags.text:Economy"),
        ("Tags:Economy source:ledger", "tags.text:Economy source.text:ledger"),
        ("http://x", "http \\/\\/x"),
        ("a/b <c> d=e f!", "a\\/b \\<c\\> d\\=e f\\!"),
        ("budget~ vote~2", "budget\\~ vote\\~2"),
        ('"climate change"~3', '"climate change"~3'),
        ("x^2 y^", "x^2 y\\^"),
        ("budget && vote || x", "budget \\&\\& vote \\|\\| x"),
        ('"a\\b" c', '"a b" c'),
    ],
)
def test_translation_repairs_and_escapes(text: str, expected: str) -> None:
    assert translate(text, now=NOW).text == expected


def test_translation_takes_dates_out_as_filters() -> None:
    query = translate("budget after:2023-06 -date:2023-12", now=NOW)
    assert query.text == "budget"
    required, excluded = query.date_filters()
    assert required == [
        {
            "range": {
                "date": {"format": "strict_date_optional_time", "gte": "2023-07-01T00:00:00.000Z"}
            }
        }
    ]
    assert excluded[0]["range"]["date"]["lte"] == "2023-12-31T23:59:59.999Z"


def test_translation_leaves_out_short_leading_wildcards() -> None:
    query = translate("*e* budget", now=NOW)
    assert query.text == "budget"
    assert any(f"at least {MIN_LEADING_WILDCARD_LETTERS} letters" in n for n in query.notices)
    assert translate("*tion", now=NOW).text == "*tion"


@pytest.mark.parametrize("text", ["", "the", "OR OR", "(", '"', "a AND", "title:"])
def test_translation_without_words(text: str) -> None:
    query = translate(text, now=NOW)
    assert query.no_words or query.unfiltered
    assert query.positive == 0


def test_translation_counts_words_outside_not() -> None:
    query = translate('budget "climate change" NOT (vote OR tax) -old the', now=NOW)
    assert query.words == ("budget", '"climate change"')
    assert query.clause("and")["query_string"]["default_operator"] == "AND"
    assert query.clause("or")["query_string"]["default_operator"] == "OR"
    assert translate("*", now=NOW).clause("and") == {"match_all": {}}


# -- on the cluster: the same answers as Whoosh --------------------------------------------

#: Queries of every part of the language; each must find the same articles on both backends.
AGREEING_QUERIES = [
    "election",
    "elections",
    '"elections"',
    '"climate change"',
    '"climate change"~3',
    "budget NOT surplus",
    "(budget OR election) -old",
    "title:budget",
    "body:budget",
    "tag:economy",
    "tags:Politics",
    "source:ledger",
    "title:(budget OR election)",
    "budg*",
    "*tion",
    "date:2023",
    "after:2023-06",
    "before:2023 budget",
    "date:[2023-01-01 to 2023-03-31]",
    "NOT budget",
    "budget OR vote OR ship",
    "shipping",
    '"the budget"',
    "*",
    "the",
    "turnout tariffs",
    "budget AND",
    "(budget",
    "http://x.org/y",
    "budget && vote",
    "budget~2",
    "[budget]",
    "budget^3 vote",
    "/budget/",
]


@pytest.mark.slow
@pytest.mark.parametrize("q", AGREEING_QUERIES)
def test_same_matches_as_whoosh(service, os_service, q: str) -> None:
    request = SearchRequest(q=q, per_page=50)
    whoosh, opensearch = service.search(request, now=NOW), os_service.search(request, now=NOW)
    assert sorted(ids(opensearch)) == sorted(ids(whoosh))
    assert (opensearch.total, opensearch.relaxed) == (whoosh.total, whoosh.relaxed)
    assert_consistent_page(opensearch, article_ids(ARTICLES))


@pytest.mark.slow
@pytest.mark.parametrize("interval", [None, "day", "week", "month", "year"])
def test_timeline_equals_whoosh(service, os_service, interval: str | None) -> None:
    request = SearchRequest(q="budget OR election")
    whoosh = service.timeline(request, interval, now=NOW)
    opensearch = os_service.timeline(request, interval, now=NOW)
    assert opensearch.interval == whoosh.interval
    assert [(p.period, p.count, p.total) for p in opensearch.points] == [
        (p.period, p.count, p.total) for p in whoosh.points
    ]
    assert (opensearch.total, opensearch.undated) == (whoosh.total, whoosh.undated)


@pytest.mark.slow
@pytest.mark.parametrize("sort", ["newest", "oldest", "views"])
def test_export_lists_what_whoosh_lists(service, os_service, sort: str) -> None:
    request = SearchRequest(q="", sort=sort)
    expected = service.export(request, now=NOW)
    exported = os_service.export(request, now=NOW)
    try:
        assert exported.total == expected.total == 12
        assert [a.id for a in exported] == [a.id for a in expected]
    finally:
        exported.close()
        expected.close()
    assert os_service.client.get_all_pits().get("pits", []) == []  # released on close


@pytest.mark.slow
def test_export_reads_one_view_while_articles_change(os_service) -> None:
    from corpus import Article
    from indexer.opensearch.writer import delete_articles, upsert_articles

    stream = os_service.export(SearchRequest(q="", sort="oldest"), now=NOW)
    late = Article(id="t-late", title="Late budget", body="Written during an export.")
    try:
        upsert_articles(os_service.client, os_service.alias, [late])
        assert os_service.get_article("t-late") is not None
        exported = [a.id for a in stream]
        assert "t-late" not in exported and len(exported) == 12
    finally:
        stream.close()
        delete_articles(os_service.client, os_service.alias, ["t-late"])
    assert os_service.doc_count() == 12


@pytest.mark.slow
def test_terms_are_counted_against_the_archive(os_service) -> None:
    terms = os_service.terms(TermsRequest(SearchRequest(q="budget OR election"), 10, 50))
    assert terms.matches == 5 and terms.sample_size == 5
    for term in terms.terms:
        assert term.fg_size == 5 and term.bg_size == 12
        assert 2 <= term.fg_count <= term.bg_count <= 12


@pytest.mark.slow
def test_a_date_bound_searches_only_its_years(os_service) -> None:
    names = os_service.indices.opened()
    assert {name.rsplit("-", 1)[-1] for name in names} == {
        "2021",
        "2022",
        "2023",
        "2024",
        "undated",
    }
    request = SearchRequest(q="budget", date_from=datetime(2023, 1, 1, tzinfo=UTC), facets=False)
    chosen = os_service.indices.for_search(request, translate("budget", now=NOW))
    assert sorted(chosen.split(",")) == sorted(n for n in names if n.endswith(("-2023", "-2024")))
    assert sorted(ids(os_service.search(request, now=NOW))) == ["t-budget-body", "t-budget-title"]


@pytest.mark.slow
def test_a_closed_year_is_left_out_and_named(os_service) -> None:
    """An old year closed to save memory (``POST <index>/_close``): every read leaves it
    out, says so, and answers again in full once it is reopened."""
    client = os_service.client
    (old,) = [name for name in os_service.indices.opened() if name.endswith("-2021")]
    client.indices.close(index=old)
    os_service.indices.forget()  # the lookup is remembered for a few seconds
    try:
        response = os_service.search(SearchRequest(q="budget"), now=NOW)
        assert ids(response) and "t-budget-old" not in ids(response)
        assert any("2021" in notice and "closed" in notice for notice in response.notices)
        assert os_service.doc_count() == 11
        assert os_service.timeline(SearchRequest(q="budget"), now=NOW).total == 2
        stream = os_service.export(SearchRequest(q=""), now=NOW)
        assert stream.total == 11
        stream.close()
    finally:
        client.indices.open(index=old)
        client.cluster.health(
            index=old, wait_for_status="green", params={"timeout": "120s"}, request_timeout=150
        )
        os_service.indices.forget()
    assert "t-budget-old" in ids(os_service.search(SearchRequest(q="budget"), now=NOW))


@pytest.mark.slow
def test_near_duplicates_collapse_into_one_story(os_service) -> None:
    from corpus import Article
    from indexer.opensearch.writer import delete_articles, upsert_articles

    body = (
        "The harbour authority approved a new container terminal on Tuesday after a long "
        "review of dredging costs, shipping forecasts and the objections of fishermen who "
        "feared for the estuary. Work on the quay walls begins in the spring and the first "
        "cranes arrive next year, the authority's chairman told reporters at the port."
    )
    copies = [
        Article(id="t-wire-a", title="Terminal approved", body=body, source="Daily Ledger"),
        Article(
            id="t-wire-b", title="Terminal approved", body=body + " (Wire)", source="Morning Post"
        ),
    ]
    upsert_articles(os_service.client, os_service.alias, copies)
    try:
        grouped = os_service.search(SearchRequest(q="container terminal dredging"), now=NOW)
        assert grouped.total == 1 and len(grouped.hits) == 1
        (hit,) = grouped.hits
        assert hit.duplicates == 1 and set(hit.duplicate_ids) | {hit.id} == {"t-wire-a", "t-wire-b"}
        assert {v.value: v.count for v in grouped.facets["source"]} == {
            "Daily Ledger": 1,
            "Morning Post": 1,
        }
        every = os_service.search(SearchRequest(q="container terminal dredging", collapse=False))
        assert every.total == 2 and all(hit.duplicates == 0 for hit in every.hits)
    finally:
        delete_articles(os_service.client, os_service.alias, ["t-wire-a", "t-wire-b"])


@pytest.mark.slow
def test_did_you_mean_and_autocomplete(os_service) -> None:
    fixed = os_service.search(SearchRequest(q="budgett"), now=NOW)
    assert (fixed.corrected_query, fixed.total) == ("budget", 3)
    typed = os_service.search(SearchRequest(q="budgett", correct=False), now=NOW)
    assert (typed.total, typed.suggestion, typed.corrected_query) == (0, "budget", None)
    assert os_service.search(SearchRequest(q="budget"), now=NOW).suggestion is None
    assert os_service.suggest("the bu") == ["the budget"]
    assert os_service.suggest("b") == [] and os_service.suggest("x" * 300) == []


@pytest.mark.slow
def test_web_app_serves_the_opensearch_backend(opensearch_nodes: str) -> None:
    """BROADSHEET_BACKEND=opensearch: the same routes answer from the cluster."""
    from webui import create_app

    app = create_app(
        {
            "TESTING": True,
            "BACKEND": "opensearch",
            "OPENSEARCH_NODES": opensearch_nodes,
            "OPENSEARCH_ALIAS": "contract",  # conftest's OPENSEARCH_ALIAS
        }
    )
    client = app.test_client()
    try:
        payload = client.get("/api/search?q=election").get_json()
        assert payload["total"] == 2
        assert all("<mark>" in hit["snippet"] for hit in payload["results"])
        page = client.get("/?q=election")
        assert page.status_code == 200 and "/api/export" in page.get_data(as_text=True)
        assert client.get("/healthz").get_json()["docs"] == 12
        timeline = client.get("/api/timeline?q=election&interval=year").get_json()
        assert timeline["series"][0]["counts"] == [0, 0, 1, 1]
        export = client.get("/api/export?q=election&format=jsonl")
        assert export.status_code == 200 and export.get_data(as_text=True).count("\n") == 2
        assert client.get("/api/terms?q=election").status_code == 200
        assert client.get("/api/articles/t-trade").get_json()["title"] == "Trade deal signed"
        article_page = client.get("/articles/t-election-1")
        assert article_page.status_code == 200 and "Related" in article_page.get_data(as_text=True)
        assert client.get("/api/articles/nope").status_code == 404
        assert "the budget" in json.dumps(client.get("/api/suggest?q=the+bu").get_json())
        feed = client.get("/search.atom?q=election")
        assert feed.status_code == 200 and feed.get_data(as_text=True).count("<entry>") == 2
        compared = client.get("/api/timeline?q=election&q=budget&interval=year").get_json()
        assert [series["total"] for series in compared["series"]] == [2, 3]
        bad = client.get("/api/search?q=election&page=0")
        assert bad.status_code == 400 and bad.get_json()["error"]["param"] == "page"
    finally:
        app.extensions["broadsheet.search"].close()


def test_unreachable_cluster_is_index_unavailable() -> None:
    from search.opensearch.backend import OpenSearchSearchService
    from servers import free_port

    service = OpenSearchSearchService(f"127.0.0.1:{free_port()}", timeout=1.0)
    try:
        with pytest.raises(IndexUnavailable):
            service.search(SearchRequest(q="budget"))
        assert service.health()["status"] == "unavailable"
    finally:
        service.close()


def test_backend_switch_needs_nodes() -> None:
    from search.backends import service_from_config

    with pytest.raises(ValueError, match="OPENSEARCH_NODES"):
        service_from_config({"BACKEND": "opensearch"})


def test_a_shard_timeout_or_a_missing_shard_is_reported() -> None:
    """The mapping of OpenSearch's answer: shards that timed out, failed or had no copy
    make the answer partial, with a notice that says which."""
    from search.opensearch.backend import OpenSearchSearchService
    from search.opensearch.mapping import PARTIAL_NOTICE, is_partial
    from servers import free_port

    service = OpenSearchSearchService(f"127.0.0.1:{free_port()}", time_limit=0.25)
    request = SearchRequest(q="budget", facets=False, collapse=False)

    def answer(shards: dict, timed_out: bool = False) -> SearchResponse:
        result = {
            "_shards": shards,
            "timed_out": timed_out,
            "hits": {"total": {"value": 0}, "hits": []},
        }
        assert is_partial(result) == (timed_out or shards["successful"] < shards["total"])
        return service._response(request, translate("budget", now=NOW), result, False, [], 0.0)

    whole = answer({"total": 3, "successful": 3, "skipped": 0, "failed": 0})
    assert whole.total_exact and whole.notices == ()
    missing = answer({"total": 3, "successful": 2, "skipped": 0, "failed": 0})
    assert not missing.total_exact and missing.notices == (PARTIAL_NOTICE,)
    slow = answer({"total": 3, "successful": 3, "skipped": 0, "failed": 0}, timed_out=True)
    assert not slow.total_exact and "stopped after 0.25 s" in slow.notices[0]
    service.close()


def test_index_names_by_year_or_by_run_of_years() -> None:
    from indexer.opensearch.schema import build_span, index_name, index_years

    assert index_name("a", "b1", 1987) == "a-gb1-1987"
    assert index_name("a", "b1", 1987, 10) == "a-gb1-1980to1989"
    assert index_name("a", "b1", None, 10) == "a-gb1-undated"
    assert index_years("a-gb1-1980to1989") == (1980, 1989)
    assert index_years("a-gb1-1987") == (1987, 1987)
    assert index_years("a-gb1-undated") is None
    assert build_span(["a-gb1-undated", "a-gb1-1980to1989"]) == 10
    assert build_span(["a-gb1-1987", "a-gb1-undated"]) == 1


@pytest.mark.slow
def test_years_per_index_groups_years_and_routing_follows(opensearch_nodes: str) -> None:
    """An archive too small for an index a year: ten years an index, searched by range."""
    from corpus import Article, ReadReport, read_paths
    from indexer.opensearch.writer import OpenSearchWriter, upsert_articles
    from search.opensearch.backend import OpenSearchSearchService

    writer = OpenSearchWriter(opensearch_nodes, "decades", years_per_index=10)
    service = OpenSearchSearchService(opensearch_nodes, "decades")
    try:
        writer.rebuild(read_paths([ARTICLES], ReadReport()))
        assert {name.rsplit("-", 1)[-1] for name in service.indices.opened()} == {
            "2020to2029",
            "undated",
        }
        since = SearchRequest(q="budget", date_from=datetime(2023, 1, 1, tzinfo=UTC), facets=False)
        assert service.indices.for_search(since, translate("budget", now=NOW)).endswith(
            "-2020to2029"
        )
        assert sorted(ids(service.search(since, now=NOW))) == ["t-budget-body", "t-budget-title"]
        old = Article(
            id="t-1999",
            title="Millennium budget",
            body="The last budget of the century.",
            date=datetime(1999, 5, 1, tzinfo=UTC),
        )
        upsert_articles(writer.client, "decades", [old])
        service.indices.forget()
        assert any(name.endswith("-1990to1999") for name in service.indices.opened())
        in_1999 = SearchRequest(
            q="budget",
            date_from=datetime(1999, 1, 1, tzinfo=UTC),
            date_to=datetime(1999, 12, 31, tzinfo=UTC),
        )
        assert ids(service.search(in_1999, now=NOW)) == ["t-1999"]
    finally:
        service.close()
        writer.client.indices.delete(index="decades-g*")
        writer.close()


@pytest.mark.slow
def test_a_rebuild_removes_what_a_killed_rebuild_left(opensearch_nodes: str) -> None:
    """Indices of an older build that is not served (a rebuild killed with -9 leaves
    them) go with the next rebuild; a newer build's (a rebuild running meanwhile) stay."""
    from corpus import ReadReport, read_paths
    from indexer.opensearch.writer import OpenSearchWriter

    writer = OpenSearchWriter(opensearch_nodes, "orphans")
    client = writer.client
    try:
        writer.rebuild(read_paths([ARTICLES], ReadReport()))
        left = "orphans-g20000101t000000000000-2023"
        running = "orphans-g99991231t000000000000-2023"
        for name in (left, running):
            client.indices.create(index=name)
        client.indices.close(index=left)
        writer.rebuild(read_paths([ARTICLES], ReadReport()))
        names = set(client.indices.get(index="orphans-g*", params={"expand_wildcards": "all"}))
        assert left not in names and running in names
        assert len([name for name in names if name != running]) == 5  # 4 years + undated
    finally:
        client.indices.delete(index="orphans-g*", params={"expand_wildcards": "all"})
        writer.close()
