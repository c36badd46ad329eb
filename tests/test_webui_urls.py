"""Absolute URLs never take a client's Host header on trust, and every article id opens
(issue 21, "Also").

The OpenSearch description, Atom ids and links and OpenAPI ``servers`` are built from
``BROADSHEET_PUBLIC_URL`` when set, else from a Host header checked against
``BROADSHEET_TRUSTED_HOSTS``. Ids with a leading ``/``, empty or dot segments round-trip
through the links the pages hand out, resolved as a browser resolves them, through
Flask's test client and a real gunicorn.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from reliability_helpers import Answer, api_error_problem

from servers import gunicorn
from support import ARTICLES, build_from
from webui import create_app
from webui.urls import decode_article_id, encode_article_id

EVIL = "evil.example"
PUBLIC = "https://news.example.org/archive"
#: Ids a corpus may hold that paths mangle, and ordinary ones.
ODD_IDS = (
    "/news/x",
    "../x",
    ".",
    "..",
    "a/./b",
    "x//y",
    "trailing/",
    "~tilde",
    "https://example.org/news/1",
    "q?x#y%z&w=1",
    "space d",
    "news/2023/plain",
    "reuters-12",
    "ünïcode/ü",
)


def app_client(index_dir: Path, **config: object) -> FlaskClient:
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir), **config}).test_client()


def absolute_urls(client: FlaskClient, host: str) -> str:
    """The bodies of every answer holding absolute URLs, asked with ``Host: host``."""
    bodies = []
    for path in ("/opensearch.xml", "/search.atom?q=election", "/api/openapi.json"):
        answer = client.get(path, headers={"Host": host})
        assert answer.status_code == 200, (path, answer.status_code)
        bodies.append(answer.get_data(as_text=True))
    return "\n".join(bodies)


def test_an_untrusted_host_is_refused_by_default(small_index: Path) -> None:
    client = app_client(small_index)
    for path in ("/api/search?q=election", "/opensearch.xml", "/search.atom?q=election"):
        answer = client.get(path, headers={"Host": EVIL})
        assert answer.status_code == 400, path
    answer = client.get("/api/search?q=election", headers={"Host": EVIL})
    shaped = Answer(answer.status_code, {"content-type": answer.content_type}, answer.data)
    assert api_error_problem(shaped) is None
    assert "http://127.0.0.1:8000/" in absolute_urls(client, "127.0.0.1:8000")
    assert "http://localhost/" in absolute_urls(client, "localhost")


def test_trusted_hosts_are_configurable(small_index: Path) -> None:
    client = app_client(small_index, TRUSTED_HOSTS="news.example.org, .example.net")
    assert "http://news.example.org/articles/" in absolute_urls(client, "news.example.org")
    assert "http://a.example.net/" in absolute_urls(client, "a.example.net")
    assert client.get("/", headers={"Host": EVIL}).status_code == 400
    assert client.get("/", headers={"Host": "localhost"}).status_code == 400


def test_a_public_url_makes_every_absolute_url_whatever_the_host(small_index: Path) -> None:
    client = app_client(small_index, PUBLIC_URL=PUBLIC + "/")
    text = absolute_urls(client, EVIL)
    assert EVIL not in text
    assert f"<id>{PUBLIC}/articles/" in text
    assert f'template="{PUBLIC}/search?q={{searchTerms}}"' in text
    assert f'"url":"{PUBLIC}"' in text.replace(" ", "")
    atom = client.get("/search.atom?q=election&tag=Politics").get_data(as_text=True)
    assert f'href="{PUBLIC}/search?q=election&amp;tag=Politics&amp;sort=newest"' in atom


def test_a_public_url_must_be_absolute(small_index: Path) -> None:
    for bad in ("news.example.org", "ftp://x.org", "/archive"):
        with pytest.raises(ValueError, match="BROADSHEET_PUBLIC_URL"):
            create_app({"INDEX_DIR": str(small_index), "PUBLIC_URL": bad})


@pytest.mark.parametrize("article_id", ODD_IDS)
def test_the_id_encoding_round_trips(article_id: str) -> None:
    encoded = encode_article_id(article_id)
    assert decode_article_id(encoded) == article_id
    segments = encoded.split("/")
    assert encoded and not encoded.startswith("/") and "." not in segments
    assert ".." not in segments and "" not in segments


@pytest.fixture(scope="module")
def odd_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ids")
    lines = [
        json.dumps({"id": article_id, "title": f"Odd zebra {n}", "body": f"Zebra story {n}."})
        for n, article_id in enumerate(ODD_IDS)
    ]
    (folder / "odd.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return build_from([folder / "odd.jsonl", ARTICLES], folder / "ix")


def page_links(html: str) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    return [a["href"] for a in page.select("ol.hits h2 a")]


def test_every_id_opens_through_the_links_the_pages_give(odd_index: Path) -> None:
    client = app_client(odd_index)
    page_url = "http://localhost/search?q=zebra&per_page=50"
    links = page_links(client.get(page_url).get_data(as_text=True))
    assert len(links) == len(ODD_IDS)
    opened = set()
    for link in links:
        target = urljoin(page_url, link)  # as a browser resolves it (dot segments go)
        answer = client.get(target)
        assert answer.status_code == 200, (link, target)
        article = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
        api_link = article.select_one('link[rel="alternate"][type="application/json"]')["href"]
        payload = client.get(urljoin(target, api_link)).get_json()
        opened.add(payload["id"])
    assert opened == set(ODD_IDS)
    atom = client.get("/search.atom?q=zebra&per_page=50").get_data(as_text=True)
    for entry in BeautifulSoup(atom, "xml").find_all("entry"):
        assert client.get(urljoin(page_url, entry.link["href"])).status_code == 200


def test_api_clients_can_build_the_path_from_the_documented_rule(odd_index: Path) -> None:
    client = app_client(odd_index)
    for article_id in ODD_IDS:
        path = "/api/articles/" + quote(encode_article_id(article_id), safe="/")
        answer = client.get(path)
        assert answer.status_code == 200 and answer.get_json()["id"] == article_id, path


@pytest.mark.slow
def test_every_id_opens_through_gunicorn(odd_index: Path) -> None:
    with gunicorn(odd_index, workers=1) as base:
        page_url = f"{base}/search?q=zebra&per_page=50"
        with urllib.request.urlopen(page_url, timeout=10) as answer:
            links = page_links(answer.read().decode())
        opened = set()
        for link in links:
            with urllib.request.urlopen(urljoin(page_url, link), timeout=10) as answer:
                assert answer.status == 200
            path = link.split("?")[0]  # the page's link carries the search (?q=zebra...)
            api = urljoin(page_url, path.replace("/articles/", "/api/articles/", 1))
            with urllib.request.urlopen(api, timeout=10) as answer:
                opened.add(json.loads(answer.read())["id"])
        assert opened == set(ODD_IDS)
