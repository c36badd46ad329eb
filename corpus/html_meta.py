"""Metadata of a news page: title, date, author, tags, source, canonical URL, language.

Sources: Open Graph / Twitter / article:* meta tags, JSON-LD (schema.org
``NewsArticle`` and friends, also inside ``@graph``), microdata (``itemprop``), common
``<meta name>`` conventions (Dublin Core, Parse.ly, Sailthru ...), then the visible page
(``<h1>``, ``<time>``, bylines). The title is chosen by `corpus.html_title`; the date is
split into what the markup names as the publication date and any other date, for
`corpus.html_date` to weigh against htmldate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from bs4 import BeautifulSoup, Tag

from corpus.article import clean_tags, normalize_text
from corpus.dates import parse_date
from corpus.html_author import pick_author
from corpus.html_title import pick_title

#: Meta keys that name the publication (or creation) date, strongest first.
_PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "og:published_time",
    "published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "date_published",
    "article.published",
    "article_date_original",
    "originalpublicationdate",
    "cxenseparse:recs:publishtime",
    "ptime",
    "datecreated",
)
#: Meta keys of the last modification.
_MODIFIED_KEYS = ("article:modified_time", "og:updated_time", "datemodified", "lastmod")
#: Meta keys with a date that may be the publication date or a later one.
_OTHER_DATE_KEYS = ("date", "dc.date", "dcterms.date")
_TAG_KEYS = (
    "article:tag",
    "news_keywords",
    "keywords",
    "parsely-tags",
    "sailthru.tags",
    "article:section",
    "og:article:section",
    "section",
    "parsely-section",
)
_ARTICLE_TYPES = re.compile(r"(article|posting|report|story)$", re.I)


@dataclass(slots=True)
class PageMeta:
    """What the head and markup of a page say about its article."""

    title: str = ""
    #: A date the markup names as the publication (or creation) date.
    published: datetime | None = None
    #: A date the markup names as the last modification.
    modified: datetime | None = None
    #: A date the markup gives without saying what it is.
    other_date: datetime | None = None
    author: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    url: str = ""
    language: str = ""
    ld_body: str = ""
    #: Texts of bylines, datelines and ``<time>`` elements, for a written-out date.
    date_hints: tuple[str, ...] = ()
    #: ``og:type`` (``article``, ``video.other`` ...), lower-cased.
    page_type: str = ""


def meta_values(soup: BeautifulSoup) -> dict[str, list[str]]:
    """Map lower-cased ``property``/``name``/``itemprop`` of every ``<meta>`` to its contents."""
    values: dict[str, list[str]] = {}
    for tag in soup.find_all("meta"):
        content = tag.get("content")
        if content is None:
            content = tag.get("datetime") or tag.get("value")
        if not content or not isinstance(content, str):
            continue
        content = content.strip()
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = tag.get(attr)
            if isinstance(key, str) and key.strip():
                values.setdefault(key.strip().lower(), []).append(content)
    return values


def _walk_ld(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_ld(item)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk_ld(node["@graph"])
        main = node.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _walk_ld(main)


def json_ld_articles(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """JSON-LD objects of the page, article types first; bad JSON is skipped."""
    found: list[dict[str, Any]] = []
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.I)):
        raw = script.string or script.get_text()
        if not raw or not raw.strip():
            continue
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except (ValueError, RecursionError):
            continue
        found.extend(_walk_ld(data))

    def rank(obj: dict[str, Any]) -> int:
        types = obj.get("@type", "")
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and _ARTICLE_TYPES.search(t) for t in types):
            return 0
        return 1 if "headline" in obj or "datePublished" in obj else 2

    return sorted(found, key=rank)


def _ld_text(value: Any) -> str:
    if isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, dict):
        return _ld_text(value.get("name") or value.get("@value") or "")
    if isinstance(value, list):
        names = [_ld_text(item) for item in value]
        return ", ".join(name for name in names if name)
    return ""


def _first(values: dict[str, list[str]], keys: tuple[str, ...]) -> str:
    for key in keys:
        for value in values.get(key, ()):
            if normalize_text(value):
                return normalize_text(value)
    return ""


_DATE_HINT_CLASS = re.compile(r"date|time|byline|dateline|posted|publish|meta", re.I)


def _host(url: str) -> str:
    host = urlparse(url).hostname or ""
    return host.removeprefix("www.")


def _pick_title(
    soup: BeautifulSoup, values: dict[str, list[str]], ld: list[dict[str, Any]], sites: list[str]
) -> str:
    article = soup.find(["article", "main"])
    h1_nodes = soup.find_all("h1", limit=5)
    h1s = [normalize_text(h.get_text(" ")) for h in h1_nodes]
    ld_headline = ""
    if ld and _ARTICLE_TYPES.search(str(ld[0].get("@type", ""))):
        ld_headline = _ld_text(ld[0].get("headline"))
    meta_titles = [
        _first(values, (key,))
        for key in ("og:title", "twitter:title", "dc.title", "headline", "parsely-title", "title")
    ]
    page_title = normalize_text(soup.title.get_text(" ")) if soup.title else ""
    if isinstance(article, Tag):
        inside = [normalize_text(h.get_text(" ")) for h in article.find_all("h1", limit=3)]
        h1s = inside + [h for h in h1s if h not in inside]
    return pick_title(
        headlines=h1s,
        ld_headline=ld_headline,
        meta_titles=[t for t in meta_titles if t],
        page_title=page_title,
        site_names=sites,
    )


def _parse_values(values: dict[str, list[str]], keys: tuple[str, ...]) -> datetime | None:
    for key in keys:
        for value in values.get(key, ()):
            parsed = parse_date(value)
            if parsed is not None:
                return parsed
    return None


def _pick_dates(
    soup: BeautifulSoup, values: dict[str, list[str]], ld: list[dict[str, Any]]
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """(published, modified, other) dates the markup gives, each or None."""
    published = _parse_values(values, _PUBLISHED_KEYS)
    for obj in ld if published is None else ():
        for key in ("datePublished", "dateCreated", "uploadDate"):
            value = obj.get(key)
            published = parse_date(value) if isinstance(value, str) else None
            if published is not None:
                break
        if published is not None:
            break
    if published is None:
        for node in soup.find_all(
            None, {"itemprop": re.compile(r"^date(Published|Created)$", re.I)}, limit=3
        ):
            raw: str | list[str] | None = (
                node.get("datetime") or node.get("content") or node.get_text(" ")
            )
            published = parse_date(raw) if isinstance(raw, str) and len(raw) < 80 else None
            if published is not None:
                break
    if published is None:
        for node in soup.find_all("time", limit=20):
            classes: str | list[str] = node.get("class") or []
            marked = node.has_attr("pubdate") or "publish" in " ".join(classes)
            raw = node.get("datetime")
            if marked and isinstance(raw, str) and len(raw) < 80:
                published = parse_date(raw)
                if published is not None:
                    break
    modified = _parse_values(values, _MODIFIED_KEYS)
    for obj in ld[:1] if modified is None else ():
        value = obj.get("dateModified")
        modified = parse_date(value) if isinstance(value, str) else None
    other = _parse_values(values, _OTHER_DATE_KEYS)
    if other is None:
        for node in soup.find_all("time", limit=20):
            raw = node.get("datetime")
            other = parse_date(raw) if isinstance(raw, str) and len(raw) < 80 else None
            if other is not None:
                break
    return published, modified, other or modified


def _date_hint_texts(soup: BeautifulSoup) -> tuple[str, ...]:
    """Texts of the elements that usually carry a visible date (bylines, datelines, times)."""
    hints = []
    nodes = soup.find_all(class_=_DATE_HINT_CLASS, limit=12) + soup.find_all("time", limit=8)
    for node in nodes:
        text = normalize_text(node.get_text(" "))
        if 6 <= len(text) <= 200 and text not in hints:
            hints.append(text)
    return tuple(hints)


def _pick_tags(values: dict[str, list[str]], ld: list[dict[str, Any]]) -> tuple[str, ...]:
    raw: list[str] = []
    for key in _TAG_KEYS:
        for value in values.get(key, ()):
            raw.extend(value.split(","))
    for obj in ld[:1]:
        for key in ("keywords", "articleSection"):
            found = obj.get(key)
            if isinstance(found, str):
                raw.extend(found.split(","))
            elif isinstance(found, list):
                raw.extend(str(item) for item in found if isinstance(item, str))
    return clean_tags(tag for tag in raw if len(tag.strip()) <= 80)


def _pick_language(
    soup: BeautifulSoup, values: dict[str, list[str]], ld: list[dict[str, Any]]
) -> str:
    html_tag = soup.find("html")
    lang = html_tag.get("lang") or html_tag.get("xml:lang") if isinstance(html_tag, Tag) else None
    if not lang:
        lang = _first(values, ("content-language", "language", "dc.language", "og:locale"))
    if not lang and ld:
        lang = _ld_text(ld[0].get("inLanguage"))
    lang = str(lang or "").strip().replace("_", "-").split(",")[0]
    return lang if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang) else ""


def extract_meta(soup: BeautifulSoup) -> PageMeta:
    """Read everything but the body text from a parsed page (or its metadata parts)."""
    values = meta_values(soup)
    ld = json_ld_articles(soup)
    canonical = ""
    link = soup.find("link", rel=lambda rel: rel and "canonical" in rel)
    href = link.get("href") if isinstance(link, Tag) else None
    if isinstance(href, str):
        canonical = href.strip()
    if not canonical.startswith(("http://", "https://")):
        canonical = _first(values, ("og:url", "twitter:url")) or canonical
    if not canonical and ld:
        ld_url = ld[0].get("url") or ld[0].get("mainEntityOfPage")
        canonical = _ld_text(ld_url) if not isinstance(ld_url, dict) else str(ld_url.get("@id", ""))
    source = _first(values, ("og:site_name", "application-name", "cre", "twitter:site"))
    if not source and ld:
        source = _ld_text(ld[0].get("publisher"))
    host = _host(canonical)
    source = source.lstrip("@") or host
    ld_body = ""
    if ld and isinstance(ld[0].get("articleBody"), str):
        ld_body = ld[0]["articleBody"]
    published, modified, other_date = _pick_dates(soup, values, ld)
    ld_author = _ld_text(ld[0].get("author") or ld[0].get("creator")) if ld else ""
    sites = [source, host, host.split(".")[0] if host else ""]
    if ld:
        sites.append(_ld_text(ld[0].get("publisher")))
    return PageMeta(
        title=_pick_title(soup, values, ld, sites),
        published=published,
        modified=modified,
        other_date=other_date,
        author=pick_author(soup, values, ld_author),
        tags=_pick_tags(values, ld),
        source=source,
        url=canonical if canonical.startswith(("http://", "https://")) else "",
        language=_pick_language(soup, values, ld),
        ld_body=ld_body,
        date_hints=_date_hint_texts(soup),
        page_type=_first(values, ("og:type",)).lower(),
    )
