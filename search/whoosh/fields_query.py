"""Query nodes for words searched in several fields at once, and repeated words.

Whoosh's ``MultifieldParser`` turns an unfielded word into ``Or([title:w, body:w])``
and then flattens that into the query's other ``Or`` nodes, so nothing tells the
scorer any more which field terms are one word; its ``normalize`` also drops a
repeated word. Here:

- `FieldsQuery` keeps one word's (or phrase's, or wildcard's) per-field queries
  together, so `search.whoosh.scorer` can score the word by BM25F (one saturation over
  the fields, one idf; `search.relevance`). Whoosh's own matchers, where they are
  used, treat it as the ``Or`` of its parts.
- `RepeatsOr` / `RepeatsAnd` (the parser's default groups) fold a repeated query
  part into one with the boosts added, instead of dropping the repeats: a long
  natural-language query that says "retrieval" three times weighs it three times
  (the query term frequency of BM25).
- `ExactPlugin` sends a word or phrase in double quotes to the fields' unstemmed
  twins (``title`` -> ``title_exact``), so ``"elected"`` does not match
  "election"; an index without those fields (built before schema version 5)
  keeps searching the stemmed fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from whoosh import query as wq
from whoosh.qparser import syntax
from whoosh.qparser.plugins import MultifieldPlugin, PhrasePlugin, Plugin

__all__ = [
    "ExactPlugin",
    "FieldsPlugin",
    "FieldsQuery",
    "RepeatsAndGroup",
    "RepeatsOrGroup",
    "fields_term_text",
    "merge_repeats",
    "plain_words_query",
]

#: A query of plain words only: letters and digits between spaces, nothing the
#: parser's plugins read as syntax (no quotes, fields, wildcards, brackets, signs).
#: Each word must end in a space or the end, so a text matches one way only: the
#: earlier ``\s*(?:[^\W_]+\s*)+`` could split a word anywhere and backtracked
#: exponentially on words followed by anything else (``election`` three times and
#: ``corrected_query`` took minutes, beyond the reach of the search time limit).
_PLAIN_WORDS = re.compile(r"\s*[^\W_]+(?:\s+[^\W_]+)*\s*", re.UNICODE)
#: Words the parser reads as operators (case-sensitive, as Whoosh's OperatorsPlugin).
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})


class FieldsQuery(wq.CompoundQuery):
    """One query part searched in several fields (``subqueries``, one per field)."""

    JOINT = " |F| "
    intersect_merge = False

    def __hash__(self) -> int:
        """Of the parts in order. Whoosh's XOR of the parts' hashes cancels the word out
        of ``title:w |F| body:w`` (a `wq.Term` hashes as field ^ text ^ boost), so every
        one-word `FieldsQuery` hashed alike, and a 30-word query's folding of repeats
        and Whoosh's own normalising made 3,000 comparisons."""
        return hash((FieldsQuery, self.boost, tuple(self.subqueries)))

    def normalize(self) -> wq.Query:
        """Normalised parts, nulls dropped; stays a `FieldsQuery` (never flattened)."""
        parts = [part.normalize() for part in self.subqueries]
        parts = [part for part in parts if part is not wq.NullQuery]
        if not parts:
            return wq.NullQuery
        return FieldsQuery(parts, boost=self.boost)

    def _matcher(self, subs: list[wq.Query], searcher: Any, context: Any) -> Any:
        """Whoosh's matcher: the ``Or`` of the parts."""
        return wq.Or(subs, boost=self.boost)._matcher(subs, searcher, context)


def fields_term_text(query: FieldsQuery) -> str | None:
    """The word when every part of ``query`` is a plain `Term` of that same word, in
    distinct fields (what BM25F scores); None otherwise."""
    texts = set()
    fields = set()
    for part in query.subqueries:
        if type(part) is not wq.Term:
            return None
        texts.add(part.text)
        fields.add(part.fieldname)
    if len(texts) != 1 or len(fields) != len(query.subqueries):
        return None
    return texts.pop()


def term_parts(query: wq.Query) -> list[wq.Term] | None:
    """The terms of a `wq.Term`, or of a `FieldsQuery` made of terms only (whatever
    their words); None for any other node."""
    if type(query) is wq.Term:
        return [query]
    if type(query) is FieldsQuery and all(type(part) is wq.Term for part in query.subqueries):
        return list(query.subqueries)
    return None


def plain_word_terms(query: wq.Query) -> list[wq.Term] | None:
    """The terms of a plain word: a `wq.Term`, or a `FieldsQuery` of one word in
    distinct fields (`fields_term_text`, what BM25F scores); None for any other node."""
    if type(query) is wq.Term:
        return [query]
    if type(query) is FieldsQuery and fields_term_text(query) is not None:
        return list(query.subqueries)
    return None


def merge_repeats(queries: Iterable[wq.Query]) -> list[wq.Query]:
    """``queries`` with repeats (equal but for their boost) folded into the first,
    whose boost becomes the sum of theirs."""
    order: list[wq.Query] = []
    boosts: dict[wq.Query, float] = {}
    for query in queries:
        key = query if _unboosted(query) else query.with_boost(1.0)
        if key not in boosts:
            order.append(key)
            boosts[key] = 0.0
        boosts[key] += query.boost
    return [key.with_boost(boosts[key]) if boosts[key] != 1.0 else key for key in order]


def _unboosted(query: wq.Query) -> bool:
    """Whether ``query.with_boost(1.0)`` would equal ``query``: its boost is 1 and it
    keeps its boost itself (wrappers and pairs pass it to their parts). The copy,
    a deep copy, took a third of a millisecond per word of a query."""
    return query.boost == 1.0 and type(query).with_boost is wq.Query.with_boost


class RepeatsOr(wq.Or):
    """An ``Or`` whose repeated parts count (see the module notes)."""

    def normalize(self) -> wq.Query:
        """Parts normalised, repeats folded, then Whoosh's ``Or`` normalisation."""
        parts = merge_repeats(part.normalize() for part in self.subqueries)
        return wq.Or(parts, boost=self.boost).normalize()


class RepeatsAnd(wq.And):
    """An ``And`` whose repeated parts count (see the module notes)."""

    def normalize(self) -> wq.Query:
        """Parts normalised, repeats folded, then Whoosh's ``And`` normalisation."""
        parts = merge_repeats(part.normalize() for part in self.subqueries)
        return wq.And(parts, boost=self.boost).normalize()


class RepeatsOrGroup(syntax.OrGroup):
    """The parser's default group for ``op=or``."""

    qclass = RepeatsOr


class RepeatsAndGroup(syntax.AndGroup):
    """The parser's default group for ``op=and``."""

    qclass = RepeatsAnd


class FieldsGroup(syntax.GroupNode):
    """Syntax node of one unfielded query part copied into each default field."""

    qclass = FieldsQuery
    merging = False


class FieldsPlugin(MultifieldPlugin):
    """``MultifieldPlugin`` whose per-word group is a `FieldsQuery`."""

    def __init__(self, fieldnames: list[str], fieldboosts: dict[str, float]) -> None:
        super().__init__(fieldnames, fieldboosts, group=FieldsGroup)


class ExactPlugin(Plugin):
    """Quoted words and phrases search the unstemmed twin of their field (runs after
    the default fields were applied, so ``"a b"`` and ``title:"a b"`` both move)."""

    def __init__(self, twins: dict[str, str]) -> None:
        self.twins = twins

    def filters(self, parser: Any) -> list[tuple[Any, int]]:
        """After `FieldsPlugin` (priority 110)."""
        return [(self.do_exact, 115)]

    def do_exact(self, parser: Any, group: syntax.GroupNode) -> syntax.GroupNode:
        """Rename the field of every quoted node whose field has a twin in the schema."""
        schema = parser.schema
        for node in group:
            if isinstance(node, syntax.GroupNode):
                self.do_exact(parser, node)
            elif isinstance(node, PhrasePlugin.PhraseNode):
                twin = self.twins.get(node.fieldname or "")
                if twin is not None and schema is not None and twin in schema:
                    node.set_fieldname(twin, override=True)
        return group


def plain_words_query(text: str, parser: Any, fieldboosts: dict[str, float]) -> wq.Query | None:
    """What ``parser.parse(text)`` gives when ``text`` is plain words only, built
    without the parser's tagging passes (a 30-word query took milliseconds there);
    None when ``text`` has anything else, for the parser to read. Each word is one
    `FieldsQuery` of the parser's own `term_query` per default field (stop words
    dropped), grouped by the parser's default group and normalised as it does;
    tests/test_query_fast_path.py compares the two on generated queries."""
    if not _PLAIN_WORDS.fullmatch(text):
        return None
    words = text.split()
    if _OPERATOR_WORDS.intersection(words):
        return None
    parts: list[wq.Query] = []
    for word in words:
        fields = [
            parser.term_query(name, word, wq.Term, boost=boost)
            for name, boost in fieldboosts.items()
        ]
        parts.append(FieldsQuery([field for field in fields if field is not None]))
    return parser.group.qclass(parts).normalize()
