"""Wildcards, prefixes and term ranges expanded to index terms, within bounds.

A query node that stands for many index terms (``pro*``, ``*tion``, ``title:[a TO c]``)
is replaced by a constant-score `TermSet` of its most frequent terms: at most
`MAX_EXPANSIONS` of them (all of a query's wildcards share `MAX_QUERY_EXPANSIONS`), and
only while their postings fit `MAX_EXPANSION_POSTINGS` (the cost of matching them). A
wildcard that starts with ``*`` or ``?`` and names fewer than
`MIN_LEADING_WILDCARD_LETTERS` letters is left out. Each cut is a notice. Terms come
from the field's lexicon held in memory (`search.whoosh.lexicon`), else from a walk of
Whoosh's lexicon bounded by the search's deadline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.reading import IndexReader

from search.deadline import Deadline
from search.whoosh.lexicon import field_lexicon, wildcard_regex

__all__ = [
    "EXPANSION",
    "MAX_EXPANSIONS",
    "MAX_EXPANSION_POSTINGS",
    "MAX_LEXICON_SCAN",
    "MAX_QUERY_EXPANSIONS",
    "MIN_LEADING_WILDCARD_LETTERS",
    "TermSet",
    "bound_expansions",
]

#: Most index terms one wildcard, prefix or range may stand for.
MAX_EXPANSIONS = 200
#: Most matching lexicon entries kept while expanding one wildcard (the most frequent
#: of them are searched); how long the lexicon is read is bounded by the time limit.
MAX_LEXICON_SCAN = 200_000
#: Most index terms all the wildcards of one query may stand for together (each
#: gets an equal share, at most `MAX_EXPANSIONS`): ``a* b* c* ... j*`` stays cheap.
MAX_QUERY_EXPANSIONS = 400
#: Most postings all the expansions of one query may read together (each wildcard gets
#: an equal share; its most frequent words are kept while they fit, at least one):
#: a search reads about ten million postings a second, so ``s*`` over 200,000
#: articles (thousands of words, millions of postings) stays within about 50 ms,
#: while any wildcard over Reuters-21578 keeps every word up to `MAX_EXPANSIONS`.
MAX_EXPANSION_POSTINGS = 500_000
#: A wildcard that starts with ``*`` or ``?`` scans the whole lexicon and matches
#: nearly every document unless it names this many letters (``*tion`` yes, ``*e*`` no).
MIN_LEADING_WILDCARD_LETTERS = 3
#: The step name a cut wildcard expansion is recorded under (`search.deadline`).
EXPANSION = "wildcard expansion"


class TermSet(wq.MultiTerm):
    """A fixed set of terms of one field, matched with one constant score
    (what a wildcard or prefix stands for once expanded and bounded)."""

    constantscore = True

    def __init__(
        self, fieldname: str, texts: Iterable[str], label: str = "", boost: float = 1.0
    ) -> None:
        self.fieldname = fieldname
        self.texts = tuple(texts)
        self.text = label
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TermSet) and (self.fieldname, self.texts, self.boost) == (
            other.fieldname,
            other.texts,
            other.boost,
        )

    def __hash__(self) -> int:
        return hash((self.fieldname, self.texts, self.boost))

    def __repr__(self) -> str:
        return f"TermSet({self.fieldname!r}, {len(self.texts)} terms, {self.text!r})"

    def __str__(self) -> str:
        return self.text or f"{self.fieldname}:{{{len(self.texts)} terms}}"

    def has_terms(self) -> bool:
        """Not a single term: the spelling corrector leaves it alone."""
        return False

    def _btexts(self, ixreader: IndexReader) -> Iterator[bytes]:
        field = ixreader.schema[self.fieldname]
        for text in self.texts:
            yield field.to_bytes(text)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """One sorted list of every document holding any of the terms (read once per
        reader: a search runs the query twice, to count and to rank)."""
        reader = searcher.reader()
        cache = self.__dict__.setdefault("_docs", {})
        docs = cache.get(id(reader))
        if docs is None:
            found: set[int] = set()
            for btext in self._btexts(reader):
                if (self.fieldname, btext) in reader:
                    found.update(reader.postings(self.fieldname, btext).all_ids())
            docs = cache[id(reader)] = sorted(found)
        if not docs:
            return NullMatcher()
        return ListMatcher(docs, all_weights=self.boost)


def _scanned(reader: IndexReader, node: wq.Query) -> Iterator[bytes | None]:
    """Every lexicon entry the expansion of ``node`` reads: the entry when it matches,
    None when it does not (so the caller can count, and stop, what was read, not only
    what matched: ``*xyz`` reads the whole lexicon and may match nothing)."""
    if isinstance(node, wq.PatternQuery) and not isinstance(node, wq.Prefix):
        field = reader.schema[node.fieldname]
        pattern = re.compile(node._get_pattern())  # Whoosh's own pattern
        prefix = node._find_prefix(node.text)
        candidates = (
            reader.expand_prefix(node.fieldname, prefix)
            if prefix
            else reader.lexicon(node.fieldname)
        )
        for btext in candidates:
            yield btext if pattern.match(field.from_bytes(btext)) else None
        return
    yield from node._btexts(reader)  # prefixes and ranges: every entry matches


def _from_lexicon(
    reader: IndexReader, node: wq.Query, limit: int, deadline: Deadline
) -> tuple[list[str], bool] | None:
    """`_expansions` of a wildcard or prefix from the field's lexicon held in memory
    (`search.whoosh.lexicon`, read within ``deadline``); None for other nodes, or while
    the field's lexicon is not (yet) held."""
    if type(node) not in (wq.Wildcard, wq.Prefix) or deadline.expired():
        return None  # (past the deadline, the walk records the cut and stops at once)
    lexicon = field_lexicon(reader, node.field(), deadline)
    if lexicon is None:
        return None
    if type(node) is wq.Wildcard:
        positions = lexicon.matching(wildcard_regex(node.text))
    else:
        positions = lexicon.with_prefix(node.text)
    if len(positions) <= limit:
        return [lexicon.terms[int(position)] for position in positions], False
    return lexicon.most_frequent(positions, limit), True


def _expansions(
    reader: IndexReader,
    node: wq.Query,
    limit: int = MAX_EXPANSIONS,
    deadline: Deadline | None = None,
) -> tuple[list[str], bool]:
    """The index terms a multi-term node stands for, most frequent first (at most
    ``limit``), and whether some were left out for being too many (past
    `MAX_LEXICON_SCAN` matching entries). The lexicon is read until ``deadline`` at
    most (which then records the cut): the terms found so far."""
    fieldname = node.field()
    if fieldname not in reader.indexed_field_names():
        return [], False
    deadline = deadline or Deadline.unlimited()
    held = _from_lexicon(reader, node, limit, deadline)
    if held is not None:
        return held
    terms: list[bytes] = []
    capped = False
    for count, term in enumerate(_scanned(reader, node)):
        if not count & 255 and deadline.stop_here(EXPANSION):
            break  # the deadline records the cut; the response says so
        if term is not None:
            terms.append(term)
            if len(terms) > MAX_LEXICON_SCAN:
                capped = True
                break
    texts = [t.decode("utf-8") if isinstance(t, bytes) else t for t in terms]
    if len(texts) <= limit:
        return texts, capped
    frequency: dict[str, int] = {}
    for text in deadline.until(texts, EXPANSION):  # the most frequent of those counted
        frequency[text] = reader.doc_frequency(fieldname, text)
    texts.sort(key=lambda text: -frequency.get(text, 0))
    return texts[:limit], True


def _within_postings(
    reader: IndexReader, fieldname: str, texts: list[str], budget: int
) -> tuple[list[str], bool]:
    """The most frequent of ``texts`` whose postings together fit ``budget`` (at least
    the most frequent one), and whether any was left out."""
    if fieldname not in reader.indexed_field_names():
        return texts, False
    frequency = [reader.doc_frequency(fieldname, text) for text in texts]
    if sum(frequency) <= budget:
        return texts, False
    order = sorted(range(len(texts)), key=lambda i: -frequency[i])
    kept: list[str] = []
    total = 0
    for i in order:
        if kept and total + frequency[i] > budget:
            break
        kept.append(texts[i])
        total += frequency[i]
    return kept, True


def bound_expansions(
    query: wq.Query,
    reader: IndexReader,
    notices: list[str],
    deadline: Deadline | None = None,
) -> wq.Query:
    """Replace wildcards, prefixes and term ranges by constant-score `TermSet` queries
    of at most `MAX_EXPANSIONS` terms (a Whoosh ``Or`` of hundreds of terms scores
    very slowly) and `MAX_EXPANSION_POSTINGS` postings, each expansion reading the
    lexicon only until ``deadline``."""
    capped: list[str] = []
    dropped: list[str] = []
    multi = (wq.Wildcard, wq.Prefix, wq.TermRange, wq.FuzzyTerm)
    count = sum(1 for node in query.leaves() if isinstance(node, multi))
    limit = min(MAX_EXPANSIONS, max(20, MAX_QUERY_EXPANSIONS // max(1, count)))
    postings = MAX_EXPANSION_POSTINGS // max(1, count)
    counts: list[int] = []

    def visit(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Every):
            return wq.Every(boost=node.boost)  # all documents, not a walk of all terms
        if isinstance(node, wq.Wildcard) and _too_broad(node.text):
            dropped.append(str(node))
            return wq.NullQuery
        if isinstance(node, multi):
            kept, cut = _expansions(reader, node, limit, deadline)
            kept, over = _within_postings(reader, node.field(), kept, postings)
            if cut or over:
                capped.append(str(node))
                counts.append(len(kept))
            return TermSet(node.field(), kept, label=str(node), boost=node.boost)
        return node.apply(visit)

    query = visit(query)
    if dropped:
        query = query.normalize()
        notices.append(
            f"{_as_typed(dropped)} was left out: a word that starts with * or ? needs at "
            f"least {MIN_LEADING_WILDCARD_LETTERS} letters besides them."
        )
    if capped:
        notices.append(
            f"{_as_typed(capped)} matches too many words: only the {max(counts):,} most "
            "common of them were searched."
        )
    return query


def _as_typed(labels: list[str]) -> str:
    """Whoosh's labels (``title:s*``, ``body:s*``) as the reader typed them: “s*”."""
    typed = dict.fromkeys(label.split(":", 1)[-1] for label in labels)
    return ", ".join(f"“{text}”" for text in list(typed)[:3])[:100]


def _too_broad(pattern: str) -> bool:
    """A leading ``*``/``?`` with fewer than `MIN_LEADING_WILDCARD_LETTERS` letters."""
    letters = len(pattern) - pattern.count("*") - pattern.count("?")
    return pattern[:1] in ("*", "?") and letters < MIN_LEADING_WILDCARD_LETTERS
