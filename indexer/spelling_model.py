"""The spelling model of a generation: the archive's surface words, their counts and pairs.

`write_spelling_model` is called by every build and update after the articles are
committed and before the generation is verified and published, so the model is
swapped in with the index it describes (an optimize keeps its base's model, since
the articles are the same). It counts the title and body of every live article
once (`indexer.word_counts.WordCounter`) and writes ``spelling.bin`` into the
generation folder. A build from nothing counts in its indexing workers as they index
(`indexer.whoosh.pipeline`); a recount reads the stored texts back (the backend hands
them over). The file holds:

``words``
    every distinct word of two or more letters as written (letters only; a
    possessive ``'s`` is dropped: "Bush's" counts as "bush"), lowercased and sorted
    by UTF-8 bytes, with how often it occurs and its most common written form
    ("York", "NATO", "climate"), so a suggestion is a word of the archive, never a stem;
``pairs``
    two words that follow each other with nothing but a space between them, seen
    at least `MIN_PAIR_COUNT` times, keyed ``first << 32 | second`` (word numbers),
    with their count and which of the two are capitalised in the pair's most common
    written form ("New York" although "new" alone is lower case);
``deletes``
    the symmetric-delete index of SymSpell (Wolf Garbe, MIT) over the words seen at
    least `MIN_CANDIDATE_COUNT` times: for every string made by deleting up to
    `MAX_EDITS` letters from a word's first `PREFIX_LENGTH` letters, its CRC-32 and the
    word, sorted by hash. A misspelling's own deletes find every word within
    `MAX_EDITS` edits by binary search (`search.spelling`).

The file is a small JSON header followed by raw arrays (`indexer.array_file`), read
in place with ``mmap`` (`read_model`): the worker processes of a server share one
copy in the page cache, and opening a model costs no parsing.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.array_file import read_arrays, write_arrays
from indexer.word_counts import CounterState, WordCounter

MODEL_NAME = "spelling.bin"
MAGIC = b"BSSPELL1"
#: Fewest occurrences of a pair kept (pairs seen once are mostly noise).
MIN_PAIR_COUNT = 2
#: Fewest occurrences of a word offered as a correction (words seen once are often typos).
MIN_CANDIDATE_COUNT = 2
#: Most letters deleted per string in the delete index, and how many leading letters count.
MAX_EDITS = 2
PREFIX_LENGTH = 7


@dataclass(frozen=True, slots=True)
class ModelStats:
    """What `write_spelling_model` counted and wrote."""

    articles: int
    tokens: int
    words: int
    pairs: int
    deletes: int
    bytes: int
    seconds: float


def _first_per_group(
    groups: np.ndarray, counts: np.ndarray, tie: np.ndarray | None = None
) -> np.ndarray:
    """Positions of the largest count of each group (ties: the lowest ``tie`` value,
    then the lowest position)."""
    tie = np.zeros(len(groups), dtype=bool) if tie is None else tie
    order = np.lexsort((np.arange(len(groups)), tie, -counts, groups))
    first = np.ones(len(order), dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    return order[first]


def deletes(word: str, max_edits: int = MAX_EDITS, prefix: int = PREFIX_LENGTH) -> set[str]:
    """Strings made by deleting up to ``max_edits`` letters from ``word[:prefix]``
    (the word's prefix itself included; never the empty string)."""
    start = word[:prefix]
    found = {start}
    frontier = {start}
    for _ in range(max_edits):
        frontier = {
            text[:i] + text[i + 1 :] for text in frontier if len(text) > 1 for i in range(len(text))
        }
        found |= frontier
    return found


def delete_hash(text: str) -> int:
    """The stable 32-bit hash of a delete string (CRC-32 of its UTF-8 bytes)."""
    return zlib.crc32(text.encode("utf-8"))


def _strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
    np.cumsum([len(item) for item in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def model_file_arrays(
    words: list[str],
    display: list[str],
    counts: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    delete_index: tuple[np.ndarray, np.ndarray],
) -> dict[str, np.ndarray]:
    """The arrays of a model file, by the names `search.spelling` reads: the words
    (sorted) and their written forms, each word's count, the pairs (keys, counts,
    flags) and the delete index (hashes, word numbers), all sorted as the file keeps them."""
    words_blob, words_offsets = _strings(words)
    display_blob, display_offsets = _strings(display)
    return {
        "words": words_blob,
        "word_offsets": words_offsets,
        "display": display_blob,
        "display_offsets": display_offsets,
        "counts": counts.astype(np.uint32),
        "pair_keys": pairs[0].astype(np.uint64),
        "pair_counts": pairs[1].astype(np.uint32),
        "pair_flags": pairs[2].astype(np.uint8),
        "delete_hashes": delete_index[0].astype(np.uint32),
        "delete_words": delete_index[1].astype(np.uint32),
    }


def read_model(path: Path, mapped: bool = True) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """A model file's arrays and meta (`indexer.array_file.read_arrays`)."""
    return read_arrays(path, MAGIC, mapped)


def model_arrays(
    counter: WordCounter, min_pair_count: int = MIN_PAIR_COUNT, with_deletes: bool = True
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Fold the written forms of `WordCounter` into the model's arrays (module
    docstring); pairs seen fewer than ``min_pair_count`` times are dropped, and the
    delete index is left empty unless ``with_deletes``."""
    cased = counter.cased_words
    cased_counts = counter.unigrams()
    lowered = [word.lower() for word in cased]
    words = sorted(set(lowered), key=lambda word: word.encode("utf-8"))
    number = {word: index for index, word in enumerate(words)}
    lower_of = np.fromiter(map(number.__getitem__, lowered), dtype=np.int64, count=len(cased))
    counts = np.bincount(lower_of, weights=cased_counts, minlength=len(words)).astype(np.uint32)
    dominant = np.full(len(words), -1, dtype=np.int64)
    capital = np.fromiter((word[:1].isupper() for word in cased), dtype=bool, count=len(cased))
    # A capitalised form must outnumber the lower-case one: a headline's "Voters" ties.
    best = _first_per_group(lower_of, cased_counts, tie=capital)
    dominant[lower_of[best]] = best
    display = [cased[index] for index in dominant.tolist()]

    keys, pair_counts = counter.pairs()
    first, second = keys >> 32, keys & 0xFFFFFFFF
    lower_keys = (lower_of[first] << 32) | lower_of[second]
    unique_keys, inverse = np.unique(lower_keys, return_inverse=True)
    totals = np.bincount(inverse, weights=pair_counts).astype(np.int64)
    top = _first_per_group(inverse, pair_counts)
    flags = np.zeros(len(unique_keys), dtype=np.uint8)
    flags[inverse[top]] = capital[first[top]].astype(np.uint8) | (
        capital[second[top]].astype(np.uint8) << 1
    )
    kept = totals >= min_pair_count

    hashes: list[int] = []
    owners: list[int] = []
    candidates = (counts >= MIN_CANDIDATE_COUNT).tolist()
    for index, word in enumerate(words if with_deletes else ()):
        if candidates[index]:
            found = list(map(zlib.crc32, map(str.encode, deletes(word))))  # delete_hash
            hashes += found
            owners += [index] * len(found)
    hash_array = np.asarray(hashes, dtype=np.uint32)
    order = np.argsort(hash_array, kind="stable")
    arrays = model_file_arrays(
        words,
        display,
        counts,
        (unique_keys[kept], totals[kept], flags[kept]),
        (hash_array[order], np.asarray(owners, dtype=np.uint32)[order]),
    )
    meta = {
        "tokens": counter.tokens,
        "max_edits": MAX_EDITS,
        "prefix_length": PREFIX_LENGTH,
        "min_candidate_count": MIN_CANDIDATE_COUNT,
        "min_pair_count": MIN_PAIR_COUNT,
    }
    return arrays, meta


def write_spelling_model(generation: Path, texts: Iterable[list[str]]) -> ModelStats:
    """Count ``texts`` (batches of the titles and bodies of the live articles of
    ``generation``, two strings per article) and write the generation's
    ``spelling.bin``."""
    started = time.perf_counter()
    counter = WordCounter()
    strings = 0
    for batch in texts:
        counter.add(batch)
        strings += len(batch)
    arrays, meta = model_arrays(counter)
    return save_model(generation, arrays, meta, strings // 2, started)


def save_model(
    generation: Path,
    arrays: dict[str, np.ndarray],
    meta: dict[str, Any],
    articles: int,
    started: float,
) -> ModelStats:
    """Write `model_arrays`' ``arrays`` and ``meta``, counted over ``articles`` live
    articles since ``started`` (``time.perf_counter``), as the ``spelling.bin`` of
    ``generation``. A build's indexing workers count as they index
    (`indexer.whoosh.pipeline`), so a build only folds their counts and saves."""
    size = write_arrays(generation / MODEL_NAME, arrays, meta, MAGIC)
    return ModelStats(
        articles=articles,
        tokens=int(meta["tokens"]),
        words=int(arrays["counts"].size),
        pairs=int(arrays["pair_keys"].size),
        deletes=int(arrays["delete_hashes"].size),
        bytes=size,
        seconds=time.perf_counter() - started,
    )


__all__ = [
    "MODEL_NAME",
    "MAGIC",
    "CounterState",
    "ModelStats",
    "WordCounter",
    "delete_hash",
    "deletes",
    "model_arrays",
    "model_file_arrays",
    "read_model",
    "save_model",
    "write_spelling_model",
]
