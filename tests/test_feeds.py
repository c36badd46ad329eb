"""Atom feeds of searches and the OpenSearch description."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from flask.testing import FlaskClient

OS_NS = "{http://a9.com/-/spec/opensearch/1.1/}"


def parse_feed(client: FlaskClient, url: str):
    """Fetch and parse a feed; it must be served as Atom and parse without complaint."""
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_atom_feed_of_a_search(client: FlaskClient) -> None:
    feed = parse_feed(client, "/search.atom?q=election&tag=Politics")
    assert "election" in feed.feed.title
    alternate = next(link for link in feed.feed.links if link.rel == "alternate")
    parts = urlsplit(alternate.href)
    assert parts.path == "/search" and parts.scheme == "http"
    assert parse_qs(parts.query) == {"q": ["election"], "tag": ["Politics"], "sort": ["newest"]}
    assert any(link.rel == "self" for link in feed.feed.links)
    assert feed.entries
    dates = [entry.updated_parsed for entry in feed.entries]
    assert dates == sorted(dates, reverse=True)  # newest first
    for entry in feed.entries:
        assert entry.id.startswith("http://localhost/articles/")
        assert entry.link == entry.id
        assert entry.title and entry.updated
        assert "Politics" in [tag.term for tag in entry.tags]


def test_feed_is_newest_first_whatever_the_sort(client: FlaskClient) -> None:
    feed = parse_feed(client, "/search.atom?q=&sort=oldest")
    published = [entry.published_parsed for entry in feed.entries if "published" in entry]
    assert published == sorted(published, reverse=True)
    assert len(feed.entries) == 12  # everything fits under the 50-entry cap


def test_feed_caps_entries_and_honours_per_page(client: FlaskClient) -> None:
    assert len(parse_feed(client, "/search.atom?q=&per_page=3").entries) == 3
    assert len(parse_feed(client, "/search.atom?q=&per_page=100").entries) == 12


def test_feed_summary_is_the_escaped_snippet(client: FlaskClient) -> None:
    feed = parse_feed(client, "/search.atom?q=election")
    assert all(entry.summary_detail.type == "text/html" for entry in feed.entries)
    assert all("election" in entry.summary for entry in feed.entries)
    raw = client.get("/search.atom?q=election").get_data(as_text=True)
    assert "&lt;mark&gt;election&lt;/mark&gt;" in raw  # HTML carried escaped, as Atom wants


def test_hostile_text_stays_text_in_the_feed(tmp_path: Path) -> None:
    from support import build_webui_index
    from webui import create_app

    index_dir = build_webui_index(tmp_path / "ix")
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    feed = parse_feed(client, "/search.atom?q=forum")
    entry = feed.entries[0]
    assert entry.title.startswith("<script>window.__xss=1</script>")
    assert entry.title_detail.type == "text/plain"
    assert not any(link.href.startswith("javascript:") for link in entry.links)
    feed = parse_feed(client, "/search.atom?q=%3Cscript%3E")
    assert "<script>" in feed.feed.title


def test_empty_search_feed_is_still_valid(client: FlaskClient) -> None:
    feed = parse_feed(client, "/search.atom?q=zzzqqq")
    assert feed.entries == [] and feed.feed.updated


def test_feed_errors_are_400(client: FlaskClient) -> None:
    assert client.get("/search.atom?per_page=1000").status_code == 400


def test_search_page_links_its_feed(client: FlaskClient) -> None:
    html = client.get("/?q=budget&sort=views").get_data(as_text=True)
    assert 'type="application/atom+xml"' in html and "/search.atom?q=budget" in html


def test_opensearch_description(client: FlaskClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{OS_NS}OpenSearchDescription"
    short_name = root.findtext(f"{OS_NS}ShortName")
    description = root.findtext(f"{OS_NS}Description")
    assert short_name and len(short_name) <= 16
    assert description and len(description) <= 1024
    urls = {url.get("type"): url.get("template") for url in root.findall(f"{OS_NS}Url")}
    assert urls["text/html"] == "http://localhost/search?q={searchTerms}"
    assert "{searchTerms}" in urls["application/x-suggestions+json"]
    assert "{searchTerms}" in urls["application/atom+xml"]
    assert root.findtext(f"{OS_NS}InputEncoding") == "UTF-8"


@pytest.mark.parametrize("path", ["/opensearch.xml", "/search.atom?q=x"])
def test_feeds_carry_security_headers(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"
