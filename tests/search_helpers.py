"""Helpers for the search time-limit tests: corpora that make a step expensive, and a
clock a test controls."""

from __future__ import annotations

import json
import random
from pathlib import Path

from corpus import ReadReport
from indexer.whoosh.build import build_from_paths

#: Letters of the random words (no repeated letter runs come out of them by design).
LETTERS = "abcdefghiklmnoprstuvw"


def random_word_corpus(
    folder: Path, files: int = 2, per_file: int = 1500, seed: int = 5
) -> list[Path]:
    """``files`` JSONL files of articles made of random 5-9 letter words (about 20 new
    words an article: a lexicon of tens of thousands of words, as a real archive has),
    each article also holding the word ``election``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(files):
        path = folder / f"words-{number}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for item in range(per_file):
                words = [
                    "".join(rng.choice(LETTERS) for _ in range(rng.randint(5, 9)))
                    for _ in range(20)
                ]
                record = {
                    "id": f"w{number}-{item}",
                    "title": " ".join(words[:4]),
                    "body": " ".join(words) + " election",
                }
                handle.write(json.dumps(record) + "\n")
        paths.append(path)
    return paths


def build_words_index(folder: Path) -> Path:
    """An index of `random_word_corpus` (3,000 articles, a 60,000-word lexicon) in two
    segments (two indexing workers), as a real archive has; returns its folder."""
    paths = random_word_corpus(folder / "src")
    build_from_paths([str(p) for p in paths], folder / "ix", ReadReport(), workers=2)
    return folder / "ix"


class SteppingClock:
    """A clock for `search.deadline.Deadline` that stands still until ``advance``."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.now += seconds
