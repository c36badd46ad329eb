"""Phrase matching by positions, only on the documents that hold every word.

Whoosh checks a phrase with span matchers that walk every posting of every word.
Here the caller first intersects the words' documents (vectors, in C); the
positions of those candidates alone are read (`indexer.whoosh.postings.read_values`) and
decoded, and each word must follow the span so far within ``slop`` positions:
Whoosh's ``SpanNear2(ordered=True, mindist=1)``, the matcher behind its ``Phrase``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from whoosh.reading import IndexReader

from indexer.whoosh.postings import DirectoryCache, decode_positions, read_values

__all__ = ["verify_phrase"]


def verify_phrase(
    reader: IndexReader,
    fieldname: str,
    words: Sequence[str],
    slop: int,
    candidates: np.ndarray,
    stop: Callable[[], bool],
    directories: DirectoryCache | None = None,
) -> tuple[np.ndarray, bool]:
    """The ``candidates`` (a boolean vector of documents holding every word) where the
    words occur in order, each within ``slop`` positions of the one before; and
    whether every candidate was checked (false once ``stop()`` answered true, checked
    every 256 documents: the matches found so far). ``directories`` keeps the words'
    block directories, so that only the blocks holding candidates are read."""
    field = reader.schema[fieldname]
    wanted = np.flatnonzero(candidates)
    values = [
        read_values(reader, fieldname, field.to_bytes(word), wanted, directories) for word in words
    ]
    slow = field.format.decode_positions
    steps = range(1, slop + 1)
    found = np.zeros(len(candidates), dtype=bool)
    for count, doc in enumerate(wanted.tolist()):
        if not count & 255 and stop():
            return found, False
        ends = set(decode_positions(values[0][doc], slow))
        for word_values in values[1:]:
            # Positions of this word within ``slop`` after a span's end: the new ends.
            reach = {end + step for end in ends for step in steps}
            ends = reach.intersection(decode_positions(word_values[doc], slow))
            if not ends:
                break
        if ends:
            found[doc] = True
    return found, True
