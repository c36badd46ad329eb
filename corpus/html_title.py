"""The headline of a news page, without the site name glued to it.

Candidates: the visible ``<h1>`` headlines, the JSON-LD ``headline``, the ``og:title`` /
``twitter:title`` / Dublin Core titles and the ``<title>`` element. The visible headline
wins when it agrees with one of the others (it is what the reader sees, and meta
titles are often shortened or carry the site name); otherwise JSON-LD, then the meta
titles, then ``<title>``, each with the site name cut off (``Headline | Site``,
``Site - Headline``, ``Headline - Section - Site``).
"""

from __future__ import annotations

import re
from collections import Counter

_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|»|«|·|•|/|:|~)\s+|\s*[|｜_]\s*(?=\S)")
_CUT_SEPARATORS = ("|", "-", "–", "—", "::", "»", "«", "·", "•", "~", "｜", "_")
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
#: Token F1 at or above which a visible headline agrees with a meta title.
_AGREEMENT = 0.5


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def agreement(a: str, b: str) -> float:
    """Token F1 of two titles (case and punctuation ignored; CJK by character)."""
    left, right = Counter(_tokens(a)), Counter(_tokens(b))
    overlap = sum((left & right).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(left.values()), overlap / sum(right.values())
    return 2 * precision * recall / (precision + recall)


def _squash(text: str) -> str:
    return "".join(_tokens(text))


def _is_site(part: str, site_names: list[str]) -> bool:
    squashed = _squash(part)
    if not squashed:
        return True
    for name in site_names:
        name_squashed = _squash(name)
        if len(name_squashed) < 3:
            continue
        if squashed == name_squashed:
            return True
        if squashed in name_squashed and len(squashed) * 2 >= len(name_squashed):
            return True  # "BBC" for "BBC News"
        if name_squashed in squashed and len(part.split()) <= 5:
            return True  # "The Guardian US edition" for "theguardian.com"
    return False


def site_suffix_removed(title: str, site_names: list[str]) -> str:
    """Cut leading and trailing site names (``Story | Site``, ``Site - Story``) from a title.

    Without a known site name, a short last part after ``|``, `` - `` or similar is
    cut when at least three words remain (``Story - Section - Site``).
    """
    title = " ".join(title.split())
    separators = [m for m in _SEPARATORS.finditer(title) if _is_cut_separator(m.group(), title)]
    if not separators:
        return title
    bounds = [0, *(x for m in separators for x in (m.start(), m.end())), len(title)]
    parts = [title[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    names = [n for n in site_names if n and _squash(n)]
    start, end = 0, len(parts)
    while end - start > 1 and _is_site(parts[end - 1], names):
        end -= 1
    while end - start > 1 and _is_site(parts[start], names):
        start += 1
    if (start, end) == (0, len(parts)):
        last = parts[-1]
        head = title[: separators[-1].start()].strip()
        short_tail = len(last.split()) <= 4 and not _CJK.search(last)
        if short_tail and len(head.split()) >= 3:
            return site_suffix_removed(head, site_names) if names else head
        return title
    # A section name often sits between the headline and the site: "Story - Business - Site".
    while end - start > 1 and _short(parts[end - 1]) and not _short(parts[start]):
        end -= 1
    return title[bounds[2 * start] : bounds[2 * end - 1]].strip(" |-–—:·•»«~_")


def _short(part: str) -> bool:
    if _CJK.search(part):
        return len(part.strip()) <= 4
    return len(part.split()) <= 2


def _is_cut_separator(separator: str, title: str) -> bool:
    stripped = separator.strip()
    if stripped in ("_", "|", "｜") and not separator.startswith(" "):
        # "a_b" inside a word is no separator, except in CJK titles that use it that way
        return bool(_CJK.search(title)) or stripped != "_"
    return stripped in _CUT_SEPARATORS or stripped in (":", "/")


def pick_title(
    *,
    headlines: list[str],
    ld_headline: str,
    meta_titles: list[str],
    page_title: str,
    site_names: list[str],
) -> str:
    """Choose the page's headline (see the module docstring); "" when the page has none."""
    cleaned_meta = [site_suffix_removed(t, site_names) for t in meta_titles if t]
    cleaned_page = site_suffix_removed(page_title, site_names) if page_title else ""
    references = [t for t in (ld_headline, *cleaned_meta, cleaned_page, page_title) if t]
    for headline in headlines:
        if not 3 <= len(headline) <= 300:
            continue
        if any(agreement(headline, ref) >= _AGREEMENT for ref in references):
            return site_suffix_removed(headline, site_names)
    for candidate in (ld_headline, *cleaned_meta, cleaned_page):
        if candidate:
            return candidate
    return next((h for h in headlines if 3 <= len(h) <= 300), "")
