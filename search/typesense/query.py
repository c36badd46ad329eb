"""Broadsheet's query language mapped onto Typesense's ``q``, or refused clearly.

Typesense 0.24 reads words (all required with strict settings), ``"exact phrases"``
and ``-word`` / ``-"phrase"`` exclusions. This module keeps what means the same on
both backends and refuses, with `search.InvalidParameter` (code
``unsupported_query``), what would otherwise silently return something else:

- ``a OR b`` (Typesense would search the word "or"): use ``op=or`` instead;
- field searches ``title:``, ``body:``, ``tag:``, ``source:``, ``author:``, ``date:``
  (use the tag / source / year / from / to filters);
- wildcards ``word*``, fuzzy ``word~``, boosts ``word^2``, proximity ``"a b"~3``;
- ``NOT (group)``.

Harmless syntax is adapted: ``AND`` and ``+`` are dropped (every word is required
anyway), ``NOT word`` becomes ``-word``, parentheses are dropped, and English stop
words and one-letter words are dropped as the Whoosh analyzer does. Dangling
operators (``OR OR``, a trailing ``NOT``) are dropped with a notice, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh.lang import stopwords_for_language

from search.errors import InvalidParameter
from search.notices import cut_query

#: Query fields of the Whoosh backend (plus ``date``) that Typesense cannot search by name.
FIELD_NAMES = frozenset({"title", "body", "tag", "source", "author", "date", "id", "url"})
STOP_WORDS = frozenset(stopwords_for_language("en"))
UNSUPPORTED = "unsupported_query"
_OPERATORS = {"OR": "OR", "AND": "AND", "NOT": "NOT", "||": "OR", "&&": "AND", "!": "NOT"}

_TOKEN = re.compile(r'(?P<neg>-?)"(?P<phrase>[^"]*)"(?P<tail>\S*)|(?P<word>\S+)', re.UNICODE)
_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$", re.UNICODE)
_HAS_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True, slots=True)
class TypesenseQuery:
    """The ``q`` for Typesense and what the translation did.

    ``q`` is ``"*"`` for "everything"; ``no_words`` means text was given but nothing
    in it is searchable (the answer is then no hits, as on Whoosh). ``positive``
    counts the required words and phrases (the relaxed fallback needs two or more);
    ``words`` are the required words, for highlighting.
    """

    q: str
    positive: int
    words: tuple[str, ...]
    notices: tuple[str, ...]
    is_empty: bool
    no_words: bool


def _refuse(message: str) -> InvalidParameter:
    return InvalidParameter("q", f"{message}: not supported by the Typesense backend", UNSUPPORTED)


def _clean_word(raw: str) -> str | None:
    """The word as Typesense should read it, or None when it is syntax only."""
    if any(char in raw for char in "*?") and _HAS_WORD.search(raw):
        raise _refuse(f"wildcard {raw!r}")
    if re.search(r"\w~|\w\^\d", raw):
        raise _refuse(f"fuzzy, boost or proximity operator in {raw!r}")
    head, sep, rest = raw.partition(":")
    if sep and head.lower() in FIELD_NAMES and _HAS_WORD.search(rest):
        raise _refuse(
            f"field search {head}: (use the tag, source, year, from and to filters "
            "or search all text)"
        )
    word = _EDGE_PUNCT.sub("", raw.replace("(", " ").replace(")", " ").strip())
    return word if word and _HAS_WORD.search(word) else None


def _searchable(word: str) -> bool:
    return len(word) >= 2 and word.lower() not in STOP_WORDS


def _parts(text: str) -> list[tuple[str, str, bool]]:
    """Split into (kind, text, negated); kind is word, phrase, OR, AND or NOT."""
    parts: list[tuple[str, str, bool]] = []
    for match in _TOKEN.finditer(text):
        if match.group("phrase") is not None:
            if re.match(r"~\d*", match.group("tail")):
                raise _refuse('proximity search ("..."~N)')
            cleaned = (_clean_word(raw) for raw in match.group("phrase").split())
            words = [word for word in cleaned if word]
            if words:
                parts.append(("phrase", " ".join(words), bool(match.group("neg"))))
            continue
        raw = match.group("word")
        if raw in _OPERATORS:
            parts.append((_OPERATORS[raw], raw, False))
            continue
        negated = raw.startswith("-") and len(raw) > 1
        if negated or raw.startswith("+"):
            raw = raw[1:]
        if negated and raw.startswith("("):
            raise _refuse("NOT before a group in parentheses")
        word = _clean_word(raw)
        if word is not None:
            parts.append(("word", word, negated))
    return parts


def translate(text: str, op: str = "and") -> TypesenseQuery:
    """Translate Broadsheet query ``text`` into Typesense's ``q``.

    Raises `InvalidParameter` (param ``q``, code ``unsupported_query``) for syntax
    whose meaning Typesense cannot express.
    """
    notices: list[str] = []
    text = cut_query(text, notices)
    if not text.strip():
        return TypesenseQuery("*", 0, (), tuple(notices), is_empty=True, no_words=False)
    parts = _parts(text)
    terms: list[str] = []
    words: list[str] = []
    positive = 0
    dropped_syntax = False
    negate_next = False
    content = ("word", "phrase")
    for index, (kind, value, negated) in enumerate(parts):
        before = index > 0 and parts[index - 1][0] in content
        following = parts[index + 1][0] if index + 1 < len(parts) else None
        if kind == "NOT":
            if following in content:
                negate_next = True
            else:
                dropped_syntax = True
            continue
        if kind in ("OR", "AND"):
            after = following in (*content, "NOT")
            if kind == "OR" and before and after:
                raise _refuse("OR between words (use op=or to match any of the words)")
            if kind == "AND" and before and after and op == "or":
                raise _refuse("AND inside a query run with op=or")
            dropped_syntax = dropped_syntax or not (before and after)
            continue
        negated = negated or negate_next
        negate_next = False
        if kind == "phrase":
            terms.append(f'{"-" if negated else ""}"{value}"')
        elif _searchable(value):
            terms.append(f"-{value}" if negated else value)
        else:
            continue
        if not negated:
            positive += 1
            words.extend(value.split())
    if dropped_syntax:
        notices.append("The search could not be read as written, so its words were searched.")
    if not terms:
        notices.append(
            "Your search has no words to look for (only very common words or punctuation)."
        )
        return TypesenseQuery("", 0, (), tuple(notices), is_empty=False, no_words=True)
    return TypesenseQuery(
        " ".join(terms), positive, tuple(words), tuple(notices), is_empty=False, no_words=False
    )
