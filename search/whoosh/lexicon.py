"""A field's whole lexicon in memory, for expanding wildcards and prefixes fast.

Whoosh expands ``*tion`` by walking every term of the field through its merged
lexicon iterator in Python (a quarter of a second on Reuters' 55,000 terms, every
time), and a prefix by walking its terms and looking up each one's frequency
(``s*``: thousands). Here each expanded field's terms are read once per index
snapshot (reader) into a sorted list with their document frequencies, and joined
into one newline-separated text, so that:

* a wildcard is one regular-expression pass over that text in C (`FieldLexicon.matching`),
* a prefix is two binary searches (`FieldLexicon.with_prefix`),
* the most frequent of the matches are chosen from an array.

The tables live as long as their reader (a weak reference), so a new generation or
commit gets new ones. Reading them costs about 0.2 s on Reuters: it is done within the
searches' deadlines and resumed by the next search (`_Reading`), which meanwhile walks
the lexicon as before. A field whose terms hold a newline is not held (the joined text
would be ambiguous).
"""

from __future__ import annotations

import bisect
import re
import struct
import threading
import weakref
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from whoosh.reading import IndexReader

from search.deadline import Deadline

__all__ = ["FieldLexicon", "field_lexicon", "wildcard_regex"]

#: Frequencies in a ``W3TermInfo`` record: an unsigned int after a byte and a float.
_DOC_FREQUENCY = struct.Struct("!I")
_DOC_FREQUENCY_AT = 5
#: A field whose terms cannot be held (one holds a newline).
_NOT_HELD = "not held"
_lexicons: weakref.WeakKeyDictionary[IndexReader, dict[str, FieldLexicon | _Reading | str]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()
_LAST_CHARACTER = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class FieldLexicon:
    """One field's terms (sorted as Whoosh sorts them: by UTF-8 bytes, which is code
    point order), their document frequencies, and the terms joined by newlines."""

    terms: list[str]
    frequencies: np.ndarray
    text: str
    starts: np.ndarray

    @classmethod
    def from_counts(cls, counted: Mapping[bytes, int]) -> FieldLexicon | None:
        """The lexicon of these terms and frequencies (None when a term holds a newline)."""
        ordered = sorted(counted)
        terms = [btext.decode("utf-8") for btext in ordered]
        if any("\n" in term for term in terms):
            return None
        lengths = np.fromiter((len(term) + 1 for term in terms), dtype=np.int64, count=len(terms))
        starts = np.zeros(len(terms), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        frequencies = np.fromiter(
            (counted[btext] for btext in ordered), dtype=np.int64, count=len(ordered)
        )
        return cls(terms, frequencies, "\n".join(terms), starts)

    def matching(self, pattern: re.Pattern[str]) -> np.ndarray:
        """Positions of the terms ``pattern`` (from `wildcard_regex`) matches, ascending."""
        offsets = [found.start() for found in pattern.finditer(self.text)]
        return np.searchsorted(self.starts, np.array(offsets, dtype=np.int64))

    def with_prefix(self, prefix: str) -> np.ndarray:
        """Positions of the terms that start with ``prefix``."""
        low = bisect.bisect_left(self.terms, prefix)
        high = bisect.bisect_left(self.terms, prefix + _LAST_CHARACTER, lo=low)
        return np.arange(low, high, dtype=np.int64)

    def most_frequent(self, positions: np.ndarray, limit: int) -> list[str]:
        """The ``limit`` most frequent terms at ``positions``, in that order (ties in
        lexicon order)."""
        order = np.lexsort((positions, -self.frequencies[positions]))[:limit]
        return [self.terms[int(position)] for position in positions[order]]


def _leaf_terms(leaf: IndexReader, fieldname: str) -> Iterator[tuple[bytes, int]]:
    """(term, document frequency) of ``fieldname`` in one segment. Whoosh's own
    ``iter_field`` decodes every term's whole record; the frequency is 4 bytes at a
    fixed place of it (``W3TermInfo``), read here from the terms table directly, with
    ``iter_field`` for any other codec."""
    table = getattr(getattr(leaf, "_terms", None), "_tindex", None)
    keycoder = getattr(getattr(leaf, "_terms", None), "_keycoder", None)
    if table is None or keycoder is None or not hasattr(table, "items_from"):
        for btext, info in leaf.iter_field(fieldname):
            yield btext, info.doc_frequency()
        return
    prefix = keycoder(fieldname, b"")
    size = len(prefix)
    unpack = _DOC_FREQUENCY.unpack_from
    for key, value in table.items_from(prefix):
        if not key.startswith(prefix):
            return
        yield key[size:], unpack(value, _DOC_FREQUENCY_AT)[0]


class _Reading:
    """A field's lexicon being read, resumable: each search reads on until its
    deadline, so a large lexicon is read over several searches, never past one's
    time limit (those searches walk the lexicon as Whoosh does)."""

    def __init__(self, reader: IndexReader, fieldname: str) -> None:
        self.counted: Counter[bytes] = Counter()
        self.items = (
            item
            for leaf, _ in reader.leaf_readers()
            if fieldname in leaf.indexed_field_names()
            for item in _leaf_terms(leaf, fieldname)
        )

    def advance(self, deadline: Deadline) -> bool:
        """Read on until done (True) or ``deadline`` passed (False)."""
        counted = self.counted
        for number, (btext, frequency) in enumerate(self.items):
            counted[btext] += frequency
            if not number & 4095 and deadline.expired():
                return False
        return True


def field_lexicon(
    reader: IndexReader, fieldname: str, deadline: Deadline | None = None
) -> FieldLexicon | None:
    """``fieldname``'s `FieldLexicon` for ``reader``; read on first use until
    ``deadline`` (default: to the end), resumed by later calls; None until it is read,
    or when the field cannot be held."""
    with _lock:
        held = _lexicons.setdefault(reader, {})
        found = held.get(fieldname)
        if found is None:
            found = held[fieldname] = _Reading(reader, fieldname)
        if isinstance(found, _Reading):
            if not found.advance(deadline or Deadline.unlimited()):
                return None
            found = held[fieldname] = FieldLexicon.from_counts(found.counted) or _NOT_HELD
        return found if isinstance(found, FieldLexicon) else None


def wildcard_regex(text: str) -> re.Pattern[str]:
    """A multi-line pattern matching whole lines that ``text`` (``*`` any characters,
    ``?`` one) matches, as Whoosh's ``Wildcard`` does.

    The pieces between stars have a fixed length, so the first place a piece fits is
    always as good as any later one: each middle piece is found by an atomic group
    that never backtracks (as ``fnmatch.translate`` does). One ``[^\\n]*`` per star
    would backtrack over every way to place the pieces: ``*a*a*a*a*a*a*a*a*b`` took
    21 s over ten 40-letter lines, in C, beyond the search time limit."""
    pieces = ["".join("[^\n]" if c == "?" else re.escape(c) for c in p) for p in text.split("*")]
    if len(pieces) == 1:
        body = pieces[0]
    else:
        middle = "".join(f"(?>[^\n]*?{piece})" for piece in pieces[1:-1] if piece)
        body = f"{pieces[0]}{middle}[^\n]*{pieces[-1]}"
    return re.compile(f"^{body}$", re.MULTILINE)
