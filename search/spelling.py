"""The read side of a generation's spelling model (`indexer.spelling_model`).

`SpellingModel.open` maps ``spelling.bin`` of a generation (None when the
generation has none, e.g. one built before models existed: suggestions then fall
back to nothing, and autocomplete to the title words). Everything is answered from
the mapped arrays: a word's number by binary search over the sorted words, the
words within two edits of a misspelling through the symmetric-delete index
(`candidates`, verified with RapidFuzz's optimal string alignment distance), pair
counts by binary search over the sorted pair keys, and completions that follow
the previous word (`complete`). No call walks the vocabulary.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
from rapidfuzz.distance import OSA

from indexer.spelling_model import MODEL_NAME, delete_hash, deletes, read_model

__all__ = ["SpellingModel"]

#: Completions whose previous word is known come from at most this many of its pairs.
MAX_FOLLOWERS = 2000
#: Words whose `SpellingModel.candidates` stay known (all are forgotten at once past it).
CANDIDATES_KEPT = 4096


class _Strings(Sequence[bytes]):
    """A sorted list of UTF-8 strings stored as one byte blob and offsets."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self._blob = blob.tobytes() if not isinstance(blob, bytes) else blob
        self._offsets = offsets.tolist()

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        return self._blob[self._offsets[index] : self._offsets[index + 1]]


class SpellingModel:
    """Words, counts, pairs and the delete index of one generation."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self._words = _Strings(arrays["words"], arrays["word_offsets"])
        self._display = _Strings(arrays["display"], arrays["display_offsets"])
        self.counts = arrays["counts"]
        self.pair_keys = arrays["pair_keys"]
        self.pair_counts = arrays["pair_counts"]
        self.pair_flags = arrays["pair_flags"]
        self.delete_hashes = arrays["delete_hashes"]
        self.delete_words = arrays["delete_words"]
        self.max_edits = int(meta.get("max_edits", 2))
        self.prefix_length = int(meta.get("prefix_length", 7))
        self.min_candidate_count = int(meta.get("min_candidate_count", 2))
        #: Word occurrences in the archive (at least 1, for probabilities).
        self.tokens = max(1, int(meta.get("tokens", 0)))
        #: `candidates` of the words asked lately (the model, so the answers, never change).
        self._candidates: dict[tuple[str, int], list[tuple[int, int]]] = {}

    @classmethod
    def open(cls, generation: Path) -> SpellingModel | None:
        """The model of ``generation``, or None when it has none or it is unreadable."""
        path = Path(generation) / MODEL_NAME
        try:
            arrays, meta = read_model(path)
            return cls(arrays, meta)
        except (OSError, KeyError, ValueError, TypeError):  # ArrayFileError is a ValueError
            return None

    # -- words -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._words)

    def word(self, number: int) -> str:
        """The lowercase word numbered ``number``."""
        return self._words[number].decode("utf-8")

    def display(self, number: int) -> str:
        """The most common written form of word ``number`` ("York", "climate")."""
        return self._display[number].decode("utf-8")

    def find(self, word: str) -> int | None:
        """The number of lowercase ``word``, or None when the archive never has it."""
        key = word.encode("utf-8")
        position = bisect.bisect_left(self._words, key)
        if position < len(self._words) and self._words[position] == key:
            return position
        return None

    def count(self, word: str) -> int:
        """How often lowercase ``word`` occurs in the archive (0 when never)."""
        number = self.find(word)
        return 0 if number is None else int(self.counts[number])

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """Numbers ``[lo, hi)`` of the words starting with lowercase ``prefix``."""
        key = prefix.encode("utf-8")
        low = bisect.bisect_left(self._words, key)
        return low, bisect.bisect_left(self._words, key + b"\xff", low)

    def log_probability(self, number: int | None) -> float:
        """Natural log of a word's share of the archive's words (half an occurrence when
        unknown)."""
        count = 0.5 if number is None else max(0.5, float(self.counts[number]))
        return math.log(count / self.tokens)

    # -- misspellings ----------------------------------------------------------

    def candidates(self, word: str, max_edits: int) -> list[tuple[int, int]]:
        """(number, edits) of every word seen at least ``min_candidate_count`` times within
        ``max_edits`` (at most the model's) insertions, deletions, substitutions and
        adjacent swaps of lowercase ``word``, the word itself excluded (a new list: the
        last `CANDIDATES_KEPT` words' answers are kept; a word took 0.5 ms)."""
        max_edits = min(max_edits, self.max_edits)
        key = (word, max_edits)
        found = self._candidates.get(key)
        if found is None:
            found = self._find_candidates(word, max_edits)
            if len(self._candidates) >= CANDIDATES_KEPT:
                self._candidates.clear()
            self._candidates[key] = found
        return list(found)

    def _find_candidates(self, word: str, max_edits: int) -> list[tuple[int, int]]:
        hashes = np.fromiter(
            (delete_hash(text) for text in deletes(word, max_edits, self.prefix_length)),
            dtype=np.uint32,
        )
        lows = np.searchsorted(self.delete_hashes, hashes, "left").tolist()
        highs = np.searchsorted(self.delete_hashes, hashes, "right").tolist()
        pieces = [self.delete_words[lo:hi] for lo, hi in zip(lows, highs, strict=True) if hi > lo]
        if not pieces:
            return []
        found = []
        for number in np.unique(np.concatenate(pieces)).tolist():
            other = self.word(number)
            if other == word or abs(len(other) - len(word)) > max_edits:
                continue
            edits = OSA.distance(word, other, score_cutoff=max_edits)
            if edits <= max_edits:
                found.append((number, edits))
        return found

    # -- pairs -----------------------------------------------------------------

    def pair(self, first: int, second: int) -> tuple[int, int]:
        """(count, capitalisation flags) of ``first`` followed by ``second`` ((0, 0) when
        the pair was not kept)."""
        key = np.uint64((first << 32) | second)
        position = int(np.searchsorted(self.pair_keys, key))
        if position < len(self.pair_keys) and self.pair_keys[position] == key:
            return int(self.pair_counts[position]), int(self.pair_flags[position])
        return 0, 0

    def followers(self, first: int, low: int, high: int) -> tuple[np.ndarray, ...]:
        """Words numbered in ``[low, high)`` that follow word ``first``: (numbers, pair
        counts, flags), most frequent pair first (at most `MAX_FOLLOWERS` looked at)."""
        start = int(np.searchsorted(self.pair_keys, np.uint64((first << 32) | low)))
        stop = int(np.searchsorted(self.pair_keys, np.uint64((first << 32) | high)))
        if stop - start > MAX_FOLLOWERS:  # a very common word: its most frequent pairs
            counts = self.pair_counts[start:stop]
            best = np.argpartition(-counts.astype(np.int64), MAX_FOLLOWERS)[:MAX_FOLLOWERS]
            positions = np.sort(best) + start
        else:
            positions = np.arange(start, stop)
        numbers = (self.pair_keys[positions] & np.uint64(0xFFFFFFFF)).astype(np.int64)
        counts = self.pair_counts[positions].astype(np.int64)
        order = np.lexsort((numbers, -counts))
        return numbers[order], counts[order], self.pair_flags[positions][order]

    def frequent(self, low: int, high: int, limit: int) -> list[int]:
        """The ``limit`` most frequent word numbers in ``[low, high)``, most frequent first."""
        if high <= low or limit <= 0:
            return []
        counts = self.counts[low:high].astype(np.int64)
        if high - low > limit:
            top = np.argpartition(-counts, limit)[:limit]
        else:
            top = np.arange(high - low)
        top = top[np.lexsort((top, -counts[top]))]
        numbers: list[int] = (top + low).tolist()
        return numbers

    # -- written forms ---------------------------------------------------------

    def written(self, number: int, capital: bool | None = None) -> str:
        """Word ``number`` as written: its most common form, or, when ``capital`` says how
        a pair writes it, capitalised or lower case accordingly (names keep their form)."""
        form = self.display(number)
        if capital is None:
            return form
        if capital:
            return form if form[:1].isupper() else form[:1].upper() + form[1:]
        return form if not form[:1].isupper() else self.word(number)
