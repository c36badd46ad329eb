"""User query text to a Whoosh query, leniently: a search box never raises.

Whoosh's own parser already tolerates most junk; what it still cannot take is
repaired (overlong text cut, unknown failures read as plain words), and every
repair is returned as a notice for the response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import AndGroup, MultifieldParser, OrGroup
from whoosh.qparser.dateparse import DateParserPlugin

from indexer.schema import DEFAULT_FIELD_BOOSTS

#: Longest query text read; the rest is dropped with a notice.
MAX_QUERY_CHARS = 1000
#: OR queries give a small bonus to documents that match more of the words.
OR_COORD_BONUS = 0.9
_SYNTAX = re.compile(r"[^\w\s]+", re.UNICODE)
# "-word" / "-\"a phrase\"" / "-(a b)" at the start of a clause means NOT. (Whoosh's
# PlusMinusPlugin builds AndMaybe matchers that crash in skip_to_quality.)
_MINUS = re.compile(r"(?:(?<=[\s(])|^)-(?=[\w\"(])", re.UNICODE)
_PLUS = re.compile(r"(?:(?<=[\s(])|^)\+(?=[\w\"(])", re.UNICODE)


def rewrite_plus_minus(text: str) -> str:
    """Turn ``-word`` into ``NOT word`` and drop ``+`` (every word is required anyway)."""
    return _PLUS.sub("", _MINUS.sub("NOT ", text))


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """The Whoosh query for some text, and what was done to the text to get it."""

    query: wq.Query
    notices: tuple[str, ...]
    is_empty: bool


def _parser(schema: Schema, op: str, now: datetime) -> MultifieldParser:
    group = AndGroup if op == "and" else OrGroup.factory(OR_COORD_BONUS)
    parser = MultifieldParser(
        list(DEFAULT_FIELD_BOOSTS), schema, fieldboosts=DEFAULT_FIELD_BOOSTS, group=group
    )
    # basedate anchors relative dates ("yesterday") to the request time.
    basedate = now.astimezone(UTC).replace(tzinfo=None)
    parser.add_plugin(DateParserPlugin(basedate=basedate, free=False))
    return parser


def parse_query(
    text: str, schema: Schema, op: str = "and", now: datetime | None = None
) -> ParsedQuery:
    """Parse ``text`` with ``op`` as the default operator; never raises on bad syntax.

    ``now`` is the request time that relative dates in the query resolve against.
    """
    now = now or datetime.now(UTC)
    notices: list[str] = []
    text = text.replace("\x00", " ")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notices.append(f"query cut to its first {MAX_QUERY_CHARS} characters")
    if not text.strip():
        return ParsedQuery(wq.Every(), tuple(notices), is_empty=True)
    parser = _parser(schema, op, now)
    try:
        query = parser.parse(rewrite_plus_minus(text))
    except Exception:  # noqa: BLE001 - third-party parser; any failure means "read as words"
        query = wq.NullQuery
    if isinstance(query, type(wq.NullQuery)):
        words = _SYNTAX.sub(" ", text).strip()
        if words and words != text.strip():
            try:
                query = parser.parse(words)
            except Exception:  # noqa: BLE001 - as above
                query = wq.NullQuery
            if not isinstance(query, type(wq.NullQuery)):
                notices.append("query syntax could not be read; searched its words instead")
    if isinstance(query, type(wq.NullQuery)):
        notices.append("the query has no searchable words (only stop words or punctuation)")
    return ParsedQuery(query, tuple(notices), is_empty=False)
