"""Main article text of a saved page, on trafilatura (Apache-2.0, built for this job).

trafilatura reads the lxml tree parsed once by `corpus.html_tree` (it works on a copy):
boilerplate, comments, navigation and teasers removed, with its own fallbacks
(a readability port, jusText) when its main pass finds little. Its plain-text output
has one paragraph a line; Broadsheet keeps paragraphs apart by a blank line.
"""

from __future__ import annotations

import logging
import warnings

from lxml import html

from corpus.html_text import clean_paragraphs

_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "readability")


#: Below this many characters trafilatura's balanced result may be navigation and a
#: caption; its precision mode decides (trafilatura's own "short extraction" size).
SHORT_BODY_CHARS = 250


def trafilatura_body(tree: html.HtmlElement, url: str = "") -> str:
    """The article text trafilatura finds in ``tree`` ("" when it finds none).

    A short result is checked again in trafilatura's precision mode, which drops menus
    and teasers that the balanced mode keeps when a page has little text (a video page).
    """
    text = _extract(tree, url, precision=False)
    if text and len(text) < SHORT_BODY_CHARS:
        precise = _extract(tree, url, precision=True)
        if precise:
            text = precise
    return text


def _extract(tree: html.HtmlElement, url: str, *, precision: bool) -> str:
    from trafilatura import bare_extraction

    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)  # "discarding data" notes are reported by the reader
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = bare_extraction(
                tree,
                url=url or None,
                favor_precision=precision,
                include_comments=False,
                include_tables=True,
                include_images=False,
                include_links=False,
                deduplicate=False,
                with_metadata=False,
            )
    except (ValueError, TypeError, AttributeError, RecursionError, AssertionError):
        return ""
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    text = getattr(document, "text", None) if document is not None else None
    if not text:
        return ""
    return clean_paragraphs(text.replace("\n", "\n\n"))
