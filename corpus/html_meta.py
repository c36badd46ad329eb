"""Metadata of a news page: title, date, author, tags, source, canonical URL, language.

Sources, strongest first: Open Graph / Twitter / article:* meta tags, JSON-LD
(schema.org ``NewsArticle`` and friends, also inside ``@graph``), microdata
(``itemprop``), common ``<meta name>`` conventions (Dublin Core, Parse.ly,
Sailthru ...), then the visible page (``<h1>``, ``<time>``, ``<title>``).
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

_DATE_KEYS = (
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
    "dc.date",
    "dcterms.date",
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
    "date",
    "datecreated",
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "lastmod",
)
_AUTHOR_KEYS = (
    "author",
    "article:author",
    "byl",
    "dc.creator",
    "parsely-author",
    "sailthru.author",
    "og:article:author",
    "twitter:creator",
)
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
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|»|·|•|/|:)\s+")
_URL_LIKE = re.compile(r"^(https?:)?//|^www\.", re.I)


@dataclass(slots=True)
class PageMeta:
    """What the head and markup of a page say about its article."""

    title: str = ""
    date: datetime | None = None
    author: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    url: str = ""
    language: str = ""
    ld_body: str = ""


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


def site_suffix_removed(title: str, site_names: list[str]) -> str:
    """Remove a leading or trailing site name (``Story | Site``) from a page title."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    names = [n.casefold() for n in site_names if n]

    def is_site(part: str) -> bool:
        folded = part.casefold().strip()
        squashed = re.sub(r"[^a-z0-9]", "", folded)
        for name in names:
            name_squashed = re.sub(r"[^a-z0-9]", "", name)
            if folded == name or folded in name or name in folded:
                return True
            if (
                squashed
                and name_squashed
                and (squashed in name_squashed or name_squashed in squashed)
            ):
                return True
        return False

    pieces = list(_TITLE_SEPARATORS.finditer(title))
    if is_site(parts[-1]):
        return title[: pieces[-1].start()].strip()
    if is_site(parts[0]):
        return title[pieces[0].end() :].strip()
    # No known site name: a short last part after " | " is almost always the site.
    last = pieces[-1]
    if last.group().strip() in ("|", "-", "–", "—", "::", "»") and len(parts[-1].split()) <= 4:
        head = title[: last.start()].strip()
        if len(head.split()) >= 3:
            return head
    return title


def _host(url: str) -> str:
    host = urlparse(url).hostname or ""
    return host.removeprefix("www.")


def _pick_title(
    soup: BeautifulSoup, values: dict[str, list[str]], ld: list[dict[str, Any]], sites: list[str]
) -> str:
    h1s = [normalize_text(h.get_text(" ")) for h in soup.find_all("h1", limit=5)]
    h1s = [h for h in h1s if 3 <= len(h) <= 300]
    ld_headline = ""
    if ld and _ARTICLE_TYPES.search(str(ld[0].get("@type", ""))):
        ld_headline = _ld_text(ld[0].get("headline"))
    candidates = [
        ld_headline,
        _first(
            values,
            (
                "og:title",
                "dc.title",
                "twitter:title",
                "title",
                "headline",
                "parsely-title",
                "sailthru.title",
            ),
        ),
    ]
    page_title = normalize_text(soup.title.get_text(" ")) if soup.title else ""
    for candidate in candidates:
        if candidate:
            return site_suffix_removed(candidate, sites)
    if page_title:
        return site_suffix_removed(page_title, sites)
    return h1s[0] if h1s else ""


def _pick_date(
    soup: BeautifulSoup, values: dict[str, list[str]], ld: list[dict[str, Any]]
) -> datetime | None:
    for key in _DATE_KEYS[:27]:
        for value in values.get(key, ()):
            parsed = parse_date(value)
            if parsed is not None:
                return parsed
    for obj in ld:
        for key in ("datePublished", "dateCreated", "uploadDate"):
            value = obj.get(key)
            parsed = parse_date(value) if isinstance(value, str) else None
            if parsed is not None:
                return parsed
    for node in soup.find_all(
        attrs={"itemprop": re.compile(r"^date(Published|Created)$", re.I)}, limit=3
    ):
        parsed = parse_date(node.get("datetime") or node.get("content") or node.get_text(" "))
        if parsed is not None:
            return parsed
    times = soup.find_all("time", limit=20)
    times.sort(
        key=lambda t: (
            0 if (t.has_attr("pubdate") or "publish" in " ".join(t.get("class", [])).lower()) else 1
        )
    )
    for node in times:
        raw = node.get("datetime") or node.get_text(" ")
        parsed = parse_date(raw) if isinstance(raw, str) and len(raw) < 80 else None
        if parsed is not None:
            return parsed
    for key in _DATE_KEYS[27:]:
        for value in values.get(key, ()):
            parsed = parse_date(value)
            if parsed is not None:
                return parsed
    return None


def _pick_author(
    soup: BeautifulSoup, values: dict[str, list[str]], ld: list[dict[str, Any]]
) -> str:
    for obj in ld[:1]:
        name = _ld_text(obj.get("author") or obj.get("creator"))
        if name and not _URL_LIKE.search(name):
            return name
    for key in _AUTHOR_KEYS:
        for value in values.get(key, ()):
            value = normalize_text(value)
            if value and not _URL_LIKE.search(value) and not value.startswith("@"):
                return value
    node = soup.find(attrs={"itemprop": "author"}) or soup.find("a", rel="author")
    if node is None:
        node = soup.find(class_=re.compile(r"\bbyline|\bauthor(-name)?\b", re.I))
    if isinstance(node, Tag):
        name_node = node.find(attrs={"itemprop": "name"})
        text = normalize_text((name_node or node).get_text(" "))
        if 2 < len(text) < 100:
            return text
    return ""


def _pick_tags(values: dict[str, list[str]], ld: list[dict[str, Any]]) -> tuple[str, ...]:
    raw: list[str] = []
    for key in _TAG_KEYS:
        for value in values.get(key, ()):
            raw.extend(value.split(","))
    for obj in ld[:1]:
        for key in ("keywords", "articleSection"):
            value = obj.get(key)
            if isinstance(value, str):
                raw.extend(value.split(","))
            elif isinstance(value, list):
                raw.extend(str(item) for item in value if isinstance(item, str))
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
    """Read everything but the body text from a parsed page."""
    values = meta_values(soup)
    ld = json_ld_articles(soup)
    canonical = ""
    link = soup.find("link", rel=lambda rel: rel and "canonical" in rel)
    if isinstance(link, Tag) and isinstance(link.get("href"), str):
        canonical = link["href"].strip()
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
    return PageMeta(
        title=_pick_title(soup, values, ld, [source, host, host.split(".")[0] if host else ""]),
        date=_pick_date(soup, values, ld),
        author=_pick_author(soup, values, ld),
        tags=_pick_tags(values, ld),
        source=source,
        url=canonical if canonical.startswith(("http://", "https://")) else "",
        language=_pick_language(soup, values, ld),
        ld_body=ld_body,
    )
