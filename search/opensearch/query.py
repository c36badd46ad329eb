"""User query text to OpenSearch's query DSL, leniently: a search box never raises.

Broadsheet's language (README, "Searching") is close to Lucene's query syntax, which
OpenSearch's ``query_string`` reads, so the text is repaired as on Whoosh
(`search.query_text`: fields, unbalanced quotes and brackets, ``-``/``+``), its date
expressions are taken out (`search.datequery`, filters on ``date``), and what Lucene
would read differently is escaped: ``/`` (a regular expression there), ``\\``, ``<``,
``>``, ``=``, ``!``, ``&``, ``|``, a ``~`` that does not follow a quoted phrase (fuzzy
there) and a ``^`` without a number (boost). Then:

- unfielded words search ``title`` and ``body`` as one field (``cross_fields``: each
  word's statistics blended over both, like Whoosh's BM25F), the title weighted by
  `search.relevance.DEFAULT_FIELD_BOOSTS`; all words required unless ``op=or``;
- a quoted word or phrase searches the unstemmed ``.exact`` sub-fields
  (``quote_field_suffix``), as quoted words do on Whoosh;
- ``tag:`` and ``source:`` search the words of the tags and the source, ``author:``
  the author's;
- a wildcard that starts with ``*`` or ``?`` needs three letters besides them, as on
  Whoosh; one with fewer is left out with a notice, and ``*`` alone matches everything.

What OpenSearch still cannot parse is searched as its plain words by the backend
(`OpenSearchQuery.plain_clause`), with a notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from indexer.analysis import english_stop_words
from search.datequery import DateBound, extract_dates
from search.notices import cut_query
from search.query_text import balance, repair_fields, rewrite_plus_minus
from search.relevance import DEFAULT_FIELD_BOOSTS

#: Field names a user may type -> the OpenSearch fields they search.
OPENSEARCH_FIELDS = {
    "title": "title",
    "body": "body",
    "tag": "tags.text",
    "tags": "tags.text",
    "source": "source.text",
    "author": "author",
}
#: Letters a wildcard starting with ``*`` or ``?`` needs besides them (as on Whoosh).
MIN_LEADING_WILDCARD_LETTERS = 3
#: Words a wildcard may expand to in one field (Lucene's ``max_expansions`` analogue).
MAX_WILDCARD_TERMS = 400
UNREADABLE_NOTICE = "The search could not be read as written, so its words were searched."
NO_WORDS_NOTICE = "Your search has no words to look for (only very common words or punctuation)."

_ESCAPE = re.compile(r"([/\\<>=!&|])")
_LOOSE_TILDE = re.compile(r"~")
_SLOP = re.compile(r"~\d+")
_LOOSE_CARET = re.compile(r"\^(?![\d.])")
_TOKEN = re.compile(r'"[^"]*"(?:~\d+)?|[^\s()"]+|[()]')
_WORD = re.compile(r"\w", re.UNICODE)
_NOT_WORD = re.compile(r"[^\w\s*?]+", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT"}
_STOP = english_stop_words()


@dataclass(frozen=True, slots=True)
class OpenSearchQuery:
    """A query's text for ``query_string``, its date filters and what was repaired."""

    #: The repaired, escaped text ("" when there is nothing to search for).
    text: str
    #: The date expressions taken out of the text, resolved.
    dates: tuple[DateBound, ...]
    notices: tuple[str, ...]
    #: Words and phrases searched for outside ``NOT`` (the any-word fallback needs two).
    positive: int
    #: Those words and phrases as typed (the "missing" words of a relaxed search).
    words: tuple[str, ...]
    #: ``*`` alone: every article.
    match_all: bool = False
    #: The text had words before its repairs left nothing to search (notice given).
    emptied: bool = False

    @property
    def no_words(self) -> bool:
        """Whether nothing is left to search for (the query matches nothing)."""
        return not self.text and not self.match_all

    @property
    def unfiltered(self) -> bool:
        """Whether the query has no words at all (every article, as a browse)."""
        return self.match_all or (not self.text and not self.emptied)

    def clause(self, op: str) -> dict[str, Any]:
        """The ``query_string`` clause, words joined by ``op`` (``and`` | ``or``)."""
        if self.match_all or not self.text:
            return {"match_all": {}}
        return {
            "query_string": {
                "query": self.text,
                "fields": _default_fields(),
                "type": "cross_fields",
                "default_operator": "AND" if op == "and" else "OR",
                "quote_field_suffix": ".exact",
                "analyze_wildcard": True,
                "allow_leading_wildcard": True,
                "lenient": True,
                "auto_generate_synonyms_phrase_query": False,
                "max_determinized_states": 10_000,
                "rewrite": f"top_terms_blended_freqs_{MAX_WILDCARD_TERMS}",
            }
        }

    def plain_clause(self, op: str) -> dict[str, Any] | None:
        """The text's plain words, no syntax (what a text OpenSearch refused searches);
        None when it has none."""
        words = _NOT_WORD.sub(" ", self.text.replace("\\", " ")).replace("*", " ")
        words = " ".join(word for word in words.split() if word not in _OPERATORS)
        if not words.strip():
            return None
        return {
            "multi_match": {
                "query": words,
                "fields": _default_fields(),
                "type": "cross_fields",
                "operator": op,
            }
        }

    def date_filters(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``(filter, must_not)`` clauses of the date expressions."""
        required: list[dict[str, Any]] = []
        excluded: list[dict[str, Any]] = []
        for bound in self.dates:
            clause = date_range(bound.start, bound.end)
            (excluded if bound.negated else required).append(clause)
        return required, excluded


def _default_fields() -> list[str]:
    return [f"{field}^{boost:g}" for field, boost in DEFAULT_FIELD_BOOSTS.items()]


def date_range(start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """A ``range`` clause on ``date``, both ends inclusive (None: open)."""
    bounds: dict[str, Any] = {"format": "strict_date_optional_time"}
    if start is not None:
        bounds["gte"] = _iso(start)
    if end is not None:
        bounds["lte"] = _iso(end)
    return {"range": {"date": bounds}}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _escape(text: str) -> str:
    """Escape what Lucene's syntax has and Broadsheet's does not, outside quotes
    (inside them only ``\\`` matters)."""
    pieces = re.split(r'("[^"]*")', text)
    for i, piece in enumerate(pieces):
        if i % 2:
            pieces[i] = piece.replace("\\", " ")
            continue
        slop = _SLOP.match(piece) if i else None  # "a phrase"~N: words N apart
        kept, piece = (slop[0], piece[slop.end() :]) if slop else ("", piece)
        piece = _ESCAPE.sub(r"\\\1", piece)
        piece = _LOOSE_TILDE.sub(r"\\~", piece)
        pieces[i] = kept + _LOOSE_CARET.sub(r"\\^", piece)
    return "".join(pieces)


def _drop_short_leading_wildcards(text: str, notices: list[str]) -> str:
    dropped: list[str] = []

    def keep(token: str) -> bool:
        bare = token.split(":", 1)[-1]
        if bare[:1] not in ("*", "?") or bare == "*":
            return True
        letters = len(_WORD.findall(bare))
        if letters >= MIN_LEADING_WILDCARD_LETTERS:
            return True
        dropped.append(token)
        return False

    pieces = re.split(r'("[^"]*")', text)
    for i in range(0, len(pieces), 2):
        pieces[i] = " ".join(token for token in pieces[i].split(" ") if keep(token))
    if dropped:
        typed = ", ".join(f"“{token}”" for token in dropped[:3])[:100]
        notices.append(
            f"{typed} was left out: a word that starts with * or ? needs at least "
            f"{MIN_LEADING_WILDCARD_LETTERS} letters besides them."
        )
    return "".join(pieces)


def _positive_words(text: str) -> list[str]:
    """Words and phrases of ``text`` not under ``NOT`` (nor stop words nor operators)."""
    found: list[str] = []
    negate_next = False
    depth_negated: list[bool] = []
    for token in _TOKEN.findall(text):
        if token == "(":
            depth_negated.append(negate_next)
            negate_next = False
            continue
        if token == ")":
            if depth_negated:
                depth_negated.pop()
            continue
        if token == "NOT":
            negate_next = True
            continue
        if token in _OPERATORS:
            continue
        negated = negate_next or any(depth_negated)
        negate_next = False
        bare = token.split(":", 1)[-1] if not token.startswith('"') else token
        if negated or not _WORD.search(bare) or bare.lower() in _STOP:
            continue
        found.append(token)
    return found


def translate(text: str, op: str = "and", now: datetime | None = None) -> OpenSearchQuery:
    """``text`` as an `OpenSearchQuery` (never raises); ``now`` resolves relative dates."""
    now = now or datetime.now(UTC)
    notices: list[str] = []
    text = cut_query(text, notices)
    text, bounds, date_notices = extract_dates(text, now)
    notices.extend(date_notices)
    if not text.strip():
        return OpenSearchQuery("", bounds, tuple(notices), 0, ())
    if text.strip() == "*":
        return OpenSearchQuery("", bounds, tuple(notices), 0, (), match_all=True)
    repaired = balance(repair_fields(text, notices, OPENSEARCH_FIELDS), notices)
    repaired = _drop_short_leading_wildcards(repaired, notices)
    repaired = rewrite_plus_minus(repaired)
    words = _positive_words(repaired)
    escaped = _escape(repaired).strip()
    if not words and not re.search(r"\w", escaped):
        notices.append(NO_WORDS_NOTICE)
        return OpenSearchQuery("", bounds, tuple(notices), 0, (), emptied=True)
    if not words and not _has_only_negations(repaired):
        notices.append(NO_WORDS_NOTICE)
        return OpenSearchQuery("", bounds, tuple(notices), 0, (), emptied=True)
    return OpenSearchQuery(escaped, bounds, tuple(notices), len(words), tuple(words))


def _has_only_negations(text: str) -> bool:
    """Whether the text's only words are negated ones (``NOT x`` alone matches the
    articles without x, as on Whoosh)."""
    return "NOT" in text.split() and bool(re.search(r"\w", text.replace("NOT", "")))


__all__ = [
    "MIN_LEADING_WILDCARD_LETTERS",
    "NO_WORDS_NOTICE",
    "OPENSEARCH_FIELDS",
    "UNREADABLE_NOTICE",
    "OpenSearchQuery",
    "date_range",
    "translate",
]
