"""User query text to a Whoosh query, leniently: a search box never raises.

The language: words (all required by default, ``op=or`` for any), ``AND``,
``OR``, ``NOT`` and parentheses, ``-word`` / ``-"a phrase"``, ``"phrases"``,
``"a phrase"~N`` (words within N positions), ``field:value`` for ``title``,
``body``, ``tag`` (or ``tags``), ``source`` and ``author``, ``word*`` and
``w?rd`` wildcards, and the date expressions of `search.datequery`.

Repairs, each reported as a notice: text past `search.notices.MAX_QUERY_CHARS` is cut; an
unbalanced quote or bracket is closed or dropped; an unknown ``field:`` (as in
``http://x``) is read as plain words; a wildcard, prefix or term range that
would expand to too many index terms keeps only its most frequent ones, and a
wildcard that starts with ``*`` or ``?`` and names too few letters is left out
(`search.whoosh.expansion`); a query the parser cannot read is searched as its words.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import QueryParser
from whoosh.reading import IndexReader

from indexer.whoosh.schema import EXACT_FIELDS, QUERY_FIELDS, to_whoosh_date
from search.datequery import DateBound, extract_dates
from search.deadline import Deadline
from search.notices import cut_query
from search.query_text import balance, repair_fields, rewrite_plus_minus
from search.relevance import DEFAULT_FIELD_BOOSTS
from search.whoosh.expansion import bound_expansions
from search.whoosh.fields_query import (
    ExactPlugin,
    FieldsPlugin,
    RepeatsAndGroup,
    RepeatsOrGroup,
    plain_words_query,
)

#: Field names a user may type, mapped to schema fields.
FIELD_ALIASES = {name: name for name in QUERY_FIELDS} | {"tags": "tag"}

_SYNTAX = re.compile(r"[^\w\s]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """The Whoosh query for some text, its date filter, and the repairs made."""

    query: wq.Query
    notices: tuple[str, ...]
    is_empty: bool
    date_filter: wq.Query | None = None
    #: The repaired query text without its date expressions, and those expressions.
    text: str = ""
    date_texts: tuple[str, ...] = ()
    #: The resolved date expressions (``date_texts`` with their ranges).
    dates: tuple[DateBound, ...] = ()


def query_parser(schema: Schema, op: str) -> QueryParser:
    """Whoosh's parser with Broadsheet's groups and plugins, ``op`` the default operator."""
    # A repeated word counts again (its boost adds up) instead of being dropped.
    group = RepeatsAndGroup if op == "and" else RepeatsOrGroup
    parser = QueryParser(None, schema, group=group)
    # An unfielded word becomes one FieldsQuery over the default fields (BM25F).
    parser.add_plugin(FieldsPlugin(list(DEFAULT_FIELD_BOOSTS), DEFAULT_FIELD_BOOSTS))
    # A quoted word or phrase searches the unstemmed fields (when the index has them).
    parser.add_plugin(ExactPlugin(EXACT_FIELDS))
    return parser


#: Each thread's parsers (`_parser`): (schema id, op) -> (schema, parser).
_PARSERS = threading.local()


def _parser(schema: Schema, op: str) -> QueryParser:
    """This thread's `query_parser` for ``schema`` and ``op``, made once: making one
    took 55 µs, and a relaxed search parses each of the query's words alone
    (`search.whoosh.assist.missing_words`). Whoosh's parser keeps no state between
    parses; one per thread all the same."""
    held: dict[tuple[int, str], tuple[Schema, QueryParser]] | None = getattr(_PARSERS, "held", None)
    if held is None:
        held = _PARSERS.held = {}
    found = held.get((id(schema), op))
    if found is not None and found[0] is schema:
        return found[1]
    if len(held) >= 8:
        held.clear()
    parser = query_parser(schema, op)
    held[(id(schema), op)] = (schema, parser)
    return parser


def _date_query(bounds: tuple[DateBound, ...]) -> wq.Query | None:
    parts: list[wq.Query] = []
    for bound in bounds:
        span = wq.DateRange("date", to_whoosh_date(bound.start), to_whoosh_date(bound.end))
        parts.append(wq.Not(span) if bound.negated else span)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def parse_query(
    text: str,
    schema: Schema,
    op: str = "and",
    now: datetime | None = None,
    reader: IndexReader | None = None,
    deadline: Deadline | None = None,
) -> ParsedQuery:
    """Parse ``text`` with ``op`` as the default operator; never raises on bad syntax.

    ``now`` is the request time that relative dates in the query resolve against;
    with a ``reader``, wildcard expansions are bounded against its lexicon, reading
    it until ``deadline`` at most.
    """
    now = now or datetime.now(UTC)
    notices: list[str] = []
    text = cut_query(text, notices)
    text, bounds, date_notices = extract_dates(text, now)
    notices.extend(date_notices)
    date_filter = _date_query(bounds)
    date_texts = tuple(bound.text for bound in bounds)
    if not text.strip():
        return ParsedQuery(wq.Every(), tuple(notices), True, date_filter, "", date_texts, bounds)
    text = balance(repair_fields(text, notices, FIELD_ALIASES), notices)
    query = _parse_leniently(text, schema, op, notices)
    if reader is not None and not isinstance(query, type(wq.NullQuery)):
        query = bound_expansions(query, reader, notices, deadline)
    return ParsedQuery(query, tuple(notices), False, date_filter, text, date_texts, bounds)


def _parse_leniently(text: str, schema: Schema, op: str, notices: list[str]) -> wq.Query:
    parser = _parser(schema, op)
    attempt: Callable[[str], wq.Query] = parser.parse
    try:
        plain = plain_words_query(text, parser, DEFAULT_FIELD_BOOSTS)
        query = plain if plain is not None else attempt(rewrite_plus_minus(text))
    except Exception:  # third-party parser; any failure means "read as words"
        query = wq.NullQuery
    if isinstance(query, type(wq.NullQuery)):
        words = _SYNTAX.sub(" ", text).strip()
        if words and words != text.strip():
            try:
                query = attempt(words)
            except Exception:  # as above
                query = wq.NullQuery
            if not isinstance(query, type(wq.NullQuery)):
                notices.append(
                    "The search could not be read as written, so its words were searched."
                )
    if isinstance(query, type(wq.NullQuery)):
        notices.append(
            "Your search has no words to look for (only very common words or punctuation)."
        )
    return query
