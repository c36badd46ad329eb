"""Did-you-mean on OpenSearch: its term suggester over the unstemmed body words.

A query of plain words (no operators, fields, quotes or wildcards) carries a ``term``
suggester in its search request (`suggester`): each word the archive does not have
(``suggest_mode: missing``; a word the archive has stays as typed) gets its closest
indexed word within two edits, the most frequent among equals. The corrected text
(`corrected_text`) is then used as on Whoosh (`search.whoosh.engine`): when the query
found nothing, its results are shown at once (``corrected_query``); otherwise it is
offered (``suggestion``) when it finds clearly more articles (`worth_suggesting`).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SUGGEST_FIELD", "corrected_text", "suggester", "worth_suggesting"]

#: The field whose words corrections come from (as written, lowercased).
SUGGEST_FIELD = "body.exact"
#: Longest query (in words) that is checked.
MAX_WORDS = 8
_PLAIN = re.compile(r"[^\W\d_]+(?:\s+[^\W\d_]+)*", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT"}


def _plain_words(text: str) -> list[str] | None:
    """The words of a plain-word query, else None."""
    text = text.strip()
    if not _PLAIN.fullmatch(text):
        return None
    words = text.split()
    if len(words) > MAX_WORDS or _OPERATORS & set(words):
        return None
    return words


def suggester(text: str) -> dict[str, Any] | None:
    """The ``suggest`` section for a search of ``text`` (None: not plain words)."""
    if _plain_words(text) is None:
        return None
    return {
        "text": text.strip(),
        "spelling": {
            "term": {
                "field": SUGGEST_FIELD,
                "suggest_mode": "missing",
                "size": 1,
                "min_word_length": 3,
                "prefix_length": 1,
                "max_edits": 2,
                "sort": "score",
            }
        },
    }


def corrected_text(result: dict[str, Any], text: str) -> str | None:
    """``text`` with each word replaced by its suggestion, or None when none changed."""
    words = _plain_words(text)
    entries = result.get("suggest", {}).get("spelling", ())
    if words is None or not entries:
        return None
    replaced = {}
    for entry in entries:
        options = entry.get("options") or ()
        if options:
            replaced[str(entry["text"]).lower()] = str(options[0]["text"])
    if not replaced:
        return None
    fixed = [replaced.get(word.lower(), word) for word in words]
    return " ".join(fixed) if fixed != words else None


def worth_suggesting(typed_total: int, corrected_total: int) -> bool:
    """Whether a correction finds clearly more: more when the query found fewer than 5,
    ten times as many otherwise (Broadsheet's rule on every backend)."""
    if typed_total < 5:
        return corrected_total > typed_total
    return corrected_total >= 10 * typed_total
