"""Mapping between Broadsheet's records and Typesense's: filters, facets, hits, snippets.

Pure functions used by `search.typesense_backend`: ``filter_by`` text for a
`SearchRequest` (tags, sources, years, months, date range as epoch seconds),
facet values in the Whoosh backend's order and shape, `Hit` records from stored
documents, and the `TermMatcher` that builds our own escaped ``<mark>`` snippets
from the words Typesense says it matched.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

from indexer.typesense_schema import from_epoch, to_epoch
from search.errors import InvalidParameter
from search.models import FacetValue, Hit, SearchRequest
from search.snippets import TermMatcher

#: Values listed per facet (largest counts first), as on Whoosh; years list all.
FACET_LIMIT = 20
_NON_WORD = re.compile(r"\W+", re.UNICODE)


class NormalizeFilter(Filter):
    """Drop inner punctuation as Typesense's tokenizer does ("U.S." -> "us")."""

    def __call__(self, tokens):  # noqa: ANN001, ANN204 - whoosh Filter protocol
        for token in tokens:
            token.text = _NON_WORD.sub("", token.text)
            yield token


#: Tokens of the body for highlighting: words with inner punctuation, lowercased.
SNIPPET_ANALYZER = RegexTokenizer(r"\w+(?:[-'’.&]\w+)*") | LowercaseFilter() | NormalizeFilter()


def quote_value(param: str, value: str) -> str:
    """A filter value in backticks; a value holding a backtick is refused (``param``)."""
    if "`" in value:
        raise InvalidParameter(param, f"{param} values cannot contain a backtick (`)")
    return f"`{value}`"


def filter_by(request: SearchRequest, skip: str | None = None) -> str:
    """``filter_by`` for the request, leaving out the selection of facet ``skip``."""
    parts = []
    if request.tags and skip != "tags":
        parts.append("tags:=[" + ",".join(quote_value("tag", tag) for tag in request.tags) + "]")
    if request.sources and skip != "source":
        sources = ",".join(quote_value("source", source) for source in request.sources)
        parts.append(f"source:=[{sources}]")
    if request.years and skip != "year":
        parts.append("year:=[" + ",".join(str(int(year)) for year in request.years) + "]")
    months = getattr(request, "months", ())
    if months and skip != "month":
        parts.append("month:=[" + ",".join(quote_value("month", month) for month in months) + "]")
    if request.date_from is not None:
        seconds = request.date_from.timestamp()
        parts.append(f"date:>={int(-(-seconds // 1))}")
    if request.date_to is not None:
        parts.append(f"date:<={to_epoch(request.date_to)}")
    return " && ".join(parts)


def facet_values(counts: Counter[str], selected: frozenset[str], name: str) -> tuple:
    """Facet values in the Whoosh backend's order and shape, selected ones always listed."""
    if name in ("year", "month"):
        ordered = sorted(counts.items(), reverse=True)
    else:
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
        ordered = ordered[:FACET_LIMIT]
    values = [FacetValue(value, count, value in selected) for value, count in ordered]
    shown = {value.value for value in values}
    values.extend(FacetValue(value, 0, True) for value in sorted(selected - shown))
    return tuple(values)


def facet_counts(result: dict[str, Any], field: str) -> Counter[str]:
    """Value -> count of ``field`` from one Typesense search result's ``facet_counts``."""
    counter: Counter[str] = Counter()
    for facet in result.get("facet_counts", ()):
        if facet.get("field_name") == field:
            for entry in facet.get("counts", ()):
                counter[str(entry["value"])] = int(entry["count"])
    return counter


def selections(request: SearchRequest) -> dict[str, frozenset[str]]:
    """The selected values of each facet of ``request``, by facet name."""
    return {
        "tags": frozenset(request.tags),
        "source": frozenset(request.sources),
        "year": frozenset(str(year) for year in request.years),
        "month": frozenset(getattr(request, "months", ())),
    }


def hit_from_document(document: dict[str, Any], score: float, snippet: str) -> Hit:
    """A `Hit` from a stored Typesense document."""
    views = document.get("views")
    return Hit(
        id=document["id"],
        title=document.get("title", ""),
        url=document.get("url", ""),
        date=from_epoch(document.get("date")),
        source=document.get("source", ""),
        author=document.get("author", ""),
        tags=tuple(document.get("tags") or ()),
        views=views if isinstance(views, int) and views >= 0 else None,
        score=score,
        snippet=snippet,
    )


def term_matcher(hit: dict[str, Any], words: tuple[str, ...]) -> TermMatcher:
    """The body words to mark: the server's matched tokens plus the required words."""
    terms = {_NON_WORD.sub("", word.lower()) for word in words}
    for highlight in hit.get("highlights", ()):
        if highlight.get("field") == "body":
            for token in highlight.get("matched_tokens", ()):
                if isinstance(token, str):
                    terms.add(_NON_WORD.sub("", token.lower()))
    terms.discard("")
    return TermMatcher(frozenset(terms), ())
