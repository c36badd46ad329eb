"""Markup to plain text: one soup factory and one fragment-to-text function for all readers.

Every reader that meets HTML in its input (feeds, CSV or JSONL cells, web pages)
turns it into plain paragraphs here, so that no markup (and no script text) ever
reaches an `Article`. Paragraphs are separated by a blank line.
"""

from __future__ import annotations

import re
import warnings

from bs4 import (
    BeautifulSoup,
    Comment,
    MarkupResemblesLocatorWarning,
    Tag,
    XMLParsedAsHTMLWarning,
)
from bs4.element import NavigableString

#: Elements whose content is never article text.
DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "canvas",
        "audio",
        "video",
        "button",
        "select",
        "textarea",
        "input",
        "form",
        "head",
        "link",
        "meta",
    }
)
#: Elements that end a paragraph.
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "figure",
        "figcaption",
        "hr",
        "address",
        "center",
    }
)
_TAG_LIKE = re.compile(
    r"</?[A-Za-z][A-Za-z0-9:-]*(\s[^<>]*)?/?>|<!--|&(#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.I
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u2009\u202f]+")
_BLANKS = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def make_soup(markup: str | bytes, parser: str = "lxml") -> BeautifulSoup:
    """Parse ``markup`` with the named bs4 parser, silencing bs4's advisory warnings.

    bs4 warns when markup looks like a file name or URL, or like XML; readers
    handle arbitrary input, so those warnings are expected and meaningless here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(markup, parser)


def looks_like_markup(text: str) -> bool:
    """True when ``text`` holds something that looks like an HTML tag, comment or entity."""
    return bool(_TAG_LIKE.search(text))


def clean_paragraphs(text: str) -> str:
    """Collapse spaces inside paragraphs; keep paragraphs apart by one blank line."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = []
    for block in _BLANKS.split(text):
        line = " ".join(_SPACES.sub(" ", block).split())
        if line:
            paragraphs.append(line)
    return "\n\n".join(paragraphs)


def element_text(node: Tag) -> str:
    """The text of one element with block boundaries as blank lines, markup removed."""
    parts: list[str] = []
    _collect(node, parts)
    return clean_paragraphs("".join(parts))


def _collect(node: Tag, parts: list[str]) -> None:
    # An explicit stack, not recursion: hostile markup nests 100,000 elements deep.
    stack: list[object] = list(reversed(node.contents))
    while stack:
        child = stack.pop()
        if isinstance(child, str) and not isinstance(child, NavigableString):
            parts.append(child)  # a separator queued after a block's children
            continue
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            if type(child) is NavigableString or child.__class__.__name__ == "CData":
                parts.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in DROP_TAGS:
            continue
        if name == "br":
            parts.append("\n")
            continue
        block = name in BLOCK_TAGS
        if block:
            parts.append("\n\n")
            stack.append("\n\n")
        elif name in ("td", "th"):
            stack.append(" ")
        stack.extend(reversed(child.contents))


def max_depth(node: Tag, stop_at: int | None = None) -> int:
    """How deeply elements nest below ``node`` (iteratively; stops early past ``stop_at``)."""
    deepest = 0
    stack: list[tuple[Tag, int]] = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if stop_at is not None and deepest > stop_at:
                break
        stack.extend((child, depth + 1) for child in current.contents if isinstance(child, Tag))
    return deepest


def fragment_to_text(markup: str) -> str:
    """Turn an HTML fragment (or text that may hold tags and entities) into plain text.

    Scripts, styles and other non-text elements are dropped with their content;
    entities are decoded; block elements become paragraph breaks. Text without any
    markup keeps its own paragraph breaks.
    """
    if not markup:
        return ""
    if not looks_like_markup(markup):
        return clean_paragraphs(markup)
    soup = make_soup(markup, "html.parser")
    text = element_text(soup)
    # A fragment that was double-escaped (``&lt;p&gt;``) decodes to markup again.
    if looks_like_markup(text) and re.search(
        r"</?(p|div|br|script|a|b|i|em|strong|span)\b", text, re.I
    ):
        text = element_text(make_soup(text, "html.parser"))
    return clean_paragraphs(text)
