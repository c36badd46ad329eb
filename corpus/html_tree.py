"""One lxml parse of a saved page, shared by the body (trafilatura) and date (htmldate) readers.

The page is parsed once from decoded *text* by trafilatura's `load_html` (lxml with
comments and processing instructions dropped; a wrong ``<meta charset>`` is never
trusted because the text is already decoded). libxml2 stops building the tree 256
levels down and drops what lies deeper, so `nests_deeper_than` tells when a page must be
read another way. `metadata_markup` cuts out the few parts of the page that carry
metadata (head, JSON-LD, headlines, bylines, datelines, ``<time>``) so that bs4 reads
them without building Python objects for the whole page.
"""

from __future__ import annotations

import logging
import re

from lxml import etree, html
from trafilatura.utils import load_html

#: libxml2 keeps at most this many levels of elements (and drops deeper content).
LIBXML_MAX_DEPTH = 256
#: Body elements kept for metadata, found by one XPath union (so in document order).
_METADATA_XPATH = " | ".join(
    (
        "//body//meta",
        "//body//link[@rel='canonical' or @rel='author']",
        "//body//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]",
        "//body//h1",
        "//body//time",
        "//body//*[@itemprop][not(self::meta)]",
        "//body//a[@rel='author']",
        "//body//*[re:test(concat(@class, ' ', @id), $hints, 'i')]",
    )
)
_XPATH_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}
_HINT_PATTERN = "date|time|byline|dateline|posted|publish|meta|author|autor|auteur|writer|credit"
#: At most this many body elements are kept.
_MAX_ELEMENTS = 200
_ALWAYS_KEPT = frozenset({"meta", "link", "script", "h1", "time", "a"})
_LANG_ATTRS = {
    "lang": "lang",
    "xml:lang": "xml:lang",
    "{http://www.w3.org/XML/1998/namespace}lang": "xml:lang",
}
_ITEMPROP = re.compile(r"^(date|author|creator|name|headline|publisher)", re.I)
#: Elements with more text than this are page wrappers, not bylines or datelines.
_MAX_HINT_TEXT = 600


def parse_tree(text: str) -> html.HtmlElement | None:
    """Parse decoded page text into an lxml tree, or None when lxml finds no document."""
    logger = logging.getLogger("trafilatura.utils")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)  # its "parsed tree length" notes are not our problems
    try:
        tree = load_html(text)
    except (ValueError, TypeError, etree.ParserError):
        return None
    finally:
        logger.setLevel(previous)
    if tree is None or not isinstance(tree, html.HtmlElement):
        return None
    return tree


def nests_deeper_than(tree: etree._Element, depth: int) -> bool:
    """True when some element of ``tree`` lies more than ``depth`` levels below the root."""
    return bool(tree.getroottree().getroot().xpath("boolean(" + "/*" * (depth + 1) + ")"))


def _worth_keeping(node: etree._Element) -> bool:
    if node.tag in _ALWAYS_KEPT:
        return True
    itemprop = node.get("itemprop")
    if itemprop is not None and _ITEMPROP.match(itemprop):
        return True
    if node.tag in ("main", "article", "body"):
        return False
    return len(node.text_content()) <= _MAX_HINT_TEXT


def metadata_markup(tree: html.HtmlElement) -> str:
    """The head of the page plus its metadata-bearing elements, as a small HTML document.

    Body elements (meta tags, JSON-LD, headlines, ``<time>``, ``itemprop`` and
    byline/dateline/author elements) are kept in document order; one held inside an
    element already kept is not repeated.
    """
    root = tree.getroottree().getroot()
    attrs = " ".join(
        f'{_LANG_ATTRS[name]}="{_attr(value)}"'
        for name, value in root.attrib.items()
        if name in _LANG_ATTRS
    )
    head = root.find("head")
    head_parts: list[str] = []
    if head is not None:
        for child in head:
            if not isinstance(child.tag, str) or child.tag in ("style", "noscript"):
                continue
            if child.tag == "script" and "ld+json" not in (child.get("type") or "").lower():
                continue
            head_parts.append(_serialize(child))
    body_parts: list[str] = []
    kept: set[etree._Element] = set()
    for node in root.xpath(_METADATA_XPATH, namespaces=_XPATH_NAMESPACES, hints=_HINT_PATTERN):
        if len(kept) >= _MAX_ELEMENTS:
            break
        if not _worth_keeping(node) or any(a in kept for a in node.iterancestors()):
            continue
        kept.add(node)
        body_parts.append(_serialize(node))
    return (
        f"<html {attrs}><head>{''.join(head_parts)}</head><body>{''.join(body_parts)}</body></html>"
    )


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _serialize(node: etree._Element) -> str:
    text: str = html.tostring(node, encoding="unicode", with_tail=False)
    return text
