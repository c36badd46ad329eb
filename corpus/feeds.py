"""Reader for RSS 2.0, RSS 1.0 (RDF) and Atom feeds: one Article per item or entry.

Parsed with lxml's XML parser (no DTDs, no network, no entity expansion). Feeds in
the wild often use HTML entities (``&nbsp;``) or bare ``&``, which XML forbids: such
a feed is reported once ("entity error ... read leniently"), the entities are
rewritten as character references and the feed is parsed again in recovery mode.
Element names are matched by local name, so namespaces (``content:encoded``,
``dc:creator``, ``dc:date``) need no configuration.

Per item: title, link (Atom: ``rel="alternate"``), ``guid``/``id`` as the id,
``pubDate``/``published``/``dc:date`` (else ``updated``) as the date, every
``category`` (RSS text, Atom ``term``) as tags, ``author``/``dc:creator``/Atom
``author/name``, and ``content:encoded``/``content`` else ``description``/``summary``
turned from HTML into plain text. The channel or feed title is the source. Each item
is read on its own (`corpus.records.isolated`): a bad item costs that item only.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Iterator

from lxml import etree

from corpus.article import Article
from corpus.decode import decode_markup, looks_binary
from corpus.html_text import fragment_to_text
from corpus.records import article_from_record, isolated
from corpus.report import ReadReport

_ENTITY = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]*);|(#\d+;|#x[0-9A-Fa-f]+;)|)")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def _fix_entities(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name, numeric = match.group(1), match.group(2)
        if numeric:
            return match.group(0)
        if name is None:
            return "&amp;"  # a bare ampersand
        if name in _XML_ENTITIES:
            return match.group(0)
        codepoint = html.entities.name2codepoint.get(name)
        return f"&#{codepoint};" if codepoint else f"&amp;{name};"

    return _ENTITY.sub(replace, text)


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _children(element: etree._Element, *names: str) -> list[etree._Element]:
    return [child for child in element if _local(child) in names]


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    if _local(element) in ("content", "summary") and element.get("type") == "xhtml":
        inner = "".join(etree.tostring(child, encoding="unicode") for child in element)
        return (element.text or "") + inner
    return "".join(element.itertext())


def _first_text(element: etree._Element, *names: str) -> str:
    for name in names:
        for child in _children(element, name):
            value = _text(child).strip()
            if value:
                return value
    return ""


def _parse(data: bytes, origin: str, report: ReadReport) -> etree._Element | None:
    strict = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(data, strict)
    except etree.XMLSyntaxError as error:
        report.add_problem(
            origin, f"entity error: invalid XML in feed ({error.msg}), read leniently"
        )
    text = decode_markup(data, origin, ReadReport())
    if text is None:
        return None
    fixed = re.sub(r"^\s*<\?xml[^>]*\?>", "", _fix_entities(text.lstrip("\ufeff")))
    lenient = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        return etree.fromstring(fixed.encode("utf-8"), lenient)
    except etree.XMLSyntaxError:
        return None


def _item_record(item: etree._Element, source: str) -> dict[str, object]:
    link = ""
    for candidate in _children(item, "link"):
        href = candidate.get("href")
        if href is None:
            link = link or _text(candidate).strip()
        elif candidate.get("rel", "alternate") == "alternate":
            link = link or href.strip()
    tags = [c.get("term") or _text(c) for c in _children(item, "category", "subject")]
    author = _first_text(item, "creator", "author")
    for node in _children(item, "author"):
        name = _first_text(node, "name")
        author = name or author
    body = _first_text(item, "encoded", "content") or _first_text(item, "description", "summary")
    return {
        "id": _first_text(item, "guid", "id") or link,
        "title": fragment_to_text(_first_text(item, "title")),
        "body": fragment_to_text(body),
        "date": _first_text(item, "pubdate", "published", "date", "issued", "created")
        or _first_text(item, "updated", "modified"),
        "tags": [tag.strip() for tag in tags if tag and tag.strip()],
        "url": link,
        "author": author,
        "source": source,
    }


def read_feed(data: bytes, origin: str, report: ReadReport) -> Iterator[Article]:
    """Yield one Article per RSS item or Atom entry; report unusable items and bad XML."""
    if not data.strip():
        report.add_problem(origin, "empty file")
        return
    if looks_binary(data):
        report.add_problem(origin, "binary file")
        return
    root = _parse(data, origin, report)
    if root is None:
        report.add_problem(origin, "not a feed: no XML could be recovered")
        return
    channel = next(iter(_children(root, "channel")), root)
    source = fragment_to_text(_first_text(channel, "title"))
    items = [el for el in root.iter() if _local(el) in ("item", "entry")]
    if not items:
        report.add_problem(origin, "no article text: feed has no items")
        return
    for number, item in enumerate(items, start=1):
        where = f"{origin}#item{number}"
        article = isolated(report, where, _item_article, item, source, where, report)
        if article is not None:
            yield article


def _item_article(
    item: etree._Element, source: str, where: str, report: ReadReport
) -> Article | None:
    return article_from_record(_item_record(item, source), where, report)
