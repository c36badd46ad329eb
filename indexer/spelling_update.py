"""A generation's spelling model from its base's, adjusted by the articles an update changed.

A full recount reads every stored article (`indexer.spelling_model`): at 1,000,000
articles it took 260 s of a 297 s update of 1 % of the files. An update knows what
it changed: the articles it deleted (read back from the base generation before
they go) and those it added. Their words and pairs are counted like any text
(`WordCounter`), and the base model's arrays are adjusted:

* word counts: base + added - removed, exact (a word whose count falls to 0 goes);
* pairs: base + added - removed, kept from `MIN_PAIR_COUNT` as in a recount. The
  base did not keep pairs seen once, so such a pair the update adds again counts
  one less than in a recount (and is not kept when that makes it 1);
* written forms: a word keeps its base form; a new word gets the update's;
* the delete index: entries of words that fall below `MIN_CANDIDATE_COUNT` go,
  words that reach it get theirs.

So an adjusted model may lack a few rare pairs a recount has; counts are exact.
`INCREMENTAL_UPDATES` in a row at most, and only while an update changes at most
`INCREMENTAL_SHARE` of the articles: otherwise the transaction recounts
(`indexer.whoosh.transaction`), so the differences never pile up.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from indexer.array_file import write_arrays
from indexer.spelling_model import (
    MAGIC,
    MIN_CANDIDATE_COUNT,
    MIN_PAIR_COUNT,
    MODEL_NAME,
    ModelStats,
    WordCounter,
    delete_hash,
    deletes,
    model_arrays,
    model_file_arrays,
    read_model,
)

__all__ = [
    "SpellingChange",
    "INCREMENTAL_SHARE",
    "INCREMENTAL_UPDATES",
    "adjusted_model",
    "can_adjust",
    "write_adjusted_model",
]

#: Largest share of the base's articles an update may change and adjust the model.
INCREMENTAL_SHARE = 0.1
#: Most adjusted models in a row; the next update recounts.
INCREMENTAL_UPDATES = 8


class SpellingChange:
    """What an update changes, for adjusting its base's model: the titles and bodies
    of the articles it removes and adds, held while they are at most
    `INCREMENTAL_SHARE` of the base's articles (past that, the model is recounted)."""

    def __init__(self, base: Path, articles: int) -> None:
        self.base = base
        self.limit = int(INCREMENTAL_SHARE * max(1, articles))
        self.usable = can_adjust(base)
        self.removed: list[str] = []
        self.added: list[str] = []

    def _keep(self, texts: list[str], title: str, body: str) -> None:
        if not self.usable:
            return
        if (len(self.removed) + len(self.added)) // 2 >= self.limit:
            self.usable = False
            self.removed, self.added = [], []
            return
        texts += (title, body)

    def remove(self, title: str, body: str) -> None:
        """An article the update deletes (as the base stores it)."""
        self._keep(self.removed, title, body)

    def add(self, title: str, body: str) -> None:
        """An article the update adds."""
        self._keep(self.added, title, body)

    def too_many(self, removals: int) -> bool:
        """Whether ``removals`` more articles would pass the limit (then the caller
        need not read them: the model will be recounted)."""
        if removals + (len(self.removed) + len(self.added)) // 2 > self.limit:
            self.usable = False
            self.removed, self.added = [], []
        return not self.usable


def _batches(texts: list[str], size: int = 2000) -> Iterable[list[str]]:
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


def _decoded(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    data = blob.tobytes()
    bounds = offsets.tolist()
    return [data[a:b].decode("utf-8") for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _counted(texts: Iterable[list[str]]) -> tuple[dict[str, Any], int]:
    """The model arrays of ``texts`` with every pair (none dropped for rarity)."""
    counter = WordCounter()
    articles = 0
    for batch in texts:
        counter.add(batch)
        articles += len(batch) // 2
    arrays, _ = model_arrays(counter, min_pair_count=1, with_deletes=False)
    return arrays, articles


def can_adjust(base: Path) -> bool:
    """Whether ``base``'s model may be adjusted (it reads, and fewer than
    `INCREMENTAL_UPDATES` adjustments led to it)."""
    try:
        _, meta = read_model(base / MODEL_NAME)
    except (OSError, ValueError):
        return False
    return int(meta.get("adjusted_updates", 0)) < INCREMENTAL_UPDATES


def adjusted_model(
    base: dict[str, np.ndarray],
    meta: dict[str, Any],
    added: dict[str, np.ndarray],
    removed: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``base``'s model arrays plus ``added``'s counts minus ``removed``'s (module
    docstring); arrays as `model_arrays` makes them."""
    parts = [base, added, removed]
    words = [_decoded(part["words"], part["word_offsets"]) for part in parts]
    displays = [_decoded(part["display"], part["display_offsets"]) for part in parts]
    merged = sorted(set(words[0]) | set(words[1]), key=lambda word: word.encode("utf-8"))
    number = {word: index for index, word in enumerate(merged)}
    remap = [
        np.fromiter((number.get(word, -1) for word in found), dtype=np.int64, count=len(found))
        for found in words
    ]
    counts = np.zeros(len(merged), dtype=np.int64)
    signs = (1, 1, -1)
    for sign, part, where in zip(signs, parts, remap, strict=True):
        known = where >= 0
        np.add.at(counts, where[known], sign * part["counts"].astype(np.int64)[known])
    display = [""] * len(merged)
    for forms, where in ((displays[1], remap[1]), (displays[0], remap[0])):
        for form, index in zip(forms, where.tolist(), strict=True):
            display[index] = form  # the base's form wins: written last
    keys: list[np.ndarray] = []
    values: list[np.ndarray] = []
    flag_parts: list[np.ndarray] = []
    for sign, part, where in zip(signs, parts, remap, strict=True):
        raw = part["pair_keys"].astype(np.int64)
        first, second = where[raw >> 32], where[raw & 0xFFFFFFFF]
        known = (first >= 0) & (second >= 0)
        keys.append((first[known] << 32) | second[known])
        values.append(sign * part["pair_counts"].astype(np.int64)[known])
        flag_parts.append(part["pair_flags"][known] if sign > 0 else np.zeros(0, np.uint8))
    all_keys = np.concatenate(keys)
    unique_keys, inverse = np.unique(all_keys, return_inverse=True)
    totals = np.bincount(inverse, weights=np.concatenate(values), minlength=len(unique_keys))
    flags = np.zeros(len(unique_keys), dtype=np.uint8)
    positive = len(keys[0]) + len(keys[1])
    order = np.arange(positive)[::-1]  # the base's flags win: written last
    flags[inverse[order]] = np.concatenate(flag_parts)[order]
    kept_pairs = totals >= MIN_PAIR_COUNT

    kept_words = counts > 0
    renumber = np.cumsum(kept_words) - 1
    final_words = [word for word, keep in zip(merged, kept_words.tolist(), strict=True) if keep]
    final_display = [form for form, keep in zip(display, kept_words.tolist(), strict=True) if keep]
    pair_keys = unique_keys[kept_pairs]
    first, second = pair_keys >> 32, pair_keys & 0xFFFFFFFF
    pair_alive = kept_words[first] & kept_words[second]
    pair_keys = (renumber[first[pair_alive]] << 32) | renumber[second[pair_alive]]

    base_owner = remap[0][base["delete_words"].astype(np.int64)]
    candidate = counts >= MIN_CANDIDATE_COUNT
    keep_entry = candidate[base_owner]
    hashes = [base["delete_hashes"][keep_entry].astype(np.uint32)]
    owners = [renumber[base_owner[keep_entry]]]
    was_candidate = np.zeros(len(merged), dtype=bool)
    was_candidate[remap[0][base["counts"] >= MIN_CANDIDATE_COUNT]] = True
    for index in np.flatnonzero(candidate & ~was_candidate).tolist():
        found = [delete_hash(text) for text in deletes(merged[index])]
        hashes.append(np.asarray(found, dtype=np.uint32))
        owners.append(np.full(len(found), renumber[index], dtype=np.int64))
    hash_array = np.concatenate(hashes)
    owner_array = np.concatenate(owners)
    order = np.lexsort((owner_array, hash_array))

    arrays = model_file_arrays(
        final_words,
        final_display,
        counts[kept_words],
        (pair_keys, totals[kept_pairs][pair_alive], flags[kept_pairs][pair_alive]),
        (hash_array[order], owner_array[order]),
    )
    tokens = int(meta.get("tokens", 0)) + int(added_tokens(added)) - int(added_tokens(removed))
    new_meta = {
        **meta,
        "tokens": tokens,
        "adjusted_updates": int(meta.get("adjusted_updates", 0)) + 1,
    }
    return arrays, new_meta


def added_tokens(arrays: dict[str, np.ndarray]) -> int:
    """Word occurrences counted in a delta's arrays."""
    return int(arrays["counts"].astype(np.int64).sum())


def write_adjusted_model(generation: Path, change: SpellingChange) -> ModelStats:
    """Write ``generation``'s model: its base's adjusted by ``change``."""
    started = time.perf_counter()
    base_arrays, meta = read_model(change.base / MODEL_NAME)
    plus, added_articles = _counted(_batches(change.added))
    minus, removed_articles = _counted(_batches(change.removed))
    arrays, new_meta = adjusted_model(base_arrays, meta, plus, minus)
    size = write_arrays(generation / MODEL_NAME, arrays, new_meta, MAGIC)
    return ModelStats(
        articles=added_articles - removed_articles,
        tokens=int(new_meta["tokens"]),
        words=int(arrays["counts"].size),
        pairs=int(arrays["pair_keys"].size),
        deletes=int(arrays["delete_hashes"].size),
        bytes=size,
        seconds=time.perf_counter() - started,
    )
