"""Main article text of a web page by text density on a bs4 tree: the fallback of
`corpus.html_body` for pages where trafilatura finds no article text.

The method is the classic text-density one (as in Readability and boilerpipe),
with no per-site rules:

1. drop what is never article text: scripts, styles, forms, hidden elements,
   ``nav``/``aside``/``footer``, ARIA landmarks for navigation, and elements whose
   class or id says share bar, comments, related stories, cookie banner, caption ...
   unless they also look like content;
2. score every text block (paragraph) by its length and commas, and credit the
   score to its parent and grandparent; the best-scored container, discounted by
   its link density, holds the article;
3. add sibling blocks that score well or read like prose;
4. inside the result, remove blocks made mostly of links, lists of teasers and
   image-only blocks, then emit the remaining blocks as paragraphs.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Tag
from bs4.element import NavigableString

from corpus.html_text import DROP_TAGS, clean_paragraphs, element_text

_UNLIKELY = re.compile(
    r"-ad-|\bads?\b|advert|ai2html|banner|breadcrumb|combx|comment|communit|consent|cookie|"
    r"cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|masthead|related|remark|replies|"
    r"rss|shoutbox|sidebar|skyscraper|social|sponsor|supplement|agegate|pagination|pager|popup|"
    r"share|sharing|newsletter|subscri|promo|outbrain|taboola|caption|credit|toolbar|signup|"
    r"login|modal|overlay|widget|recommend|trending|popular|most-read|print|tooltip|hidden|"
    r"teaser|read-?more|jump|skip|byline|author|meta-?data|dateline|timestamp|tags?\b|keyword|"
    r"nav|follow|paywall|register|inline-?ad|interstitial|alert|feedback|rating|poll",
    re.I,
)
_MAYBE = re.compile(
    r"and|article|body|column|content|main|shadow|story|text|entry|post|prose", re.I
)
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story|prose",
    re.I,
)
_NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|footnote|"
    r"gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|"
    r"sponsor|shopping|tags|tool|widget|caption|credit|newsletter|subscribe|cookie|social|nav",
    re.I,
)
_BAD_ROLES = {
    "navigation",
    "complementary",
    "banner",
    "contentinfo",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
    "search",
    "alert",
    "note",
    "toolbar",
    "tablist",
}
_STRUCTURAL_DROP = {"nav", "aside", "footer", "figcaption", "dialog", "menu", "header"}
_PARAGRAPH_TAGS = {"p", "pre", "td", "blockquote"}
_CONTAINER_TAGS = {
    "div",
    "section",
    "article",
    "main",
    "td",
    "blockquote",
    "pre",
    "body",
    "span",
    "font",
}
_BLOCK_CHILDREN = {
    "p",
    "div",
    "section",
    "article",
    "table",
    "ul",
    "ol",
    "dl",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figure",
    "main",
    "header",
    "footer",
}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_MIN_PARAGRAPH = 25


def _decomposed(node: Tag) -> bool:
    """``node.decomposed`` in O(1): bs4's property falls back to ``Tag.__getattr__``, a
    search of the whole subtree, while the node is alive (quadratic on deep pages)."""
    return bool(vars(node).get("_decomposed", False))


def _attr_text(node: Tag) -> str:
    classes: str | list[str] = node.get("class") or []
    if isinstance(classes, str):
        classes = [classes]
    ident = node.get("id") or ""
    return " ".join(classes) + " " + (ident if isinstance(ident, str) else "")


def class_weight(node: Tag) -> int:
    """+25 for content-like class/id names, -25 for boilerplate-like ones (Readability's rule)."""
    weight = 0
    for value in (" ".join(node.get("class") or []), node.get("id") or ""):
        if not isinstance(value, str) or not value:
            continue
        if _NEGATIVE.search(value):
            weight -= 25
        if _POSITIVE.search(value):
            weight += 25
    return weight


def _is_hidden(node: Tag) -> bool:
    if node.has_attr("hidden") or node.get("aria-hidden") == "true":
        return True
    style = node.get("style")
    return isinstance(style, str) and bool(_HIDDEN_STYLE.search(style))


def strip_boilerplate(root: Tag) -> None:
    """Remove never-text elements, hidden elements and unlikely blocks from ``root`` in place."""
    for comment in root.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for node in root.find_all(list(DROP_TAGS | _STRUCTURAL_DROP | {"h1"})):
        if node.name == "header" and node.find("p") is not None and len(node.get_text()) > 500:
            continue
        node.decompose()
    for node in list(root.find_all(True)):
        if _decomposed(node) or node.name in ("html", "body", "article", "main"):
            continue
        role = node.get("role")
        if isinstance(role, str) and role.lower() in _BAD_ROLES or _is_hidden(node):
            node.decompose()
            continue
        match_text = _attr_text(node).strip()
        if match_text and _UNLIKELY.search(match_text) and not _MAYBE.search(match_text):
            if not _holds_article(node):
                node.decompose()


def _holds_article(node: Tag) -> bool:
    """True when a block named like boilerplate still wraps the article (a page wrapper)."""
    if node.name in ("td", "tr", "tbody", "table"):
        return True
    if node.find(["article", "main"]) is not None:
        return True
    if node.find(None, {"itemprop": "articleBody"}) is not None:
        return True
    long_paragraphs = 0
    for paragraph in node.find_all("p", limit=40):
        if len(paragraph.get_text()) > 150:
            long_paragraphs += 1
            if long_paragraphs >= 4:
                return True
    return False


def _text_len(node: Tag) -> int:
    return len(" ".join(node.get_text(" ").split()))


def link_density(node: Tag) -> float:
    """Share of the node's text that sits inside links."""
    total = _text_len(node)
    if not total:
        return 0.0
    linked = sum(_text_len(a) for a in node.find_all("a"))
    return min(1.0, linked / total)


def _base_score(node: Tag) -> float:
    name = node.name
    score = {
        "div": 5,
        "article": 10,
        "main": 5,
        "pre": 3,
        "td": 3,
        "blockquote": 3,
        "address": -3,
        "ol": -3,
        "ul": -3,
        "dl": -3,
        "dd": -3,
        "dt": -3,
        "li": -3,
        "form": -3,
        "h2": -5,
        "h3": -5,
        "h4": -5,
        "h5": -5,
        "h6": -5,
        "th": -5,
    }.get(name, 0)
    if node.get("itemprop") == "articleBody" or node.get("property") == "articleBody":
        score += 50
    return score + class_weight(node)


def _paragraph_nodes(root: Tag) -> list[Tag]:
    found: list[Tag] = []
    for node in root.find_all(True):
        if node.name in _PARAGRAPH_TAGS:
            found.append(node)
        elif node.name in ("div", "section", "span", "font", "article") and not any(
            isinstance(c, Tag) and c.name in _BLOCK_CHILDREN for c in node.children
        ):
            # A div holding text directly acts as a paragraph.
            if any(isinstance(c, NavigableString) and c.strip() for c in node.children):
                found.append(node)
    return found


def score_candidates(root: Tag) -> dict[int, tuple[Tag, float]]:
    """Score containers by the paragraphs they hold; keyed by ``id(node)``."""
    scores: dict[int, tuple[Tag, float]] = {}
    for paragraph in _paragraph_nodes(root):
        text = " ".join(paragraph.get_text(" ").split())
        if len(text) < _MIN_PARAGRAPH:
            continue
        points = (
            1 + text.count(",") + text.count("，") + text.count("、") + min(len(text) // 100, 3)
        )
        ancestors = [paragraph.parent, paragraph.parent.parent if paragraph.parent else None]
        ancestors.append(ancestors[1].parent if ancestors[1] is not None else None)
        for level, ancestor in enumerate(ancestors):
            if not isinstance(ancestor, Tag) or ancestor.name in ("[document]", "html"):
                continue
            key = id(ancestor)
            if key not in scores:
                scores[key] = (ancestor, _base_score(ancestor))
            divider = 1 if level == 0 else (2 if level == 1 else level * 3)
            node, score = scores[key]
            scores[key] = (node, score + points / divider)
    return scores


def _best_candidate(root: Tag) -> Tag | None:
    scores = score_candidates(root)
    if not scores:
        return None
    ranked = sorted(scores.values(), key=lambda item: item[1], reverse=True)[:8]
    best = None
    best_score = float("-inf")
    for node, score in ranked:
        adjusted = score * (1 - link_density(node))
        if adjusted > best_score:
            best, best_score = node, adjusted
    # Climb while the parent holds clearly more article text of similar quality.
    while (
        best is not None
        and isinstance(best.parent, Tag)
        and best.parent.name not in ("body", "html", "[document]")
    ):
        parent = best.parent
        parent_score = scores.get(id(parent), (parent, 0.0))[1]
        if parent_score >= best_score * 0.75 and link_density(parent) < 0.25:
            best, best_score = parent, max(best_score, parent_score)
            continue
        break
    return best


def _sibling_ok(sibling: Tag, scores: dict[int, tuple[Tag, float]], threshold: float) -> bool:
    if id(sibling) in scores and scores[id(sibling)][1] >= threshold:
        return True
    if sibling.name != "p":
        return False
    text = " ".join(sibling.get_text(" ").split())
    density = link_density(sibling)
    if len(text) > 80 and density < 0.25:
        return True
    return 0 < len(text) <= 80 and density == 0 and bool(re.search(r"[.!?。]$", text))


def _clean_conditionally(container: Tag) -> None:
    for node in reversed(
        container.find_all(["div", "section", "ul", "ol", "table", "form", "dl", "figure"])
    ):
        if _decomposed(node) or node is container:
            continue
        weight = class_weight(node)
        text_len = _text_len(node)
        if weight < 0 and text_len < 1000:
            node.decompose()
            continue
        text = " ".join(node.get_text(" ").split())
        if text.count(",") + text.count("，") >= 10:
            continue
        paragraphs = len(node.find_all("p"))
        images = len(node.find_all("img"))
        items = len(node.find_all("li")) - 100
        density = link_density(node)
        is_list = node.name in ("ul", "ol")
        if (
            (images > 1 and paragraphs / images < 0.5 and not node.find_parent("figure"))
            or (not is_list and items > paragraphs)
            or (weight < 25 and density > 0.2 and text_len < 2000)
            or (weight >= 25 and density > 0.5)
            or (is_list and density > 0.5)
            or (
                text_len < _MIN_PARAGRAPH
                and images == 0
                and paragraphs == 0
                and node.name != "table"
            )
        ):
            node.decompose()


def _drop_link_blocks(container: Tag) -> None:
    for node in container.find_all(["p", "li", "h2", "h3", "h4", "h5", "h6", "span", "div"]):
        if _decomposed(node):
            continue
        text_len = _text_len(node)
        if text_len and text_len < 200 and link_density(node) > 0.6:
            node.decompose()


def extract_body(soup: BeautifulSoup) -> str:
    """Return the article text of a parsed page as paragraphs (blank-line separated).

    Mutates ``soup``. Returns "" when no block of article text is found.
    """
    root = soup.body or soup
    strip_boilerplate(root)
    best = _best_candidate(root)
    if best is None:
        return ""
    scores = score_candidates(root)
    best_score = scores.get(id(best), (best, 0.0))[1]
    threshold = max(10.0, best_score * 0.2)
    parts: list[Tag] = []
    parent = best.parent
    if isinstance(parent, Tag):
        for sibling in parent.find_all(True, recursive=False):
            if sibling is best or _sibling_ok(sibling, scores, threshold):
                parts.append(sibling)
    else:
        parts.append(best)
    texts = []
    for part in parts:
        _clean_conditionally(part)
        _drop_link_blocks(part)
        texts.append(element_text(part))
    return clean_paragraphs("\n\n".join(texts))
