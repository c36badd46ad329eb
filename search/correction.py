"""Did-you-mean corrections: the closest indexed word, found within the time budget.

Whoosh's ``ReaderCorrector`` on an index of several segments computes a
Damerau-Levenshtein distance, in Python, against every word of the lexicon, for
each misspelled word: on Reuters-21578 a 959-character query of ten 95-letter
runs took 45 s. Here the same candidates are found with bounded work:

* a word that cannot be a word (longer than `MAX_WORD_CHARS`, or a run of
  `MAX_LETTER_RUN` or more of one letter) is not corrected at all, and at most
  `MAX_CORRECTED_WORDS` words of a query are;
* the lexicon is read once for all the words of a query, and a lexicon word is only
  measured when its length, and the letters it has that the word lacks (and the other
  way round), allow a distance within `MAX_DISTANCE` (each edit adds or removes at
  most one distinct letter);
* the walk stops at the search's `search.deadline.Deadline` (recorded as a cut of
  ``did-you-mean``), answering with what it found so far.

The choice among candidates is Whoosh's (``ReaderCorrector``): any indexed word
within the distance, the most frequent first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from whoosh.reading import IndexReader
from whoosh.support.levenshtein import damerau_levenshtein

from search.deadline import Deadline

__all__ = ["MAX_CORRECTED_WORDS", "MAX_WORD_CHARS", "closest_words", "correctable"]

#: Largest edit distance of a correction.
MAX_DISTANCE = 2
#: Longer words are not corrected (no word of a natural-language lexicon is near them).
MAX_WORD_CHARS = 32
#: A run of this many of one letter (``sssss``) is no word.
MAX_LETTER_RUN = 4
#: Misspelled words of one query that get a correction at most.
MAX_CORRECTED_WORDS = 8
#: The step name a cut correction walk is recorded under.
STEP = "did-you-mean"
_RUN = re.compile(rf"(.)\1{{{MAX_LETTER_RUN - 1},}}")


def correctable(word: str) -> bool:
    """Whether ``word`` could be a misspelled word worth looking up."""
    return 0 < len(word) <= MAX_WORD_CHARS and _RUN.search(word) is None


def _near(word: str, letters: frozenset[str], other: str) -> bool:
    """Whether ``other`` is within `MAX_DISTANCE` edits of ``word`` (``letters`` are
    ``word``'s own), testing the cheap necessary conditions first."""
    if abs(len(word) - len(other)) > MAX_DISTANCE:
        return False
    theirs = set(other)
    if len(theirs - letters) > MAX_DISTANCE or len(letters - theirs) > MAX_DISTANCE:
        return False
    return damerau_levenshtein(word, other, MAX_DISTANCE) <= MAX_DISTANCE


def closest_words(
    reader: IndexReader, fieldname: str, words: Iterable[str], deadline: Deadline
) -> dict[str, str]:
    """For each of ``words`` (lower case) that is `correctable`, the indexed word of
    ``fieldname``'s spelling field closest to it, when one is within `MAX_DISTANCE`
    (the most frequent in ``fieldname`` of those; ties to the greater word, as in
    Whoosh). Stops at ``deadline`` with the candidates found so far."""
    wanted = list(dict.fromkeys(word for word in words if correctable(word)))
    wanted = wanted[:MAX_CORRECTED_WORDS]
    if not wanted or fieldname not in reader.schema:
        return {}
    spelling = reader.schema[fieldname].spelling_fieldname(fieldname)
    shortest = min(len(word) for word in wanted) - MAX_DISTANCE
    longest = 4 * (max(len(word) for word in wanted) + MAX_DISTANCE)  # UTF-8 bytes at most
    letters = {word: frozenset(word) for word in wanted}
    candidates: dict[str, set[str]] = {word: set() for word in wanted}
    for leaf, _ in reader.leaf_readers():
        if spelling not in leaf.indexed_field_names():
            continue
        for btext in deadline.until(leaf.lexicon(spelling), STEP, every=256):
            if not shortest <= len(btext) <= longest:
                continue
            other = btext.decode("utf-8")
            for word in wanted:
                if _near(word, letters[word], other):
                    candidates[word].add(other)
    found = {}
    for word, near in candidates.items():
        if near:
            # Whoosh's ReaderCorrector score: -(maxdist + 0.5 / frequency), greatest wins.
            found[word] = max(
                near,
                key=lambda text: (
                    -(MAX_DISTANCE + 0.5 / (reader.frequency(fieldname, text) or 1)),
                    text,
                ),
            )
    return found
