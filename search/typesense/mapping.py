"""Mapping between Broadsheet's records and Typesense's: filters, facets, hits, snippets.

Pure functions used by `search.typesense.backend`: ``filter_by`` text for a
`SearchRequest` (each facet's selection, date range as epoch seconds), facet
counts named as on Whoosh, `Hit` records from stored
documents, and the `TermMatcher` that builds our own escaped ``<mark>`` snippets
from the words Typesense says it matched; the key words and the merge behind
"related articles" (Typesense 0.24 has no "more like this").
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

from corpus.article import Article
from indexer.typesense.schema import from_epoch, to_epoch
from search.errors import InvalidParameter
from search.facet_specs import FACETS
from search.models import Hit, SearchRequest
from search.snippets import TermMatcher, lead_snippet
from search.typesense.query import STOP_WORDS

#: Fields a search never needs back (sort keys, the completion words).
EXCLUDED_FIELDS = "title_words,id_sort,date_sort,dated,origin,language"
_NON_WORD = re.compile(r"\W+", re.UNICODE)
_KEY_WORD = re.compile(r"\w{3,}", re.UNICODE)
#: Key words of an article searched for its related articles.
RELATED_KEY_WORDS = 5


class NormalizeFilter(Filter):
    """Drop inner punctuation as Typesense's tokenizer does ("U.S." -> "us")."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:  # whoosh Filter protocol
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
    for facet in FACETS:
        selected = getattr(request, facet.request_field)
        if not selected or facet.name == skip:
            continue
        if facet.values == "year":  # an int32 field: numbers, not quoted strings
            values = ",".join(str(int(value)) for value in selected)
        else:
            values = ",".join(quote_value(facet.param, str(value)) for value in selected)
        parts.append(f"{facet.typesense_field}:=[{values}]")
    if request.date_from is not None:
        seconds = request.date_from.timestamp()
        parts.append(f"date:>={int(-(-seconds // 1))}")
    if request.date_to is not None:
        parts.append(f"date:<={to_epoch(request.date_to)}")
    return " && ".join(parts)


def facet_counts(
    result: dict[str, Any], field: str, value_text: Callable[[object], str] = str
) -> Counter[str]:
    """Value -> count of ``field`` from one Typesense search result's ``facet_counts``,
    each value named by ``value_text`` (a facet's `Facet.value_text`: years as ``YYYY``,
    as the Whoosh backend names them)."""
    counter: Counter[str] = Counter()
    for found in result.get("facet_counts", ()):
        if found.get("field_name") == field:
            for entry in found.get("counts", ()):
                counter[value_text(entry["value"])] = int(entry["count"])
    return counter


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


def related_key_words(body: str) -> list[str]:
    """An article's most frequent body words (3+ letters, no stop words or numbers;
    ties to the longer word): Typesense 0.24 has no "more like this"."""
    counts = Counter(
        word
        for word in _KEY_WORD.findall(body[:20_000].lower())
        if word not in STOP_WORDS and not word.isdigit()
    )
    ranked = sorted(counts.items(), key=lambda item: (-item[1], -len(item[0])))
    return [word for word, _ in ranked][:RELATED_KEY_WORDS]


def merge_related(
    results: list[dict[str, Any]], searched: int, article: Article, limit: int
) -> tuple[Hit, ...]:
    """The ``limit`` best articles of one search per key word, merged by reciprocal
    rank, without ``article`` itself and copies of its exact text."""
    scores: defaultdict[str, float] = defaultdict(float)
    documents: dict[str, dict[str, Any]] = {}
    for result in results:
        for rank, hit in enumerate(result.get("hits", ())):
            doc = hit["document"]
            scores[doc["id"]] += 1.0 / (rank + 1)
            documents[doc["id"]] = doc
    own_body = " ".join(article.body.split())
    hits = []
    for doc_id, score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
        doc = documents[doc_id]
        if doc_id == article.id or " ".join(doc.get("body", "").split()) == own_body:
            continue
        body = doc.get("body", "")
        hits.append(hit_from_document(doc, round(score / searched, 4), lead_snippet(body)))
        if len(hits) == limit:
            break
    return tuple(hits)


def no_snapshot(param: str, feature: str) -> InvalidParameter:
    """The 400 ``unsupported_query`` for ``feature`` (export, cursor paging): walking
    through every match needs one fixed snapshot of the index, and Typesense has none
    (its pages shift under concurrent writes, and deep pages cost more each)."""
    return InvalidParameter(
        param,
        f"{feature} needs a fixed snapshot of the index to page through, which the "
        "Typesense backend does not have; use the Whoosh backend",
        code="unsupported_query",
    )
