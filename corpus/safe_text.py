"""Text that always encodes to UTF-8: lone surrogates replaced, undecodable file names escaped.

Python strings may hold lone surrogates (U+D800-U+DFFF) that no UTF-8 encoder accepts:
JSON escapes such as ``"\\ud83d"`` decode to one, and a file name with bytes that are not
UTF-8 reaches Python as surrogate escapes (``bad\\xff.jsonl`` -> ``'bad\\udcff.jsonl'``).
Hashing, indexing or printing such a string raises ``UnicodeEncodeError``. These helpers
are the one place that turns them into valid text.
"""

from __future__ import annotations

import os
import re
from pathlib import PurePath

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    """True when ``text`` holds a surrogate code point (so it cannot be encoded as UTF-8)."""
    return _SURROGATE.search(text) is not None


def valid_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (a valid pair becomes its
    character); text without surrogates is returned as it is."""
    if not has_surrogates(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def printable_path(text: str) -> str:
    """A path (or an origin built from one) as valid text: the bytes of a file name that
    are not UTF-8 are written as ``\\xNN`` escapes (``bad\\xff\\xfename.jsonl``); other
    surrogates become U+FFFD. Only for showing and storing: open files by their real path.
    """
    if not has_surrogates(text):
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates that are not escaped file-name bytes
        return valid_text(text)
    return raw.decode("utf-8", "backslashreplace")


def path_text(path: str | os.PathLike[str] | PurePath) -> str:
    """The origin text of a file path: `printable_path` of its string form."""
    return printable_path(os.fspath(path))
