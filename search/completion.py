"""Autocomplete that continues the phrase, from a generation's spelling model.

``complete(model, "climate ch")``: the words starting with ``ch`` that follow
``climate`` in the archive, most frequent pair first ("climate change"), then the
other words starting with ``ch``, most frequent first. A prefix that ends with a
space asks for the words that most often follow its last word. Words are written
as the archive writes them, as a pair when the pair has its own form ("new yo" ->
"New York"); what comes before the last two words is kept as typed.
"""

from __future__ import annotations

import re

from search.spelling import SpellingModel

__all__ = ["complete"]

#: Letters the last word needs before completions are offered without context.
MIN_PREFIX = 2
_WORD = re.compile(r"[^\W\d_]+")


def _word_of(token: str) -> str | None:
    """The letters of a typed token when it is one plain word (quotes, brackets aside)."""
    core = token.strip("\"'()")
    return core if _WORD.fullmatch(core) else None


def complete(model: SpellingModel, text: str, limit: int = 10) -> list[str]:
    """Up to ``limit`` completions of ``text`` (whole phrases), best first."""
    if limit <= 0 or not text.strip():
        return []
    tokens = text.split()
    if text[-1:].isspace():
        head, last = tokens, ""
    else:
        head, last = tokens[:-1], tokens[-1]
    if last and _word_of(last) != last:
        return []  # syntax being typed (field:, "quote, wildcard): nothing to offer
    previous_word = _word_of(head[-1]) if head else None
    previous = model.find(previous_word.lower()) if previous_word else None
    if previous is None and len(last) < MIN_PREFIX:
        return []
    low, high = model.prefix_range(last.lower()) if last else (0, len(model))
    found: dict[int, str] = {}
    if previous is not None:
        numbers, _, flags = model.followers(previous, low, high)
        for number, flag in zip(numbers[:limit].tolist(), flags[:limit].tolist(), strict=True):
            before = head[-1]
            if (
                flag == 3 and before.islower() and previous_word
            ):  # a name: "New York", not "The minister"
                before = before.replace(previous_word, model.written(previous, True))
            found[number] = " ".join([*head[:-1], before, model.written(number, bool(flag & 2))])
    if last:
        for number in model.frequent(low, high, limit):
            if len(found) >= limit:
                break
            found.setdefault(number, " ".join([*head, model.written(number)]))
    return list(found.values())[:limit]
