"""The author of a news page from its JSON-LD, meta tags or visible byline, cleaned.

Bylines carry more than the name: "By", a date or a relative time, a handle or a
profile URL. `clean_author` keeps the name; `corpus.html_reader` asks trafilatura's
byline heuristics when nothing here finds one (bs4 wins on measurement: see the module
docstring of `corpus.html_reader`).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from corpus.article import normalize_text

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
_URL_LIKE = re.compile(r"^(https?:)?//|^www\.", re.I)
_BYLINE_PREFIX = re.compile(
    r"^(?:by|von|par|por|di|door|av|af|przez|autor(?:ka)?|auteur|author|text|texte|"
    r"reportage|written by|posted by)\s*:?\s+",
    re.I,
)
#: Words that introduce a date in a byline ("Published 12 July"), cut from an author name.
_DATE_WORDS = frozenset(
    "published publié publiée publicado publicada pubblicato veröffentlicht opublikowano "
    "updated posted aktualisiert actualizado atualizado aggiornato on am le el il dnia "
    "mis modifié updated: posted: published:".split()
)


def clean_author(text: str) -> str:
    """An author name as a byline gives it, without "By", dates, times or handles.

    ``By Erin Cunningham`` -> ``Erin Cunningham``; ``Aleš Vávra před 2 hodinami`` ->
    ``Aleš Vávra``; URLs and ``@handles`` give "".
    """
    text = normalize_text(text)
    if not text or _URL_LIKE.search(text) or text.startswith("@"):
        return ""
    text = _BYLINE_PREFIX.sub("", text)
    digit = re.search(r"\d", text)
    if digit:
        kept = text[: digit.start()].rstrip(" ,;|-–—·/(")
        words = kept.split()
        while len(words) > 1 and (
            words[-1][:1].islower() or words[-1].casefold().strip(":,") in _DATE_WORDS
        ):
            words.pop()  # "Name před 2 hodinami", "Name Publié le 12 juillet": date words
        text = " ".join(words).rstrip(" ,;|-–—·/(")
    text = text.strip(" ,;|-–—·/")
    return text if 2 < len(text) < 100 else ""


def pick_author(soup: BeautifulSoup, values: dict[str, list[str]], ld_author: str) -> str:
    """The author of the page: JSON-LD (``ld_author``), author meta tags, visible byline."""
    name = clean_author(ld_author)
    if name:
        return name
    for key in _AUTHOR_KEYS:
        for value in values.get(key, ()):
            name = clean_author(value)
            if name:
                return name
    node = soup.find(None, {"itemprop": "author"}) or soup.find("a", rel="author")
    if node is None:
        node = soup.find(class_=re.compile(r"\bbyline|\bauthor(-name)?\b", re.I))
    if isinstance(node, Tag):
        name_node = node.find(None, {"itemprop": "name"})
        return clean_author((name_node or node).get_text(" "))
    return ""
