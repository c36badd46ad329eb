"""Query text repairs every backend makes before parsing (each reported as a notice).

`repair_fields` maps field names a user may type to the backend's and reads an unknown
``name:`` (as in ``http://x``) as the word ``name``; `balance` closes or drops unbalanced
quotes and brackets; `rewrite_plus_minus` turns ``-word`` into ``NOT word`` and drops
``+``. The Whoosh parser (`search.whoosh.query`) and the OpenSearch translator
(`search.opensearch.query`) both start from their output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: The field names a user may type (``tags`` is read as ``tag``).
QUERY_FIELD_NAMES = ("title", "body", "tag", "source", "author")
USER_FIELDS = {name: name for name in QUERY_FIELD_NAMES} | {"tags": "tag"}

# "-word" / "-\"a phrase\"" / "-(a b)" at the start of a clause means NOT.
_MINUS = re.compile(r"(?:(?<=[\s(])|^)-(?=[\w\"(])", re.UNICODE)
_PLUS = re.compile(r"(?:(?<=[\s(])|^)\+(?=[\w\"(])", re.UNICODE)
_FIELD = re.compile(r"(?P<name>[^\s\"():\[\]{}]+):", re.UNICODE)
_QUOTED = re.compile(r"\"[^\"]*\"")


def rewrite_plus_minus(text: str) -> str:
    """Turn ``-word`` into ``NOT word`` and drop ``+`` (every word is required anyway)."""
    return _PLUS.sub("", _MINUS.sub("NOT ", text))


def repair_fields(text: str, notices: list[str], fields: Mapping[str, str] = USER_FIELDS) -> str:
    """Map the field names of ``fields`` (typed name, lowercased -> the backend's);
    read an unknown ``name:`` (outside quotes) as the word ``name``."""
    unknown: list[str] = []

    def fix(match: re.Match[str]) -> str:
        name = match["name"]
        known = fields.get(name.lower())
        if known:
            return f"{known}:"
        unknown.append(name)
        return f"{name} "

    pieces, cursor = [], 0
    for quoted in _QUOTED.finditer(text):
        pieces.append(_FIELD.sub(fix, text[cursor : quoted.start()]))
        pieces.append(quoted[0])
        cursor = quoted.end()
    pieces.append(_FIELD.sub(fix, text[cursor:]))
    if unknown:
        names = ", ".join(sorted({f"{name[:30]}:" for name in unknown}))
        notices.append(
            f"{names} is not a field you can search, so it was read as words "
            "(fields: title, body, tag, ...)."
        )
    return "".join(pieces)


def balance(text: str, notices: list[str]) -> str:
    """Drop a trailing unmatched quote, unmatched ``)`` and close open ``(``."""
    if text.count('"') % 2:
        cut = text.rfind('"')
        text = text[:cut] + " " + text[cut + 1 :]
        notices.append("A quotation mark without its pair was ignored.")
    depth, kept = 0, []
    in_quote = False
    dropped = False
    for char in text:
        if char == '"':
            in_quote = not in_quote
        elif not in_quote and char == "(":
            depth += 1
        elif not in_quote and char == ")":
            if depth == 0:
                dropped = True
                continue
            depth -= 1
        kept.append(char)
    if depth or dropped:
        notices.append("Brackets without their pair were ignored.")
    for stray in ("[", "]", "{", "}"):
        if stray in text:
            kept = [" " if char in "[]{}" else char for char in kept]
            notices.append("Square and curly brackets are not search syntax here and were ignored.")
            break
    return "".join(kept) + ")" * depth


__all__ = ["QUERY_FIELD_NAMES", "USER_FIELDS", "balance", "repair_fields", "rewrite_plus_minus"]
