"""The one gate every article passes on its way out of a reader: caps and valid text.

`corpus.discover.read_input` hands every article any reader yields to `admit_article`,
so each promise below holds for every format (and for readers added later) without a
line in the reader:

* every text field (id, title, body, tags, source, url, author, origin, language)
  encodes to UTF-8: lone surrogates are replaced by U+FFFD (`corpus.safe_text`);
* the body holds at most `MAX_BODY_CHARS` characters (cut at a word boundary);
* at most `MAX_TAGS` tags (the first ones, in their order);
* ``views`` is None or in ``0..MAX_VIEWS`` (the range of the index's ``views`` field).

Each change is named in the report with the article's origin; the article is kept.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from corpus.article import Article, clean_tags
from corpus.fields import MAX_VIEWS, read_views
from corpus.report import ReadReport
from corpus.safe_text import has_surrogates, printable_path, valid_text

#: Bodies longer than this are cut here (and the cut reported), to bound memory, index
#: size and the size of an answer that shows one article.
MAX_BODY_CHARS = 1_000_000
#: Tags an article keeps; the rest are dropped (and the cut reported).
MAX_TAGS = 100
_TEXT_FIELDS = ("id", "title", "body", "source", "url", "author", "language")
#: How far back from the cap a cut looks for a space, so no word is cut in half.
_WORD_BACKTRACK = 200

__all__ = ["MAX_BODY_CHARS", "MAX_TAGS", "MAX_VIEWS", "admit_article", "cap_body"]


def cap_body(body: str) -> str:
    """``body`` cut to at most `MAX_BODY_CHARS` characters, at a space when one is near."""
    if len(body) <= MAX_BODY_CHARS:
        return body
    cut = body[:MAX_BODY_CHARS]
    space = cut.rfind(" ", MAX_BODY_CHARS - _WORD_BACKTRACK)
    return (cut[:space] if space > 0 else cut).rstrip()


def admit_article(article: Article, report: ReadReport) -> Article:
    """``article`` with the promises of this module made true; what had to change is
    named in ``report`` under the article's origin. Never raises for any field value."""
    changes: dict[str, Any] = {}
    origin = article.origin
    if has_surrogates(origin):
        origin = changes["origin"] = printable_path(origin)
    broken = [name for name in _TEXT_FIELDS if has_surrogates(getattr(article, name))]
    changes.update({name: valid_text(getattr(article, name)) for name in broken})
    tags = article.tags
    if any(has_surrogates(tag) for tag in tags):
        broken.append("tags")
        tags = clean_tags(valid_text(tag) for tag in tags)  # two may now be equal
    if broken:
        report.add_problem(
            origin,
            f"invalid Unicode (lone surrogates) in {', '.join(broken)}: replaced with U+FFFD",
        )
    if len(tags) > MAX_TAGS:
        report.add_problem(
            origin, f"too many tags: {len(tags)}, the first {MAX_TAGS} kept (cap per article)"
        )
        tags = tags[:MAX_TAGS]
    if tags is not article.tags:
        changes["tags"] = tags
    body = valid_text(article.body)
    if len(body) > MAX_BODY_CHARS:
        report.add_problem(origin, f"oversized body truncated at {MAX_BODY_CHARS} characters")
        changes["body"] = cap_body(body)
    if article.views is not None:
        views = read_views(article.views, origin, report)
        if views != article.views:
            changes["views"] = views
    return dataclasses.replace(article, **changes) if changes else article
