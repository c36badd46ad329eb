"""The search contract on both backends (Whoosh and a real Typesense), plus Typesense's
own parts: query translation, refusals, the writer (rebuild + alias swap, upsert,
delete) and its CLI. One Typesense server is started for the module on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from typesense_servers import API_KEY

from corpus import Article, ReadReport, read_paths
from search import IndexUnavailable, InvalidParameter, SearchRequest, SearchResponse
from search.cursor import fingerprint
from search.typesense.query import translate
from support import ARTICLES, REPO

ALIAS = "broadsheet"


def ids(response: SearchResponse) -> list[str]:
    return [hit.id for hit in response.hits]


# -- query translation (no server) ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "q"),
    [
        ("election turnout", "election turnout"),
        ("the election", "election"),
        ('"climate change" Bonn', '"climate change" Bonn'),
        ("budget NOT surplus", "budget -surplus"),
        ("budget -surplus +vote", "budget -surplus vote"),
        ("budget AND vote", "budget vote"),
        ("(budget vote)", "budget vote"),
        ("", "*"),
    ],
)
def test_translation_keeps_what_means_the_same(text: str, q: str) -> None:
    assert translate(text).q == q


@pytest.mark.parametrize(
    "text",
    ["budget OR vote", "title:budget", "tag:Economy", "budg*", "budget~", '"a b"~3', "x^2"],
)
def test_translation_refuses_what_typesense_cannot_express(text: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        translate(text)
    assert caught.value.param == "q" and caught.value.code == "unsupported_query"
    assert "Typesense" in caught.value.message


def test_translation_drops_dangling_operators_with_a_notice() -> None:
    result = translate("OR OR")
    assert result.no_words and result.notices


# -- a Typesense server for the module -----------------------------------------------


# -- Typesense only ----------------------------------------------------------------------


@pytest.mark.slow
def test_typesense_refuses_or_in_the_text(ts_service) -> None:
    with pytest.raises(InvalidParameter, match="op=or"):
        ts_service.search(SearchRequest(q="budget OR vote"))


@pytest.mark.slow
def test_typesense_any_word_of_three_says_it_is_approximate(ts_service) -> None:
    response = ts_service.search(SearchRequest(q="turnout tariffs mayor", op="or"))
    assert response.total >= 2 and any("middle word" in n for n in response.notices)


@pytest.mark.slow
def test_typesense_health_and_generation(ts_service) -> None:
    health = ts_service.health()
    assert health["status"] == "ok" and health["docs"] == 12
    assert ts_service.generation().startswith("broadsheet_")


@pytest.mark.slow
def test_typesense_unreachable_is_index_unavailable() -> None:
    pytest.importorskip("httpx")
    from search.typesense.backend import TypesenseSearchService
    from servers import free_port

    service = TypesenseSearchService(f"127.0.0.1:{free_port()}", API_KEY, timeout=1.0)
    try:
        with pytest.raises(IndexUnavailable):
            service.search(SearchRequest(q="budget"))
        assert service.health()["status"] == "unavailable"
    finally:
        service.close()


@pytest.mark.slow
def test_writer_rebuild_swaps_alias_and_updates_by_id(typesense_address: str) -> None:
    from indexer.typesense.schema import make_client
    from indexer.typesense.writer import delete_articles, rebuild, upsert_articles
    from search.typesense.backend import TypesenseSearchService

    client = make_client(typesense_address, API_KEY)
    service = TypesenseSearchService(typesense_address, API_KEY, "writer_test")
    try:
        first = rebuild(client, read_paths([ARTICLES], ReadReport()), alias="writer_test")
        second = rebuild(client, read_paths([ARTICLES], ReadReport()), alias="writer_test")
        assert second.dropped == first.collection and second.articles == 12
        names = {c["name"] for c in client.collections()}
        assert second.collection in names and first.collection not in names
        assert service.generation() == second.collection
        changed = Article(id="t-trade", title="Tariff pact signed", body="Steel tariffs cut.")
        upsert_articles(client, [changed], alias="writer_test")
        assert service.get_article("t-trade").title == "Tariff pact signed"
        assert ids(service.search(SearchRequest(q="pact"))) == ["t-trade"]
        assert (
            delete_articles(client, ["t-trade", "t-shipping", "missing"], alias="writer_test") == 2
        )
        assert service.doc_count() == 10 and service.get_article("t-trade") is None
    finally:
        client.drop_collection(service.generation() or "writer_test_none")
        service.close()
        client.close()


@pytest.mark.slow
def test_writer_failed_import_keeps_the_served_collection(
    typesense_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indexer.typesense import writer as typesense_writer
    from indexer.typesense.schema import article_to_ts_document, make_client

    client = make_client(typesense_address, API_KEY)
    served = client.alias_target(ALIAS)

    def broken(article: Article) -> dict:
        document = article_to_ts_document(article)
        if article.id == "t-trade":
            document["views"] = "many"  # Typesense refuses a string in an int64 field
        return document

    monkeypatch.setattr(typesense_writer, "article_to_ts_document", broken)
    try:
        with pytest.raises(typesense_writer.TypesenseImportError, match="t-trade"):
            typesense_writer.rebuild(client, read_paths([ARTICLES], ReadReport()), alias=ALIAS)
        assert client.alias_target(ALIAS) == served
        assert [c["name"] for c in client.collections() if c["name"].startswith("broadsheet_")] == [
            served
        ]
    finally:
        client.close()


@pytest.mark.slow
def test_cli_build_typesense(typesense_address: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "indexer", "build-typesense", str(ARTICLES)]
    command += ["--nodes", typesense_address, "--api-key", API_KEY, "--alias", "cli_test"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "indexed 12 articles" in result.stderr and "alias cli_test -> cli_test_" in result.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "indexer", "build-typesense", str(ARTICLES)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert usage.returncode == 2 and "--nodes" in usage.stderr


def test_backend_switch_from_config(small_index: Path) -> None:
    pytest.importorskip("httpx", reason="httpx (requirements-typesense.txt) not installed")
    from search import SearchService
    from search.backends import SearchBackend, service_from_config
    from search.typesense.backend import TypesenseSearchService

    whoosh = service_from_config({"INDEX_DIR": str(small_index)})
    assert isinstance(whoosh, SearchService) and isinstance(whoosh, SearchBackend)
    whoosh.close()
    typesense = service_from_config(
        {"BACKEND": "typesense", "TYPESENSE_NODES": "127.0.0.1:1", "TYPESENSE_API_KEY": "k"}
    )
    assert isinstance(typesense, TypesenseSearchService) and isinstance(typesense, SearchBackend)
    typesense.close()
    with pytest.raises(ValueError, match="TYPESENSE_NODES"):
        service_from_config({"BACKEND": "typesense"})
    with pytest.raises(ValueError, match="one of"):
        service_from_config({"BACKEND": "solr"})


@pytest.mark.slow
def test_web_app_serves_the_typesense_backend(typesense_address: str) -> None:
    """BROADSHEET_BACKEND=typesense: the same routes answer from Typesense, unchanged."""
    from webui import create_app

    app = create_app(
        {
            "TESTING": True,
            "BACKEND": "typesense",
            "TYPESENSE_NODES": typesense_address,
            "TYPESENSE_API_KEY": API_KEY,
            "TYPESENSE_ALIAS": ALIAS,
        }
    )
    client = app.test_client()
    try:
        check_typesense_app(client)
    finally:
        app.extensions["broadsheet.search"].close()


def check_typesense_app(client: FlaskClient) -> None:
    payload = client.get("/api/search?q=election").get_json()
    assert payload["total"] == 2
    assert all("<mark>" in hit["snippet"] for hit in payload["results"])
    assert client.get("/?q=election").status_code == 200
    health = client.get("/healthz").get_json()
    assert health["docs"] == 12 and health["generation"].startswith(ALIAS)
    refused = client.get("/api/search?q=title:election")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "unsupported_query"
    assert payload["next_cursor"] is None  # no snapshot to page through
    made = {"v": "x", "p": 10, "f": fingerprint(SearchRequest(q="election"))}
    cursor = base64.urlsafe_b64encode(json.dumps(made).encode()).decode()
    for url in ("/api/export?q=election", f"/api/search?q=election&cursor={cursor}"):
        refused = client.get(url)
        assert refused.status_code == 400, url
        assert refused.get_json()["error"]["code"] == "unsupported_query"
    page = client.get("/?q=election").get_data(as_text=True)
    assert "/api/export" not in page  # no Download link where export is unavailable


@pytest.mark.slow
def test_typesense_says_it_cannot_export_or_page_by_cursor(ts_service) -> None:
    for attempt in (
        lambda: ts_service.export(SearchRequest(q="budget")),
        lambda: ts_service.search(SearchRequest(q="budget", start=20)),
    ):
        with pytest.raises(InvalidParameter) as refused:
            attempt()
        assert refused.value.code == "unsupported_query"


@pytest.mark.slow
def test_typesense_says_it_cannot_give_characteristic_terms(ts_service) -> None:
    from search.terms import TermsRequest

    with pytest.raises(InvalidParameter) as refused:
        ts_service.terms(TermsRequest(SearchRequest(q="budget")))
    assert refused.value.code == "unsupported_query" and refused.value.param == "q"
