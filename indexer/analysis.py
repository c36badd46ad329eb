"""English text analysis: the Whoosh analyzer chain, and a fast path through it.

`english_analyzer` is Whoosh's ``LanguageAnalyzer("en")`` chain (regex tokenizer,
lowercase, English stop words, Snowball stemmer) with the stemmer swapped for
PyStemmer's C implementation of Snowball English (`SnowballFilter`). PyStemmer
implements the current Snowball English algorithm; Whoosh ships an older port.
They agree on all but 93 of the 116,278 distinct words of Reuters-21578, the demo
corpus and 3,000 synthetic articles (0.2 % of tokens), and where they differ
PyStemmer is the better stemmer: Whoosh conflates "added" with "ad",
"international" with "internal" and "organization" with "organ"; PyStemmer keeps
them apart. Query text goes through the same analyzer as the index was built
with (the schema, analyzer included, is stored in the index).

`AnalysisParts` takes such a chain apart (`analysis_parts`) so that hot paths can
run it as a few C calls instead of a generator of Token objects per word:
`indexer.whoosh.fast_text.FastText` (indexing, identical postings) and
`search.snippets` (highlighting). This module needs only Whoosh's analysis
package, a text library that holds no index: every backend may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from whoosh.analysis import (
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.analysis.morph import PyStemmerFilter

#: Whoosh's default token expression, without a capturing group (same matches).
TOKEN_PATTERN = r"[\w\*]+(?:\.?[\w\*]+)*"
#: Stems memoised per process by the fast path before the memo is emptied.
STEM_MEMO_SIZE = 200_000


class SnowballFilter(PyStemmerFilter):
    """Snowball English stemming through PyStemmer (C), picklable and comparable."""

    def __init__(self, lang: str = "english", cachesize: int = 10000) -> None:
        super().__init__(lang=lang, cachesize=cachesize)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.lang == self.lang

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.lang))


def english_analyzer() -> CompositeAnalyzer:
    """Tokenize, lowercase, English stop words, Snowball English stemmer (PyStemmer)."""
    return (
        RegexTokenizer(expression=TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(lang="en")
        | SnowballFilter()
    )


def english_stop_words() -> frozenset[str]:
    """The stop words `english_analyzer` drops (Whoosh's English list), for other engines'
    analysis settings."""
    return frozenset(StopFilter(lang="en").stops)


def exact_analyzer() -> CompositeAnalyzer:
    """`english_analyzer` without the stemmer: the words as typed, lowercased (the
    ``*_exact`` fields that quoted words and phrases search)."""
    return RegexTokenizer(expression=TOKEN_PATTERN) | LowercaseFilter() | StopFilter(lang="en")


def _unstemmed(word: str) -> str:
    """The identity "stemmer" of a chain without one."""
    return word


@dataclass(frozen=True, slots=True)
class AnalysisParts:
    """The pieces of a tokenize-lowercase-stop-stem chain, usable without Token objects."""

    pattern: re.Pattern[str]
    stops: frozenset[str]
    minsize: int
    maxsize: int | None
    stem: Any
    #: Memo of lowercase word -> stem (the stemmer's own cache is per call site).
    memo: dict[str, str]
    #: Memo of lowercase token -> UTF-8 stem, or ``b""`` for a dropped token (stop
    #: word, too short or too long): what indexing needs per token, in one lookup.
    index_memo: dict[str, bytes] = field(default_factory=dict)

    def stem_word(self, word: str) -> str:
        """The stem of a lowercase, non-stop ``word`` (memoised)."""
        stem = self.memo.get(word)
        if stem is None:
            if len(self.memo) >= STEM_MEMO_SIZE:
                self.memo.clear()
            stem = self.memo[word] = self.stem(word)
        return stem

    def kept(self, word: str) -> bool:
        """False for a stop word or a word outside the length bounds."""
        size = len(word)
        return (
            size >= self.minsize
            and (self.maxsize is None or size <= self.maxsize)
            and word not in self.stops
        )

    def index_stems(self, words: list[str]) -> list[bytes]:
        """Each token's UTF-8 stem, ``b""`` where the stop filter drops it."""
        memo = self.index_memo
        try:
            return list(map(memo.__getitem__, words))
        except KeyError:
            pass
        unseen = set(words).difference(memo)
        if len(memo) + len(unseen) > STEM_MEMO_SIZE:
            memo.clear()
            unseen = set(words)
        for word in unseen:
            memo[word] = self.stem_word(word).encode("utf-8") if self.kept(word) else b""
        return list(map(memo.__getitem__, words))

    def words(self, text: str) -> list[str]:
        """The lowercase tokens of ``text``, stop words included, in order (a list
        the caller must not change: the same text tokenized by the same pattern
        twice in a row, as a field and its unstemmed twin are, is tokenized once)."""
        global _last_words
        last = _last_words  # one tuple, replaced whole: safe between threads
        if last[0] is text and last[1] is self.pattern:
            return last[2]
        if text.isascii():
            words = self.pattern.findall(text.lower())
        else:  # lowercasing may change what counts as a word character: tokenize first
            words = [word.lower() for word in self.pattern.findall(text)]
        _last_words = (text, self.pattern, words)
        return words


_PARTS: dict[int, tuple[Any, AnalysisParts | None]] = {}
#: The text `AnalysisParts.words` tokenized last, the pattern and the tokens.
_last_words: tuple[Any, Any, list[str]] = (None, None, [])
#: Compiled token patterns by (expression, flags): chains with the same tokenizer
#: share one, so `AnalysisParts.words` can tell that they tokenize alike.
_PATTERNS: dict[tuple[str, int], re.Pattern[str]] = {}


def analysis_parts(analyzer: Any) -> AnalysisParts | None:
    """Take ``analyzer`` apart when it is exactly tokenizer | lowercase | stop | stem
    (Whoosh's ``LanguageAnalyzer`` or `english_analyzer`) or tokenizer | lowercase |
    stop (`exact_analyzer`; its "stem" is the word itself); None for anything else."""
    known = _PARTS.get(id(analyzer))
    if known is not None and known[0] is analyzer:
        return known[1]
    parts = None
    items = getattr(analyzer, "items", None)
    if (
        isinstance(analyzer, CompositeAnalyzer)
        and items is not None
        and len(items) in (3, 4)
        and type(items[0]) is RegexTokenizer
        and not items[0].gaps
        and type(items[1]) is LowercaseFilter
        and type(items[2]) is StopFilter
        and (len(items) == 3 or (isinstance(items[3], StemFilter) and not items[3].ignore))
    ):
        expression = items[0].expression
        source = (expression.pattern.replace("(\\.?", "(?:\\.?"), expression.flags)
        pattern = _PATTERNS.setdefault(source, re.compile(*source))
        if pattern.groups == 0:
            stop = items[2]
            stem = items[3]._stem if len(items) == 4 else _unstemmed
            parts = AnalysisParts(pattern, stop.stops, stop.min, stop.max, stem, {})
    _PARTS[id(analyzer)] = (analyzer, parts)
    return parts


def __getattr__(name: str) -> Any:
    """`FastText` under its old name: indexes written before it moved to
    `indexer.whoosh.fast_text` name it ``indexer.analysis.FastText`` in the schema
    pickled into their table of contents, and must still open."""
    if name == "FastText":
        from indexer.whoosh.fast_text import FastText

        return FastText
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AnalysisParts",
    "SnowballFilter",
    "analysis_parts",
    "english_analyzer",
    "exact_analyzer",
]
