"""Whoosh's TEXT field with a fast indexing path (`FastText`).

`FastText.index` computes the postings Whoosh's ``Positions`` format would give,
from the analyzer taken apart by `indexer.analysis.analysis_parts`, without a
generator of Token objects per word; anything it cannot take apart goes to
Whoosh's own code.
"""

from __future__ import annotations

from itertools import compress
from pickle import dumps
from typing import Any

from whoosh.fields import TEXT
from whoosh.formats import Positions
from whoosh.system import pack_uint

from indexer.analysis import AnalysisParts, analysis_parts

#: Encoded values of a term at one position, by position (most postings).
DEFAULT_SINGLE_VALUES_SIZE = 20_000
SINGLE_VALUES_SIZE = DEFAULT_SINGLE_VALUES_SIZE
_SINGLE_VALUES: dict[int, bytes] = {}
#: ``count * 1.0`` for small counts, one shared float object each.
_UNIT_WEIGHTS = tuple(count * 1.0 for count in range(64))


def positions_postings(
    parts: AnalysisParts, words: list[str], field_boost: float
) -> list[tuple[bytes, int, float, bytes]]:
    """What Whoosh's ``Positions.word_values`` gives for these tokens, encoded as
    ``TEXT.index`` returns it: (term bytes, frequency, weight, positions value).

    Positions are renumbered past stop words as Whoosh's ``StopFilter`` does: the
    first kept word keeps its token index, each later kept word is one more.
    """
    return _postings(parts.index_stems(words), field_boost)


def _postings(stems: list[bytes], field_boost: float) -> list[tuple[bytes, int, float, bytes]]:
    """`positions_postings` from the tokens' stems (``b""`` for a dropped token)."""
    kept = list(filter(None, stems))
    if not kept:
        return []
    first = 0
    while not stems[first]:
        first += 1
    poses: dict[bytes, list[int]] = {}
    for position, stem in enumerate(kept, first):
        found = poses.get(stem)
        if found is None:
            poses[stem] = [position]
        else:
            found.append(position)
    postings = []
    single = _SINGLE_VALUES
    weights = _UNIT_WEIGHTS if field_boost == 1.0 else None
    for stem, poslist in poses.items():
        count = len(poslist)
        if count == 1:
            value = single.get(poslist[0])
            if value is None:
                value = pack_uint(1) + dumps(poslist, 2)
                if len(single) < SINGLE_VALUES_SIZE:
                    single[poslist[0]] = value
        else:
            deltas = [poslist[0]]
            deltas += [b - a for a, b in zip(poslist, poslist[1:], strict=False)]
            value = pack_uint(count) + dumps(deltas, 2)
        weight = weights[count] if weights is not None and count < 64 else count * field_boost
        postings.append((stem, count, weight, value))
    return postings


class FastText(TEXT):
    """A TEXT field whose indexing skips Whoosh's per-token generator chain.

    When the analyzer is a plain tokenize-lowercase-stop-stem chain and the format
    stores positions only, `index` computes the same postings with a regex
    ``findall`` and a stem memo, and remembers the words so that `spellable_words`
    (the did-you-mean word list) needs no second analysis. Anything else falls back
    to Whoosh's own code.
    """

    #: The text, words and stems `index` saw last, for `spelling_set` (None: used up).
    _spelling: tuple[str, list[str], list[bytes]] | None = None

    def index(self, value: Any, **kwargs: Any) -> Any:
        """(term bytes, frequency, weight, value) for each distinct term of ``value``."""
        parts = analysis_parts(self.analyzer)
        if (
            parts is None
            or not isinstance(value, str)
            or type(self.format) is not Positions
            or set(kwargs) - {"mode"}
        ):
            return super().index(value, **kwargs)
        words = parts.words(value)
        stems = parts.index_stems(words)
        self._spelling = (value, words, stems)
        return _postings(stems, self.format.field_boost)

    def spellable_words(self, value: Any) -> Any:
        """The distinct unstemmed non-stop words, sorted (reusing `index`'s tokens)."""
        words = self.spelling_set(value)
        if words is None:
            return super().spellable_words(value)
        return iter(sorted(words))

    def spelling_set(self, value: Any) -> set[str] | None:
        """`spellable_words` as a set, from the tokens `index` just saw for ``value``
        (None when it did not: ask `spellable_words`)."""
        cached: tuple[str, list[str], list[bytes]] | None = getattr(self, "_spelling", None)
        if cached is None or cached[0] is not value:
            return None
        self._spelling = None
        return set(compress(cached[1], cached[2]))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_spelling", None)
        return state


__all__ = ["FastText", "positions_postings"]
