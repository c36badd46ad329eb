"""Every document a query matches, found with set operations instead of matchers.

``Searcher.docs_for_query`` walks Whoosh's matcher tree one posting at a time
(``is_active``/``id``/``next``/``skip_to`` method calls for every posting of every
term): about a third of a search's time went there, only to count facets and the
total. A query made of terms, term sets, ``And``, ``Or``, ``AndNot``, ``Not`` and
``Every`` matches a set of documents computable directly: each term's document
numbers are read block by block from its posting list, and the tree becomes set
intersections, unions and differences in C. For anything else (phrases, ranges,
``Or`` with a minimum match) `matching_docs` answers None and the caller uses
Whoosh's own lazy walk (which a time limit can cut short).
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher

__all__ = ["matching_docs"]


def _leaf_ids(matcher: object) -> list[int]:
    """The document numbers of one segment's posting list, a block at a time (reads
    Whoosh 2.7.5's ``W3LeafMatcher`` internals; other matchers go one by one)."""
    if type(matcher) is not W3LeafMatcher:
        return list(matcher.all_ids())  # type: ignore[attr-defined]
    ids: list[int] = []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        ids.extend(matcher._ids[matcher._i :])
        matcher._next_block()
    return ids


def _term_docs(searcher: Searcher, fieldname: str, text: object) -> set[int]:
    """Live documents holding ``text`` in ``fieldname`` (global numbers)."""
    found: set[int] = set()
    for reader, offset in searcher.reader().leaf_readers():
        if fieldname not in reader.schema:
            continue
        btext = reader.schema[fieldname].to_bytes(text)
        if (fieldname, btext) not in reader:
            continue
        matcher = reader.postings(fieldname, btext)
        deleted = frozenset()
        if isinstance(matcher, FilterMatcher):  # the segment's deletions, applied below
            deleted = reader.deleted_docs_set
            matcher = matcher.child
        ids = _leaf_ids(matcher)
        if offset or deleted:
            found.update(offset + docnum for docnum in ids if docnum not in deleted)
        else:
            found.update(ids)
    return found


def _all_docs(searcher: Searcher) -> set[int]:
    return set(searcher.reader().all_doc_ids())


def _docs(searcher: Searcher, query: wq.Query, everything: list[set[int]]) -> set[int]:
    """The set of live documents ``query`` matches."""
    kind = type(query)
    if kind is wq.Term:
        return _term_docs(searcher, query.fieldname, query.text)
    if getattr(query, "constantscore", False) and isinstance(getattr(query, "texts", None), tuple):
        found: set[int] = set()  # search.query.TermSet: a bounded expansion
        for text in query.texts:
            found |= _term_docs(searcher, query.fieldname, text)
        return found
    if kind is wq.And:
        result: set[int] | None = None
        for child in query.subqueries:
            part = _docs(searcher, child, everything)
            result = part if result is None else result & part
            if not result:
                return set()
        return result if result is not None else set()
    if kind is wq.Or and not getattr(query, "minmatch", 0):
        found = set()
        for child in query.subqueries:
            found |= _docs(searcher, child, everything)
        return found
    if kind is wq.AndNot:
        return _docs(searcher, query.a, everything) - _docs(searcher, query.b, everything)
    if kind is wq.Not or (kind is wq.Every and query.fieldname in (None, "", "*")):
        if not everything:
            everything.append(_all_docs(searcher))
        if kind is wq.Every:
            return set(everything[0])
        return everything[0] - _docs(searcher, query.query, everything)
    if query is wq.NullQuery:
        return set()
    raise _Unsupported


class _Unsupported(Exception):
    """A query node the set evaluation does not cover."""


def matching_docs(searcher: Searcher, query: wq.Query) -> list[int] | None:
    """Sorted numbers of the live documents ``query`` matches, what
    ``searcher.docs_for_query(query)`` gives, computed with set operations; None
    when the query holds a node this does not cover (phrases, ranges, ...)."""
    try:
        return sorted(_docs(searcher, query, []))
    except _Unsupported:
        return None
