"""Reader for saved HTML article pages (one article per page).

Bytes are decoded by `corpus.decode.decode_markup` (BOM, valid UTF-8, declared
charset, Windows-1252) and the page is parsed once by lxml (`corpus.html_tree`).
Each field comes from the source that wins on measurement (``python -m corpus
evaluate-html``), the other filling in when the first finds nothing:

* body: trafilatura (`corpus.html_body`); a longer JSON-LD ``articleBody`` when the
  page text is cut; the text-density extractor (`corpus.html_density`) when
  trafilatura finds no text at all;
* date: `corpus.html_date` (markup publication date, then htmldate, then a date
  written in the page's language);
* title, author, tags, source, URL, language: bs4 on the metadata parts of the page
  (`corpus.html_meta`, `corpus.html_title`); trafilatura's title and author when bs4
  finds none;
  the language of the text (`corpus.html_language`) when the page declares none.

Pages that nest deeper than libxml2 builds (it drops what lies deeper) are read by bs4
as the plain text of their body, without boilerplate removal; pages of several megabytes
by the text-density extractor alone.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator

from bs4 import BeautifulSoup
from lxml import html

from corpus.article import Article, content_id, normalize_text
from corpus.decode import decode_markup
from corpus.html_author import clean_author
from corpus.html_body import trafilatura_body
from corpus.html_date import publication_date
from corpus.html_density import extract_body as density_body
from corpus.html_language import detect_language
from corpus.html_meta import PageMeta, extract_meta
from corpus.html_text import element_text, fragment_to_text, make_soup, max_depth
from corpus.html_tree import LIBXML_MAX_DEPTH, metadata_markup, nests_deeper_than, parse_tree
from corpus.jsonl import MAX_BODY_CHARS
from corpus.report import ReadReport

#: Pages with less body text than this (after boilerplate removal) have "no article text".
MIN_BODY_CHARS = 80
#: Pages whose elements nest deeper than this are read as the plain text of their body
#: (libxml2 drops content below 256 levels; the bs4 walk is iterative).
MAX_NESTING = LIBXML_MAX_DEPTH - 1
#: Pages longer than this (characters of markup) are read by the bs4 text-density
#: extractor alone: trafilatura copies the tree several times (memory) and takes about a
#: second per megabyte, while no news article page comes near this size.
MAX_LIBRARY_PAGE_CHARS = 3_000_000
_TRUNCATION_TAIL = 2048
_LINKS_REASON = "no article text: a page of links, such as an index page"
#: A body whose paragraphs are link texts for at least this share of its characters is
#: the teaser list of an index page, not an article.
LINK_PAGE_SHARE = 0.8
_VIDEO_XPATH = (
    "boolean(//video | //iframe[contains(@src, 'youtube') or contains(@src, 'vimeo') "
    "or contains(@src, 'dailymotion') or contains(@src, 'player')])"
)


def looks_truncated(text: str) -> bool:
    """True when a page ends without its closing ``</body>``/``</html>`` (a cut-off download)."""
    tail = text[-_TRUNCATION_TAIL:].lower()
    return (
        "<html" in text[: _TRUNCATION_TAIL * 4].lower()
        and "</html" not in tail
        and "</body" not in tail
    )


def _full_soup(text: str) -> BeautifulSoup:
    try:
        soup = make_soup(text, "lxml")
    except Exception:  # lxml can fail on pathological markup; retry slower
        soup = make_soup(text, "html.parser")
    if soup.find("body") is None and soup.find("p") is None and "<" in text:
        soup = make_soup(text, "html.parser")
    return soup


def trafilatura_metadata(tree: html.HtmlElement, url: str) -> tuple[str, str]:
    """(title, author) from trafilatura's metadata (its own heuristics), cleaned; "" if none."""
    from trafilatura.metadata import extract_metadata

    logger = logging.getLogger("trafilatura")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = extract_metadata(tree, default_url=url or None, extensive=False)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return "", ""
    finally:
        logger.setLevel(previous)
    names: list[str] = []
    for name in (getattr(document, "author", None) or "").split(";"):
        name = clean_author(name)
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return normalize_text(getattr(document, "title", None) or ""), ", ".join(names)


def _read_body(text: str, tree: html.HtmlElement, meta: PageMeta) -> str:
    """The article text: trafilatura, or a longer JSON-LD text; text density when both
    find nothing (trafilatura's short answers stand: its own fallbacks have run)."""
    body = trafilatura_body(tree, meta.url)
    ld_body = fragment_to_text(meta.ld_body) if meta.ld_body else ""
    if len(ld_body) > max(len(body) * 1.3, MIN_BODY_CHARS):
        body = ld_body
    if not body:
        body = density_body(_full_soup(text))
    return body


def parse_html_page(text: str, origin: str, report: ReadReport) -> Article | None:
    """Parse one decoded page into an Article, or report why it has none."""
    text = text.replace("\x00", "")
    if looks_truncated(text):
        report.add_problem(origin, "truncated: page ends before </html> (read what is there)")
    tree = parse_tree(text) if len(text) <= MAX_LIBRARY_PAGE_CHARS else None
    if tree is not None and nests_deeper_than(tree, MAX_NESTING):
        tree = None
        soup = _full_soup(text)
        if max_depth(soup, stop_at=MAX_NESTING) > MAX_NESTING:
            report.add_problem(
                origin, f"markup nested over {MAX_NESTING} levels deep: read as plain text"
            )
        meta = extract_meta(soup)
        body = element_text(soup.body or soup)
    elif tree is None:
        soup = _full_soup(text)
        meta = extract_meta(soup)
        body = density_body(soup) or element_text(soup.body or soup)
    else:
        meta = extract_meta(make_soup(metadata_markup(tree)))
        body = _read_body(text, tree, meta)
    body = _without_title_line(body, meta.title)
    if tree is not None and len(body) >= MIN_BODY_CHARS and mostly_links(body, tree):
        report.add_problem(origin, f"{_LINKS_REASON} (its text is the titles of its links)")
        return None
    if len(body) < MIN_BODY_CHARS:
        report.add_problem(origin, no_article_reason(body, tree, meta))
        return None
    if len(body) > MAX_BODY_CHARS:
        report.add_problem(origin, f"oversized body truncated at {MAX_BODY_CHARS} characters")
        body = body[:MAX_BODY_CHARS].rsplit(" ", 1)[0]
    date = publication_date(
        markup_published=meta.published,
        tree=tree,
        url=meta.url,
        hint_texts=list(meta.date_hints),
        lead=body,
        language=meta.language,
        markup_modified=meta.modified,
        markup_other=meta.other_date,
    )
    title, author = meta.title, meta.author
    if tree is not None and not (title and author):
        library_title, library_author = trafilatura_metadata(tree, meta.url)
        title, author = title or library_title, author or library_author
    title = title or normalize_text(body.split("\n", 1)[0])[:200]
    url = meta.url
    return Article(
        id=url or content_id(origin, title, body),
        title=title,
        body=body,
        date=date,
        tags=meta.tags,
        source=meta.source,
        url=url,
        author=author,
        origin=origin,
        language=meta.language or detect_language(body),
    )


def _without_title_line(body: str, title: str) -> str:
    """``body`` without a first paragraph that only repeats the headline."""
    first, _, rest = body.partition("\n\n")
    if rest and title and normalize_text(first).casefold() == normalize_text(title).casefold():
        return rest
    return body


def mostly_links(body: str, tree: html.HtmlElement) -> bool:
    """True when the paragraphs of ``body`` are the texts of the page's links (an index page).

    trafilatura returns the teaser list of a section page as its text; an article has
    paragraphs of prose beside its links.
    """
    link_texts = {normalize_text(a.text_content()) for a in tree.iter("a")}
    link_texts.discard("")
    paragraphs = [normalize_text(p) for p in body.split("\n\n")]
    linked = sum(len(p) for p in paragraphs if p in link_texts)
    return linked >= LINK_PAGE_SHARE * sum(len(p) for p in paragraphs)


def no_article_reason(body: str, tree: html.HtmlElement | None, meta: PageMeta) -> str:
    """Why a page yields no article: a video page, a page of links, or no prose at all."""
    words = len(body.split())
    found = f"{words} word{'s' if words != 1 else ''} of text" if words else "no text"
    if tree is not None:
        if tree.xpath(_VIDEO_XPATH) or meta.page_type.startswith("video"):
            return f"no article text: a video page ({found} besides the video)"
        all_text = len(" ".join(tree.xpath("normalize-space(//body)").split()))
        link_text = sum(len(" ".join(a.text_content().split())) for a in tree.iter("a"))
        if all_text and link_text / all_text > 0.5:
            return f"{_LINKS_REASON} ({found} of prose)"
    return f"no article text: the page holds no block of prose ({found} outside boilerplate)"


def read_html(data: bytes, origin: str, report: ReadReport) -> Iterator[Article]:
    """Yield the article of one HTML page (nothing, with a reported reason, if it has none)."""
    text = decode_markup(data, origin, report)
    if text is None:
        return
    article = parse_html_page(text, origin, report)
    if article is not None:
        yield article
