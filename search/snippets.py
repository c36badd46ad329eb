"""Highlighted snippets: article text HTML-escaped, query matches wrapped in ``<mark>``.

The body is analysed with the index's own analyzer (so "elections" matches the
query stem "elect"), then the window of whole sentences up to `SNIPPET_CHARS`
with the most distinct matched terms (then the most matches) is chosen. Terms
under a NOT are never highlighted. Work per hit is bounded by
`MAX_ANALYZED_CHARS`. When nothing in the body matches (a title-only match),
the snippet is the article's lead, never empty.

Highlighting follows the matching: a quoted word (searched in the unstemmed
``*_exact`` fields) marks only that form, a phrase marks each place the whole
phrase occurs (one mark from its first word to its last), not its words
wherever they stand, and `highlight` marks a title by what the query matches
in ``title`` (an article's paragraphs by what it matches in ``body``).

Finding the matches is the costly part, so it is done cheaply but exactly: a
word can only stem to a query stem ``s`` if it starts with ``s``'s first
``max(1, min(4, len(s) - 2))`` letters (true of every word of the Reuters, demo
and synthetic vocabularies for both Snowball English stemmers). One regex finds the
whole tokens starting with those prefixes in any case (over an ASCII text, one that
starts with the prefixes themselves, run on the lowercased text: `Candidates`), and
only they are lowercased, stop-filtered and stemmed (`indexer.analysis`). Analyzers
that are not a plain tokenize-lowercase-stop-stem chain use the analyzer itself.
"""

from __future__ import annotations

import fnmatch
import html
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from whoosh.analysis import Analyzer

from indexer.analysis import AnalysisParts, analysis_parts
from search.deadline import Deadline

#: Longest snippet, in characters of article text (markup not counted).
SNIPPET_CHARS = 300
#: Only this much of a long body is analysed for matches (bounded work per hit).
MAX_ANALYZED_CHARS = 50_000
#: A sentence's end: its closing mark (kept in the sentence) and the quotes, brackets
#: and spaces after it, or a blank line. One character class first, so that the scan
#: skips to the next candidate character in C.
_SENTENCE_END = re.compile(r"[.!?…\n](?:(?<=[.!?…])[\"'”’)]*\s+|(?<=\n)\s*\n)")
_WILDCARD = re.compile(r"[*?\[]")
_WORD_CHAR = re.compile(r"[\w*]")
#: A token pattern of the form ``C+(?:\.?C+)*`` (C one character class): a token that
#: starts with letters of C is those letters, then ``C*(?:\.?C+)*``.
_RUN_TOKEN = re.compile(r"(\[[^\]]+\]|\\w)\+\(\?:\\\.\?\1\+\)\*")
_LETTERS = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class TermMatcher:
    """What a query matches in one field: stems, prefix and wildcard patterns, exact
    (unstemmed, lowercased) words and phrases (runs of stems or exact words)."""

    terms: frozenset[str]
    patterns: tuple[str, ...]
    exact: frozenset[str] = frozenset()
    #: Each phrase: its words in order, each ``(text, exact)`` (a stem when not exact).
    phrases: tuple[tuple[tuple[str, bool], ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.patterns or self.exact or self.phrases)

    def matches(self, stem: str, word: str | None = None) -> bool:
        """True when an analysed token (its ``stem``, and the lowercased ``word`` it
        came from) is one of the query's single words."""
        return (
            stem in self.terms
            or (word is not None and word in self.exact)
            or any(fnmatch.fnmatchcase(stem, p) for p in self.patterns)
        )


def _prefix(stem: str) -> str:
    """Letters every word stemming to ``stem`` starts with (see the module notes)."""
    return stem[: max(1, min(4, len(stem) - 2))]


class Candidates:
    """The regexes that find the whole tokens (of an analyzer's token pattern) that
    begin with the letters of a word that may match a query (`candidate_pattern`).

    ``general`` (case-insensitive, for any text: a lookahead for the letters, then the
    token) is compiled from its source on first use when ``lowered`` exists: for
    lowercased ASCII text, when the token pattern is a run of one character class
    (`_RUN_TOKEN`), the letters themselves first, each not preceded by a word
    character, so that the scan skips in C to the next place one of them starts (about
    2.5x faster over news text). Compiling a pattern takes 0.1-0.2 ms, a query's first
    snippets compile one.
    """

    __slots__ = ("_general", "_source", "_flags", "lowered")

    def __init__(self, source: str, flags: int, lowered: re.Pattern[str] | None) -> None:
        self._source = source
        self._flags = flags
        self._general: re.Pattern[str] | None = None
        self.lowered = lowered
        if lowered is None:
            self._general = re.compile(source, flags)

    @property
    def general(self) -> re.Pattern[str]:
        """The case-insensitive regex for any text (compiled on first use; a race
        compiles it twice, to the same pattern)."""
        general = self._general
        if general is None:
            general = self._general = re.compile(self._source, self._flags)
        return general

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The candidate tokens of ``text`` (positions as in ``text``)."""
        if self.lowered is not None and text.isascii():
            return self.lowered.finditer(text.lower())
        return self.general.finditer(text)


def candidate_pattern(matcher: TermMatcher, token: re.Pattern[str]) -> Candidates | None:
    """The regexes for the whole tokens (of the ``token`` pattern) that begin with the
    letters of a word that may match ``matcher``, in any case; None when no safe
    prefix exists (a leading wildcard, non-ASCII terms). The last 256 are kept."""
    key = (matcher.terms, matcher.patterns, token)
    if key in _CANDIDATES:
        return _CANDIDATES[key]
    prefixes = {_prefix(term) for term in matcher.terms if term}
    for pattern in matcher.patterns:
        literal = _WILDCARD.split(pattern, 1)[0]
        prefixes.add(_prefix(literal) if literal else "")
    found = None
    safe = prefixes and "" not in prefixes and all(p.isascii() for p in prefixes)
    if safe and not token.pattern.startswith("(?"):  # no global inline flags to move
        ordered = sorted(prefixes, key=len, reverse=True)
        alternatives = "|".join(map(re.escape, ordered))
        general = rf"(?<![\w*])(?=(?i:{alternatives}))(?:{token.pattern})"
        lowered = None
        run = _RUN_TOKEN.fullmatch(token.pattern)
        if run is not None and all(_LETTERS.fullmatch(p) for p in ordered):
            starts = "|".join(rf"{p}(?<![\w*]{p})" for p in map(re.escape, ordered))
            tail = run[1]
            lowered = re.compile(rf"(?:{starts}){tail}*(?:\.?{tail}+)*", token.flags)
        found = Candidates(general, token.flags, lowered)
    if len(_CANDIDATES) > 256:
        _CANDIDATES.clear()
    _CANDIDATES[key] = found
    return found


#: Candidate regexes of recent queries (one query's snippets share them).
_CANDIDATES: dict[tuple[frozenset[str], tuple[str, ...], re.Pattern[str]], Candidates | None] = {}


def _kept_tokens(
    text: str, parts: AnalysisParts, candidates: Candidates | None
) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, lowercased word, stem) of the indexed tokens of ``text`` that start
    where ``candidates`` matches (every indexed token when it is None)."""
    for match in _token_matches(text, parts, candidates):
        word = match[0].lower()
        if parts.kept(word):
            yield match.start(), match.end(), word, parts.stem_word(word)


def _token_matches(
    text: str, parts: AnalysisParts, candidates: Candidates | None
) -> Iterator[re.Match[str]]:
    """The tokens of ``text`` that ``candidates`` matches (from `candidate_pattern`;
    every token when it is None). A match right after ``x.`` is not a token of its
    own (the tokenizer's ``\\.?`` joins it to the word before: ``U.S``), so it is
    left out, as are the words inside it."""
    if candidates is None:
        return parts.pattern.finditer(text)
    return (
        match
        for match in candidates.finditer(text)
        if (start := match.start()) < 2
        or text[start - 1] != "."
        or _WORD_CHAR.match(text, start - 2) is None
    )


def _fast_matches(
    text: str, matcher: TermMatcher, parts: AnalysisParts, candidates: Candidates | None
) -> list[tuple[int, int, str]]:
    """(start, end, stem) of the tokens whose stem ``matcher`` matches; each distinct
    word is filtered, stemmed and matched once (a body repeats its words)."""
    seen: dict[str, str | None] = {}
    hits = []
    for match in _token_matches(text, parts, candidates):
        word = match[0].lower()
        if word in seen:
            stem = seen[word]
        else:
            stem = parts.stem_word(word) if parts.kept(word) else None
            stem = seen[word] = stem if stem is not None and matcher.matches(stem) else None
        if stem is not None:
            hits.append((match.start(), match.end(), stem))
    return hits


def _all_tokens(text: str, analyzer: Analyzer) -> list[tuple[int, int, str, str]]:
    """(start, end, lowercased word, stem) of every indexed token of ``text`` (for
    analyzers that `analysis_parts` cannot take apart)."""
    return [
        (t.startchar, t.endchar, text[t.startchar : t.endchar].lower(), t.text)
        for t in analyzer(text, chars=True, removestops=True, mode="index")
    ]


def _candidate_tokens(
    text: str, matcher: TermMatcher, parts: AnalysisParts
) -> tuple[list[tuple[int, int, str, str]], list[bool]]:
    """The tokens that may take part in a match of ``matcher`` (its words and every
    word of its phrases), and for each whether it directly follows the one before
    it in the token stream (no other indexed word between them)."""
    words = {word for phrase in matcher.phrases for word, _ in phrase}
    wide = TermMatcher(matcher.terms | words | matcher.exact, matcher.patterns)
    tokens: list[tuple[int, int, str, str]] = []
    follows: list[bool] = []
    for start, end, word, stem in _kept_tokens(text, parts, candidate_pattern(wide, parts.pattern)):
        if word in wide.terms or wide.matches(stem):
            previous = tokens[-1][1] if tokens else None
            follows.append(
                previous is not None
                and not any(
                    parts.kept(gap[0].lower())
                    for gap in parts.pattern.finditer(text, previous, start)
                )
            )
            tokens.append((start, end, word, stem))
    return tokens, follows


def _phrase_matches(
    tokens: list[tuple[int, int, str, str]], follows: list[bool], matcher: TermMatcher
) -> list[tuple[int, int, str]]:
    """Single words and whole phrases of ``matcher`` in ``tokens`` (``follows[i]``:
    token i comes right after token i - 1); a phrase is one mark from its first
    word to its last, and its words are not marked elsewhere unless the query also
    names them alone."""
    spans: list[tuple[int, int, str]] = []
    for phrase in matcher.phrases:
        size = len(phrase)
        key = " ".join(word for word, _ in phrase)
        for i in range(len(tokens) - size + 1):
            if all(follows[i + k] for k in range(1, size)) and all(
                (tokens[i + k][2] if is_exact else tokens[i + k][3]) == word
                for k, (word, is_exact) in enumerate(phrase)
            ):
                spans.append((tokens[i][0], tokens[i + size - 1][1], key))
    spans.sort()
    kept: list[tuple[int, int, str]] = []
    for span in spans:  # overlapping phrase matches: the first wins
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    singles = [
        (start, end, stem)
        for start, end, word, stem in tokens
        if matcher.matches(stem, word) and not any(a <= start < b for a, b, _ in kept)
    ]
    return sorted(kept + singles)


def find_matches(text: str, matcher: TermMatcher, analyzer: Analyzer) -> list[tuple[int, int, str]]:
    """(start, end, key) of every word or phrase of ``text`` that ``matcher`` matches,
    exactly as the analyzer would find them (key: the stem, exact word or phrase)."""
    parts = analysis_parts(analyzer)
    if matcher.phrases or matcher.exact:
        if parts is None:
            tokens = _all_tokens(text, analyzer)
            return _phrase_matches(tokens, [True] * len(tokens), matcher)
        return _phrase_matches(*_candidate_tokens(text, matcher, parts), matcher)
    if parts is not None:
        return _fast_matches(text, matcher, parts, candidate_pattern(matcher, parts.pattern))
    hits = []
    for token in analyzer(text, chars=True, removestops=True, mode="index"):
        if matcher.matches(token.text):
            hits.append((token.startchar, token.endchar, token.text))
    return hits


def mark_matches(text: str, hits: list[tuple[int, int, str]], start: int, end: int) -> str:
    """``text[start:end]`` escaped, with every hit inside it wrapped in ``<mark>``."""
    pieces, cursor = [], start
    for hit_start, hit_end, _ in hits:
        if hit_start < start or hit_end > end:
            continue
        pieces.append(html.escape(text[cursor:hit_start], quote=False))
        pieces.append(f"<mark>{html.escape(text[hit_start:hit_end], quote=False)}</mark>")
        cursor = hit_end
    pieces.append(html.escape(text[cursor:end], quote=False))
    return "".join(pieces)


def highlight(text: str, matcher: TermMatcher, analyzer: Analyzer) -> str:
    """All of ``text`` as safe HTML with what ``matcher`` matches in ``<mark>`` (matches
    are looked for in its first `MAX_ANALYZED_CHARS` characters)."""
    hits = find_matches(text[:MAX_ANALYZED_CHARS], matcher, analyzer) if matcher and text else []
    return mark_matches(text, hits, 0, len(text))


def lead_snippet(body: str, chars: int = SNIPPET_CHARS) -> str:
    """The article's opening words, escaped: the snippet when no body word matched."""
    text = " ".join(body[: chars * 2].split())
    if len(text) > chars:
        text = text[:chars].rsplit(" ", 1)[0] + " …"
    return html.escape(text, quote=False)


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, its closing mark included."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        spans.append((start, end if text[end] == "\n" else end + 1))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


def _best_window(
    sentences: list[tuple[int, int]], hits: list[tuple[int, int, str]], deadline: Deadline
) -> tuple[int, int]:
    best, best_score = sentences[0], (-1, -1)
    starts = [h[0] for h in hits]  # ascending: hits come in text order
    for first in range(len(sentences)):
        if not first & 63 and deadline.stop_here("snippets"):
            break  # the best window found so far
        start = sentences[first][0]
        low = bisect_left(starts, start)
        if low == len(starts) or starts[low] >= max(sentences[first][1], start + SNIPPET_CHARS):
            # No hit within any window from here: each scores (0, 0), so only the
            # first such window could be picked, as the loop below would.
            if best_score < (0, 0):
                best, best_score = sentences[first], (0, 0)
            continue
        for last in range(first, len(sentences)):
            end = sentences[last][1]
            if end - start > SNIPPET_CHARS and last > first:
                break
            inside = hits[low : bisect_left(starts, end, low)]
            score = (len({h[2] for h in inside}), len(inside))
            if score > best_score:
                best, best_score = (start, end), score
    return best


def _trim(start: int, end: int, hits: list[tuple[int, int, str]], text: str) -> tuple[int, int]:
    """Cut a window longer than SNIPPET_CHARS around its first match, at spaces."""
    if end - start <= SNIPPET_CHARS:
        return start, end
    inside = [h for h in hits if start <= h[0] < end]
    anchor = inside[0][0] if inside else start
    new_start = max(start, anchor - SNIPPET_CHARS // 3)
    if new_start > start:
        space = text.find(" ", new_start)
        new_start = space + 1 if 0 <= space < anchor else new_start
    new_end = min(end, new_start + SNIPPET_CHARS)
    if new_end < end:
        space = text.rfind(" ", new_start, new_end)
        new_end = space if space > anchor else new_end
    return new_start, new_end


def make_snippet(
    body: str, matcher: TermMatcher, analyzer: Analyzer, deadline: Deadline | None = None
) -> str:
    """Safe HTML snippet of ``body`` with the ``matcher`` terms in ``<mark>`` (past
    ``deadline``, the best window found so far)."""
    if not body:
        return ""
    text = body[:MAX_ANALYZED_CHARS]
    hits = find_matches(text, matcher, analyzer) if matcher else []
    if not hits:
        return lead_snippet(body)
    window = _best_window(_sentences(text), hits, deadline or Deadline.unlimited())
    start, end = _trim(*window, hits, text)
    snippet = " ".join(mark_matches(text, hits, start, end).split())
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(body) else ""
    return f"{prefix}{snippet}{suffix}"
