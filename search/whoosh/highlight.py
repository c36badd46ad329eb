"""What a parsed Whoosh query highlights: its words as a `search.snippets.TermMatcher`."""

from __future__ import annotations

from whoosh import query as wq

from search.snippets import TermMatcher

__all__ = ["term_matcher"]


def term_matcher(query: wq.Query, field: str = "body") -> TermMatcher:
    """Collect what ``query`` matches in ``field`` (and in its unstemmed twin,
    ``field`` + ``_exact``), skipping everything under a NOT."""
    terms: set[str] = set()
    exact: set[str] = set()
    patterns: list[str] = []
    phrases: list[tuple[tuple[str, bool], ...]] = []
    twin = f"{field}_exact"

    def text_of(value: str | bytes) -> str:
        return value if isinstance(value, str) else value.decode()

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            walk(node.a)
            return
        if isinstance(node, (wq.Prefix, wq.Wildcard)) and node.fieldname == field:
            text = text_of(node.text)
            patterns.append(text + "*" if isinstance(node, wq.Prefix) else text)
            return
        texts = getattr(node, "texts", None)
        if isinstance(node, wq.MultiTerm) and isinstance(texts, tuple):
            if node.field() == field:
                terms.update(texts)
            return
        if isinstance(node, wq.Term) and node.fieldname in (field, twin):
            (terms if node.fieldname == field else exact).add(text_of(node.text))
            return
        if isinstance(node, wq.Phrase) and node.fieldname in (field, twin):
            is_exact = node.fieldname == twin
            if len(node.words) == 1:
                (exact if is_exact else terms).add(node.words[0])
            else:
                phrases.append(tuple((word, is_exact) for word in node.words))
            return
        for child in node.children():
            walk(child)

    walk(query)
    return TermMatcher(frozenset(terms), tuple(patterns), frozenset(exact), tuple(phrases))
