"""Characteristic terms: the words and two-word phrases that set a result set apart.

A term is characteristic of a search when it is common among the best matches
(the foreground: a bounded sample of the top-ranked articles, so the cost does not
grow with the archive) and rare in the archive (the background: every article).
The score is JLH, the default heuristic of Elasticsearch's ``significant_terms``
aggregation (Elasticsearch reference, "Significant terms aggregation")::

    fg% = fg_count / fg_size        bg% = bg_count / bg_size
    JLH = (fg% - bg%) * (fg% / bg%)     (0 when fg% <= bg%)

the absolute change in popularity times the relative change: a term must be both
clearly more frequent and many times more frequent than usual to score high. Counts
are documents, not occurrences. A term must be in at least `min_foreground`
sampled articles, so that one article's pet word does not win; stop words,
numbers, one-letter words and the query's own words (by stem) are left out.

A two-word phrase is two adjacent words, neither a stop word. Its background count
is the number of articles holding both words anywhere (what an index of single
words can count exactly and cheaply): an upper bound of the phrase's own count,
so a phrase's score is, if anything, too low. Words are shown in their most
common written form among the sampled articles (``OPEC``, ``prices``), not as stems.

This module is backend-neutral: a backend samples the texts and answers the
background counts (`search.whoosh.terms` for Whoosh).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from indexer.analysis import AnalysisParts
from search.models import SearchRequest
from search.parameters import parameters_of, parse_arguments, validate
from search.research_parameters import TERMS, TERMS_LIMIT, TERMS_PARAMETERS, TERMS_SAMPLE

__all__ = [
    "TermsRequest",
    "parse_terms_request",
    "DEFAULT_LIMIT",
    "DEFAULT_SAMPLE",
    "SampleCounts",
    "SignificantTerm",
    "SignificantTerms",
    "jlh",
    "min_foreground",
    "significant_terms",
]

#: Terms returned and best matches analysed unless asked otherwise (the parameter table).
DEFAULT_LIMIT, DEFAULT_SAMPLE = TERMS_LIMIT, TERMS_SAMPLE
#: Words and phrases (by foreground count) whose background is looked up: bounded work.
WORD_CANDIDATES = 400
PHRASE_CANDIDATES = 24
#: Punctuation that ends a clause: two words either side of it are not a phrase.
_CLAUSE_MARK = r"[.!?;:,()\[\]\"\u201c\u201d]"
#: Sampled articles (the best) read again for the written forms of the terms shown.
FORM_TEXTS = 40
#: Characters of an article analysed (title and the start of the body).
MAX_TEXT_CHARS = 2_000


@dataclass(frozen=True, slots=True)
class TermsRequest:
    """An ``/api/terms`` request: the search, and how many terms from how many matches."""

    search: SearchRequest
    limit: int = DEFAULT_LIMIT
    sample: int = DEFAULT_SAMPLE


def parse_terms_request(values: Mapping[str, Sequence[str]], now: datetime) -> TermsRequest:
    """The `TermsRequest` of raw ``/api/terms`` parameters (name -> every value given)."""
    parsed = parse_arguments(values, now, TERMS, TERMS_PARAMETERS)
    fields = {p.field: parsed[p.name] for p in parameters_of(TERMS, TERMS_PARAMETERS) if p.field}
    request = SearchRequest(**fields, facets=False, snippets=False)
    validate(request)
    return TermsRequest(request, parsed["limit"], parsed["sample"])


def jlh(fg_count: int, fg_size: int, bg_count: int, bg_size: int) -> float:
    """Elasticsearch's JLH score of a term (see the module notes); 0 when the term is
    no more frequent in the foreground than in the background."""
    if fg_size <= 0 or bg_size <= 0:
        return 0.0
    fg = fg_count / fg_size
    bg = max(bg_count, fg_count, 1) / bg_size  # the foreground is part of the archive
    return (fg - bg) * (fg / bg) if fg > bg else 0.0


def min_foreground(sample_size: int) -> int:
    """Fewest sampled articles a term must appear in: 2, or 2 % of a large sample."""
    return max(2, math.ceil(0.02 * sample_size))


@dataclass(frozen=True, slots=True)
class SignificantTerm:
    """One characteristic word or phrase with its counts (documents) and score."""

    term: str
    kind: str  # "word" | "phrase"
    score: float
    fg_count: int
    fg_size: int
    bg_count: int
    bg_size: int

    def refined_query(self, q: str) -> str:
        """``q`` narrowed to articles with this term (a phrase quoted)."""
        text = f'"{self.term}"' if self.kind == "phrase" else self.term
        return f"{q.strip()} {text}".strip()

    def to_json_dict(self, q: str) -> dict[str, Any]:
        """The ``/api/terms`` shape of one term; ``search`` is the refined query."""
        return {
            "term": self.term,
            "kind": self.kind,
            "score": round(self.score, 6),
            "fg_count": self.fg_count,
            "fg_size": self.fg_size,
            "bg_count": self.bg_count,
            "bg_size": self.bg_size,
            "search": self.refined_query(q),
        }


@dataclass(frozen=True, slots=True)
class SignificantTerms:
    """The characteristic terms of one search, best first."""

    q: str
    #: Articles analysed (the best matches, at most the sample size asked for).
    sample_size: int
    #: Articles the search matches in all.
    matches: int
    terms: tuple[SignificantTerm, ...]
    notices: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """The ``/api/terms`` response."""
        return {
            "q": self.q,
            "sample_size": self.sample_size,
            "matches": self.matches,
            "terms": [term.to_json_dict(self.q) for term in self.terms],
            "notices": list(self.notices),
        }


@dataclass(slots=True)
class SampleCounts:
    """Document counts of the stems and adjacent stem pairs of the sampled articles
    (UTF-8 stems; ``b""`` marks a stop word), and the texts, for the written forms."""

    parts: AnalysisParts
    documents: int = 0
    words: Counter[bytes] = field(default_factory=Counter)
    pairs: Counter[tuple[bytes, bytes]] = field(default_factory=Counter)
    texts: list[str] = field(default_factory=list)
    #: Every lowercase token seen: the words behind each stem, for the written forms.
    lowered: set[str] = field(default_factory=set)
    #: The analyzer's word pattern, or a clause mark: a mark is a one-character
    #: token the stop filter drops, so no phrase spans two clauses.
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile(f"{self.parts.pattern.pattern}|{_CLAUSE_MARK}")

    def add(self, text: str) -> None:
        """Count one article's ``text`` (title and body)."""
        text = text[:MAX_TEXT_CHARS]
        if text.isascii():
            lowered = self.pattern.findall(text.lower())
        else:  # lowercasing may change what counts as a word character: tokenize first
            lowered = [word.lower() for word in self.pattern.findall(text)]
        stems = self.parts.index_stems(lowered)
        self.documents += 1
        self.words.update(set(stems))
        self.pairs.update(set(zip(stems, stems[1:], strict=False)))
        self.texts.append(text)
        self.lowered.update(lowered)

    def written_forms(self, stems: set[bytes]) -> dict[bytes, str]:
        """The form to show of each of ``stems``: its most common lowercase form, in
        capitals or capitalised only when that is how most of its occurrences read
        (as written in the best `FORM_TEXTS` sampled articles)."""
        behind: dict[str, bytes] = {}
        for word in self.lowered:
            stem = self.parts.index_memo.get(word)
            if stem in stems:
                behind[word] = stem
        forms: dict[bytes, Counter[str]] = {stem: Counter() for stem in stems}
        for text in self.texts[:FORM_TEXTS]:
            for written in self.parts.pattern.findall(text):
                stem = behind.get(written.lower())
                if stem is not None:
                    forms[stem][written] += 1
        return {stem: _shown(seen, stem) for stem, seen in forms.items()}


def _shown(forms: Counter[str], stem: bytes) -> str:
    if not forms:
        return stem.decode("utf-8")
    by_lower: Counter[str] = Counter()
    for written, count in forms.items():
        by_lower[written.lower()] += count
    word = by_lower.most_common(1)[0][0]
    cased = Counter({w: c for w, c in forms.items() if w.lower() == word and w != word})
    if not cased or cased.total() * 2 <= by_lower[word]:
        return word
    form = cased.most_common(1)[0][0]
    titled = word[:1].upper() + word[1:]
    if form.isupper() and len(form) > 5 and cased[titled]:
        return titled  # a headline in capitals ("LAWSON SAYS"), not an acronym ("OPEC")
    return form


def _is_term(stem: bytes) -> bool:
    """Two or more characters with a letter: numbers and initials are not terms."""
    return len(stem) >= 2 and any(ch.isalpha() for ch in stem.decode("utf-8"))


def significant_terms(
    counts: SampleCounts,
    q: str,
    matches: int,
    excluded: Iterable[bytes],
    word_background: Callable[[list[bytes]], Mapping[bytes, int]],
    pair_background: Callable[[list[tuple[bytes, bytes]]], Mapping[tuple[bytes, bytes], int]],
    background_size: int,
    limit: int = DEFAULT_LIMIT,
    notices: tuple[str, ...] = (),
) -> SignificantTerms:
    """Score the sample's words and phrases against the archive and keep the best
    ``limit``. ``excluded`` are stems never shown (the query's own words);
    ``word_background`` and ``pair_background`` give the archive's document counts
    (a backend's index statistics; a term it leaves out is not shown). Only the
    `WORD_CANDIDATES` words and `PHRASE_CANDIDATES` phrases in most sampled articles
    are looked up."""
    size = counts.documents
    floor = min_foreground(size)
    skip = set(excluded) | {b""}
    frequent = [s for s, n in counts.words.items() if n >= floor and s not in skip and _is_term(s)]
    words = sorted(frequent, key=counts.words.__getitem__, reverse=True)[:WORD_CANDIDATES]
    common = [
        pair
        for pair, n in counts.pairs.items()
        if n >= floor
        and skip.isdisjoint(pair)
        and pair[0] != pair[1]
        and _is_term(pair[0])
        and _is_term(pair[1])
    ]
    pairs = sorted(common, key=counts.pairs.__getitem__, reverse=True)[:PHRASE_CANDIDATES]
    pair_words = {stem for pair in pairs for stem in pair}
    looked_up = word_background([*words, *sorted(pair_words.difference(words))])
    word_bg = {s: max(n, counts.words[s]) for s, n in looked_up.items()}
    # A phrase's words must each be characteristic on their own (at least twice as
    # frequent in the sample as in the archive): "Rotterdam entered" is not a phrase
    # of a story about Rotterdam, only "Rotterdam" is.
    pairs = [
        pair
        for pair in pairs
        if all(
            stem in word_bg and counts.words[stem] * background_size >= 2 * word_bg[stem] * size
            for stem in pair
        )
    ]
    pair_bg = {p: max(n, counts.pairs[p]) for p, n in pair_background(pairs).items()}
    words = [stem for stem in words if stem in word_bg]
    scored: list[tuple[float, tuple[bytes, ...], int, int]] = [
        (jlh(counts.words[s], size, word_bg[s], background_size), (s,), counts.words[s], word_bg[s])
        for s in words
        if s in word_bg
    ]
    scored += [
        (jlh(counts.pairs[p], size, pair_bg[p], background_size), p, counts.pairs[p], pair_bg[p])
        for p in pairs
        if p in pair_bg
    ]
    ranked = _without_echoes(
        sorted((t for t in scored if t[0] > 0), key=lambda t: (-t[0], -t[2], t[1]))
    )
    ranked = ranked[:limit]
    shown = counts.written_forms({stem for _, stems, _, _ in ranked for stem in stems})
    terms = tuple(
        SignificantTerm(
            " ".join(shown[stem] for stem in stems),
            "word" if len(stems) == 1 else "phrase",
            score,
            fg,
            size,
            bg,
            background_size,
        )
        for score, stems, fg, bg in ranked
    )
    return SignificantTerms(q, size, matches, terms, notices)


def _without_echoes(
    ranked: list[tuple[float, tuple[bytes, ...], int, int]],
) -> list[tuple[float, tuple[bytes, ...], int, int]]:
    """Drop a word found (almost) only inside one of the listed phrases ("Jorio" beside
    "Jorio Dauster", in as many sampled articles): it says nothing new."""
    phrases = [(stems, fg) for _, stems, fg, _ in ranked if len(stems) == 2]
    return [
        term
        for term in ranked
        if len(term[1]) == 2
        or not any(term[1][0] in stems and fg * 10 >= term[2] * 9 for stems, fg in phrases)
    ]
