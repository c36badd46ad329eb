"""The first publication date of a saved page: markup first, then htmldate, then visible text.

Sources, by the evidence of `python -m corpus evaluate-html` and the issue's held-out
measurement (htmldate finds the right day far more often than a hand-written search):

1. a *publication* date in the markup, read by `corpus.html_meta` (``article:published_time``,
   JSON-LD ``datePublished``, ``itemprop="datePublished"`` ...): it carries the time and
   the zone, which htmldate mostly drops;
2. htmldate (original date, extensive search): a date in the URL first (it only runs
   when the markup names no publication date, so its header dates are modified or
   generic ones), then meta tags, JSON-LD, ``<abbr>``/``<time>``, dates in the page;
3. a date written in the page's own language near the headline (``12. Juli 2023``,
   ``12 lipca 2023``, ``12 juillet 2023``), read by dateparser with the page language,
   skipping dates marked as updates;
4. a generic date from the markup, or its modified date (better than none).

htmldate falls back to a modified date when a page names no publication date; when its
answer is the markup's modified day, an earlier date written in the page wins.

htmldate's guesses from a bare year (a copyright line) come back as 1 January at
midnight: they are dropped, so an unreadable date leaves the article undated. Relative
phrases ("2 hours ago") are never read: they would date a saved page by the reading day.
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from lxml import html

#: htmldate's output format: the time and zone when the page gives them.
_HTMLDATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_MONTH_WORD = r"[^\W\d_]{3,}\.?"
_TIME = r"(?:,?\s*(?:à|a las|um|at|o|godz\.?|,|-|—|\|)?\s*\d{1,2}[:h.]\d{2}(?:\s*[ap]\.?m\.?)?)?"
_CANDIDATE = re.compile(
    rf"(?:\d{{1,2}}\.?\s*(?:de\s+)?{_MONTH_WORD}\s*(?:de\s+)?\d{{4}}"  # 12. Juli 2023
    rf"|{_MONTH_WORD}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # July 12, 2023
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}"  # 2023-07-12, 2023/07/12
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{4}"  # 12.07.2023, 07/12/2023
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"  # 2023年7月12日
    rf"|\d{{4}}\.\s*\d{{1,2}}\.\s*\d{{1,2}}\.?){_TIME}",  # 2023. 7. 12.
    re.I,
)
#: Words that mark the date after them as an update, not the publication.
_UPDATE_MARK = re.compile(
    r"(updated?|modified|edited|revised|aktualisiert|geändert|mis à jour|modifié|actualizado|"
    r"atualizado|aggiornato|zaktualizowan|aktualizace|bijgewerkt|обновлено|更新)"
    r"(?:\W+\w{1,3}){0,2}\W*$",  # "Updated on", "mis à jour le", "Aktualisiert am"
    re.I,
)
_LOOKBEHIND = 40
#: Dates before this, or after the reading moment, are not publication dates of news pages.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=1)
def _dateparser() -> Any:  # imported lazily: the import alone costs ~120 ms
    import dateparser

    return dateparser


@lru_cache(maxsize=1)
def _dateparser_languages() -> frozenset[str]:
    from dateparser.languages.loader import default_loader

    return frozenset(default_loader.get_locale_map())


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _plausible(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    value = _as_utc(value)
    if value < _EARLIEST or value > datetime.now(UTC) + timedelta(days=2):
        return None
    return value


def htmldate_date(tree: html.HtmlElement, url: str = "") -> datetime | None:
    """htmldate's original publication date of ``tree`` (None for a bare-year guess)."""
    from htmldate import find_date

    logger = logging.getLogger("htmldate")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = find_date(
                tree,
                extensive_search=True,
                original_date=True,
                outputformat=_HTMLDATE_FORMAT,
                url=url or None,
                deferred_url_extractor=False,
            )
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None
    finally:
        logger.setLevel(previous)
    if not found:
        return None
    try:
        parsed = datetime.strptime(found, _HTMLDATE_FORMAT)
    except ValueError:
        try:
            parsed = datetime.strptime(found, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return None
    if parsed.tzinfo is None and (parsed.month, parsed.day, parsed.hour, parsed.minute) == (
        1,
        1,
        0,
        0,
    ):
        return None  # a year read from a copyright line or a lone number, not a date
    return _plausible(parsed)


def _language_list(language: str) -> list[str]:
    primary = language.split("-")[0].lower()
    known = _dateparser_languages()
    languages = [primary] if primary in known else []
    if "en" not in languages:
        languages.append("en")
    return languages


def parse_local_date(text: str, language: str = "") -> datetime | None:
    """Read one written-out date (``12. Juli 2023``, ``12 lipca 2023, 14:05``) in ``language``.

    Only absolute dates with a day, month and year are read; the result is UTC, a date
    without a zone taken as written. None when the text holds no such date.
    """
    text = " ".join(text.split())[:120]
    if not text:
        return None
    iso = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text)
    if iso:
        try:
            year, month, day = (int(part) for part in iso.groups())
            return _plausible(datetime(year, month, day))
        except ValueError:
            return None
    cjk = re.match(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", text)
    if cjk:
        try:
            year, month, day = (int(part) for part in cjk.groups())
            return _plausible(datetime(year, month, day))
        except ValueError:
            return None
    settings = {
        "PARSERS": ["timestamp", "absolute-time"],
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if language.lower() not in ("", "en", "en-us") and re.match(r"\d{1,2}[./-]\d{1,2}[./-]", text):
        settings["DATE_ORDER"] = "DMY"  # 12.07.2023 or 12/07/2023 outside the US
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = _dateparser().parse(
                text, languages=_language_list(language), settings=settings
            )
        except (ValueError, OverflowError, TypeError, RecursionError, KeyError):
            return None
    return _plausible(parsed)


def visible_date(texts: list[str], language: str = "") -> datetime | None:
    """The first publication date written in ``texts`` (bylines, datelines, the lead).

    Dates right after an update word (``Updated``, ``aktualisiert``, ``mis à jour`` ...)
    are skipped while another date is there; the first remaining one wins.
    """
    updates: list[datetime] = []
    for text in texts:
        for match in _CANDIDATE.finditer(text):
            parsed = parse_local_date(match.group(0), language)
            if parsed is None:
                continue
            before = text[max(0, match.start() - _LOOKBEHIND) : match.start()]
            if _UPDATE_MARK.search(before):
                updates.append(parsed)
                continue
            return parsed
    return min(updates) if updates else None


def publication_date(
    *,
    markup_published: datetime | None,
    tree: html.HtmlElement | None,
    url: str,
    hint_texts: list[str],
    lead: str,
    language: str,
    markup_modified: datetime | None = None,
    markup_other: datetime | None = None,
) -> datetime | None:
    """Combine the sources (see the module docstring) into one aware UTC date, or None.

    When htmldate's answer is the day of the markup's modified date, an earlier date
    written in the page (not marked as an update) is the publication date.
    """
    if markup_published is not None:
        return markup_published
    found = htmldate_date(tree, url) if tree is not None else None
    written = None
    if found is None or (markup_modified is not None and found.date() == markup_modified.date()):
        written = visible_date([*hint_texts, lead[:400]], language)
    if found is not None and (written is None or written >= found):
        return found
    return written or markup_other
