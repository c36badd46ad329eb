"""Spelling correction of whole queries, each word in the context of its neighbours.

`correct_query` reads the query text as pieces: plain words (letters only, maybe in
parentheses) can be corrected; everything else is kept as typed and breaks the
context: ``"quoted phrases"`` (their words are matched exactly, so they are never
corrected, least of all into a stem), ``AND``/``OR``/``NOT``, ``-word``,
``field:value``, wildcards, numbers. Date expressions were taken out by the parser
before and are added back by the caller.

Each run of adjacent plain words is corrected as a whole by a noisy-channel model
(Viterbi over the words' candidates): a word may stay as typed, or become a word
of the archive (`search.spelling.SpellingModel`) within one edit (words of 4
letters) or two (5 or more); shorter words stay. A path scores

    sum over its words of  log P(word | previous word) - edit cost

where ``P(w | v) = LAMBDA * count(v w) / count(v) + (1 - LAMBDA) * P(w)`` and the edit
cost of a changed word is ``EDIT_COST`` per edit, ``SECOND_EDIT_COST`` more for a second
edit, and ``KNOWN_COST`` more when the archive has the word as typed; a word it does
not have stays with the probability of ``UNKNOWN_COUNT`` occurrences. So "prime minster"
becomes "prime minister" ("prime minister" is a frequent pair, "prime monster" none),
a frequent word beats a rare one at the same distance, and a word of the archive stays
unless a close word is far more likely. The correction is offered when the best path
beats the query as typed by `SUGGEST_MARGIN` (natural log), and called confident (the
results may be shown at once) past `CONFIDENT_MARGIN` when every changed word is one
the archive does not have. The parameters were tuned on the ``dev`` part of
``search/eval/spelling_demo.tsv`` only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from search.spelling import SpellingModel

__all__ = ["Correction", "correct_query"]

EDIT_COST = 2.0
#: Added for the second edit of a word (one edit is far more common than two).
SECOND_EDIT_COST = 3.0
#: Added when the word as typed is a word of the archive (it may well be meant).
KNOWN_COST = 2.0
LAMBDA = 0.6
#: Occurrences a word the archive does not have is counted as (for staying as typed).
UNKNOWN_COUNT = 0.1
SUGGEST_MARGIN = 0.0
CONFIDENT_MARGIN = 6.0
#: Candidates kept per word (the most likely by frequency and edits).
CANDIDATES_PER_WORD = 8
#: Most plain words corrected in one query (longer queries keep the rest as typed).
MAX_WORDS = 12
OPERATORS = frozenset(("AND", "OR", "NOT"))
_PIECE = re.compile(r'"[^"]*"(?:~\d+)?|[^\s"]+|"')
_PLAIN = re.compile(r"(\(*)([^\W\d_]+)(\)*)")


@dataclass(frozen=True, slots=True)
class Correction:
    """A corrected query text and how sure the model is."""

    text: str
    #: The words changed, as typed and as corrected.
    changes: tuple[tuple[str, str], ...]
    #: How much more likely (natural log) the correction is than the query as typed.
    margin: float
    #: Every changed word is one the archive does not have (often enough) as written.
    unattested: bool
    #: Unattested and far more likely: the results may be shown at once.
    confident: bool


@dataclass(slots=True)
class _Word:
    """A correctable word of the query: where it is, as typed, and its options."""

    start: int
    end: int
    typed: str
    #: (word number or None for the typed word, edits, lowercase text)
    options: list[tuple[int | None, int, str]]
    #: The word as typed is one the archive has often enough to be offered itself.
    known: bool


def _max_edits(word: str) -> int:
    return 0 if len(word) < 4 else 1 if len(word) == 4 else 2


def _word(model: SpellingModel, typed: str, start: int) -> _Word:
    lower = typed.lower()
    own = model.find(lower)
    known = own is not None and int(model.counts[own]) >= model.min_candidate_count
    options: list[tuple[int | None, int, str]] = [(own, 0, lower)]
    found = model.candidates(lower, _max_edits(lower))
    found.sort(key=lambda item: _edit_cost(item[1], known) - model.log_probability(item[0]))
    options += [(number, edits, model.word(number)) for number, edits in found]
    return _Word(start, start + len(typed), typed, options[: CANDIDATES_PER_WORD + 1], known)


def _runs(text: str, model: SpellingModel) -> list[list[_Word]]:
    """Runs of adjacent plain words (each with its options); other pieces split runs."""
    runs: list[list[_Word]] = [[]]
    for piece in _PIECE.finditer(text):
        match = _PLAIN.fullmatch(piece[0])
        if match is None or piece[0] in OPERATORS or sum(len(run) for run in runs) >= MAX_WORDS:
            runs.append([])
            continue
        if match[1]:
            runs.append([])
        start = piece.start() + len(match[1])
        runs[-1].append(_word(model, match[2], start))
        if match[3]:
            runs.append([])
    return [run for run in runs if run]


def _transition(model: SpellingModel, previous: int | None, number: int | None) -> float:
    if number is None:  # a word the archive does not have: searching it finds nothing
        return math.log(UNKNOWN_COUNT / model.tokens)
    unigram = math.exp(model.log_probability(number))
    if previous is None or number is None:
        return math.log(unigram)
    together, _ = model.pair(previous, number)
    after = max(1.0, float(model.counts[previous]))
    return math.log(LAMBDA * together / after + (1 - LAMBDA) * unigram)


def _edit_cost(edits: int, known: bool) -> float:
    if edits == 0:
        return 0.0
    cost = EDIT_COST * edits + SECOND_EDIT_COST * (edits - 1)
    return cost + (KNOWN_COST if known else 0.0)


def _emission(word: _Word, option: tuple[int | None, int, str]) -> float:
    return -_edit_cost(option[1], word.known)


def _path_score(model: SpellingModel, run: list[_Word], choice: list[int]) -> float:
    score, previous = 0.0, None
    for word, index in zip(run, choice, strict=True):
        option = word.options[index]
        score += _transition(model, previous, option[0]) + _emission(word, option)
        previous = option[0]
    return score


def _best_path(model: SpellingModel, run: list[_Word]) -> list[int]:
    """Viterbi over the run's options: the index of the chosen option per word."""
    first = run[0]
    scores = [_transition(model, None, o[0]) + _emission(first, o) for o in first.options]
    back: list[list[int]] = []
    for before, word in zip(run, run[1:], strict=False):
        new_scores, pointers = [], []
        for option in word.options:
            emission = _emission(word, option)
            best, best_from = -math.inf, 0
            for index, earlier in enumerate(before.options):
                value = scores[index] + _transition(model, earlier[0], option[0])
                if value > best:
                    best, best_from = value, index
            new_scores.append(best + emission)
            pointers.append(best_from)
        scores = new_scores
        back.append(pointers)
    index = max(range(len(scores)), key=scores.__getitem__)
    path = [index]
    for pointers in reversed(back):
        index = pointers[index]
        path.append(index)
    return path[::-1]


def _written(model: SpellingModel, typed: str, option: tuple[int | None, int, str]) -> str:
    """A corrected word written as the user would: lower case, unless typed with a
    capital (then as the archive writes it, "Hussein")."""
    if not typed[:1].isupper() or option[0] is None:
        return option[2]
    return model.written(option[0], True)


def correct_query(model: SpellingModel, text: str) -> Correction | None:
    """The corrected ``text`` (pieces other than plain words kept as typed), or None when
    the query as typed is as likely as any correction (within `SUGGEST_MARGIN`)."""
    changes: list[tuple[_Word, str]] = []
    margin = 0.0
    unknown_only = True
    for run in _runs(text, model):
        if all(len(word.options) == 1 for word in run) or (len(run) == 1 and run[0].known):
            continue  # a word the archive has is changed only by its neighbours
        path = _best_path(model, run)
        if not any(path):
            continue
        gain = _path_score(model, run, path) - _path_score(model, run, [0] * len(run))
        margin += gain
        for word, index in zip(run, path, strict=True):
            if index:
                changes.append((word, _written(model, word.typed, word.options[index])))
                unknown_only = unknown_only and not word.known
    if not changes or margin < SUGGEST_MARGIN:
        return None
    pieces, cursor = [], 0
    for word, replacement in changes:
        pieces += [text[cursor : word.start], replacement]
        cursor = word.end
    pieces.append(text[cursor:])
    return Correction(
        text="".join(pieces),
        changes=tuple((word.typed, replacement) for word, replacement in changes),
        margin=margin,
        unattested=unknown_only,
        confident=unknown_only and margin >= CONFIDENT_MARGIN,
    )
