"""Counting the words and word pairs of texts for the spelling model (`WordCounter`).

`indexer.spelling_model` turns what a counter counted into a model file. A counter's
counts can be sent to another process (`WordCounter.state`) and added to another
counter's (`WordCounter.absorb`): a build's indexing workers count what they index,
and the main process folds their counts. Counting streams over texts in NumPy
batches; memory grows with the distinct words, and the pairs held are bounded
(`MAX_HELD_PAIRS`, 16 bytes each, the rarest dropped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: Pair keys buffered before they are merged.
PENDING_PAIRS = 4_000_000
#: Most distinct pairs held between merges. Past it the rarest are dropped (lossy
#: counting): a 1,000,000-article build held 7.7 GB of pairs before, most of them seen
#: once. A pair dropped may be counted again from zero; a pair seen `MIN_PAIR_COUNT`
#: times between two merges, or more often than the rarest kept, is never lost.
MAX_HELD_PAIRS = 8_000_000
#: A whitespace token that is a word: punctuation, letters, an optional 's, punctuation.
_TOKEN = re.compile(r"([^\w]*)([^\W\d_]+?)(?:['\u2019][sS])?([^\w]*)")
_SEPARATOR = "\x00"


@dataclass(frozen=True, slots=True)
class CounterState:
    """What a `WordCounter` counted, in a form a process can send to another:
    the written words, their counts, the pair keys over their numbers and the
    pairs' counts, the tokens read and the pruning floor (`WordCounter.pruned_below`)."""

    cased_words: list[str]
    unigrams: np.ndarray
    pair_keys: np.ndarray
    pair_counts: np.ndarray
    tokens: int
    pruned_below: int


def _classify(token: str) -> tuple[str | None, bool, bool]:
    """(word as written or None, a break before it, a break after it) of one token."""
    match = _TOKEN.fullmatch(token)
    if match is None or len(match[2]) < 2:
        return None, True, True
    return match[2], bool(match[1]), bool(match[3])


class WordCounter:
    """Counts written words and adjacent pairs over texts, in NumPy batches."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        #: Per token code: the written word's number (-1: no word), breaks before and after.
        self._code_word = np.zeros(0, dtype=np.int64)
        self._code_before = np.zeros(0, dtype=bool)
        self._code_after = np.zeros(0, dtype=bool)
        self._cased: dict[str, int] = {}
        self.cased_words: list[str] = []
        self._unigrams = np.zeros(0, dtype=np.int64)
        self._pending: list[np.ndarray] = []
        self._pending_size = 0
        self._keys = np.zeros(0, dtype=np.int64)
        self._counts = np.zeros(0, dtype=np.int64)
        self.tokens = 0
        #: Pairs seen fewer times than this may have been dropped (1: none was).
        self.pruned_below = 1

    def add(self, texts: Iterable[str]) -> None:
        """Count the words and pairs of ``texts`` (no pair spans two texts)."""
        tokens: list[str] = []
        for text in texts:
            tokens += text.split()
            tokens.append(_SEPARATOR)
        if not tokens:
            return
        self._learn(set(tokens).difference(self._codes))
        code = np.fromiter(map(self._codes.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        words = self._code_word[code]
        before = self._code_before[code]
        after = self._code_after[code]
        valid = words >= 0
        self.tokens += int(valid.sum())
        counts = np.bincount(words[valid], minlength=len(self.cased_words))
        if len(self._unigrams) < len(counts):
            self._unigrams = np.concatenate(
                [self._unigrams, np.zeros(len(counts) - len(self._unigrams), dtype=np.int64)]
            )
        self._unigrams[: len(counts)] += counts
        linked = valid[:-1] & valid[1:] & ~after[:-1] & ~before[1:]
        keys = (words[:-1][linked] << 32) | words[1:][linked]
        self._pending.append(keys)
        self._pending_size += len(keys)
        if self._pending_size >= PENDING_PAIRS:
            self._merge()

    def _learn(self, new_tokens: set[str]) -> None:
        """Give each token not seen before its code (and its word a number)."""
        numbers: list[int] = []
        befores: list[int] = []
        afters: list[int] = []
        for token in new_tokens:
            word, before, after = _classify(token)
            number = -1 if word is None else self._number(word)
            self._codes[token] = len(self._code_word) + len(numbers)
            numbers.append(number)
            befores.append(before)
            afters.append(after)
        self._code_word = np.concatenate([self._code_word, np.asarray(numbers, dtype=np.int64)])
        self._code_before = np.concatenate([self._code_before, np.asarray(befores, dtype=bool)])
        self._code_after = np.concatenate([self._code_after, np.asarray(afters, dtype=bool)])

    def _number(self, word: str) -> int:
        """The number of a written word, given the next one when it is new."""
        number = self._cased.setdefault(word, len(self.cased_words))
        if number == len(self.cased_words):
            self.cased_words.append(word)
        return number

    def _merge(self) -> None:
        if not self._pending:
            return
        keys = np.concatenate([self._keys, *self._pending])
        weights = np.concatenate([self._counts, np.ones(self._pending_size, dtype=np.int64)])
        self._pending, self._pending_size = [], 0
        self._add_pairs(keys, weights)

    def _add_pairs(self, keys: np.ndarray, weights: np.ndarray) -> None:
        """Hold the distinct ``keys``, each counted the sum of its ``weights``."""
        self._keys, inverse = np.unique(keys, return_inverse=True)
        self._counts = np.bincount(inverse, weights=weights).astype(np.int64)
        if len(self._keys) > MAX_HELD_PAIRS:
            self._prune()

    def _prune(self) -> None:
        """Drop the pairs seen fewest times until at most half of `MAX_HELD_PAIRS` remain."""
        floor = 1
        while len(self._keys) > MAX_HELD_PAIRS // 2:
            keep = self._counts > floor
            self._keys, self._counts = self._keys[keep], self._counts[keep]
            floor += 1
        self.pruned_below = max(self.pruned_below, floor)

    def unigrams(self) -> np.ndarray:
        """Occurrences of each written word (indexed like `cased_words`)."""
        return self._unigrams[: len(self.cased_words)]

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted pair keys of written words (``first << 32 | second``) and their counts."""
        self._merge()
        return self._keys, self._counts

    def state(self) -> CounterState:
        """What this counter counted, to be sent to another process and `absorb`-ed."""
        keys, counts = self.pairs()
        unigrams = self.unigrams().copy()
        words = list(self.cased_words)
        return CounterState(words, unigrams, keys, counts, self.tokens, self.pruned_below)

    def absorb(self, other: CounterState) -> None:
        """Add the counts of another counter (over other texts) to this one's: the
        result counts what both counted, as if one counter had read every text."""
        self._merge()
        numbers = np.asarray([self._number(word) for word in other.cased_words], dtype=np.int64)
        if len(self._unigrams) < len(self.cased_words):
            grown = np.zeros(len(self.cased_words), dtype=np.int64)
            grown[: len(self._unigrams)] = self._unigrams
            self._unigrams = grown
        self._unigrams[numbers] += other.unigrams  # numbers are distinct
        keys = (numbers[other.pair_keys >> 32] << 32) | numbers[other.pair_keys & 0xFFFFFFFF]
        self._add_pairs(
            np.concatenate([self._keys, keys]), np.concatenate([self._counts, other.pair_counts])
        )
        self.tokens += other.tokens
        self.pruned_below = max(self.pruned_below, other.pruned_below)


__all__ = ["MAX_HELD_PAIRS", "PENDING_PAIRS", "CounterState", "WordCounter"]
