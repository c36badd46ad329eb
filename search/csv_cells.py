"""Spreadsheet-safe CSV cells and download file names, for every CSV Broadsheet writes.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by spreadsheet programs (CSV injection, OWASP): such a cell is prefixed with an
apostrophe, unless it is a number (``-3`` stays ``-3``).
"""

from __future__ import annotations

__all__ = ["download_name", "neutral_cell"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(cell: str) -> str:
    """``cell``, prefixed with an apostrophe when a spreadsheet would run it as a formula
    (numbers, negative ones included, are left as they are)."""
    if cell.startswith(_FORMULA_START) and not _is_number(cell):
        return "'" + cell
    return cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def download_name(kind: str, words: str, day: str, extension: str) -> str:
    """``<kind>-<words, letters and digits only, at most 60>-<day>.<extension>``
    (``all`` when no word is left)."""
    safe = "".join(ch if ch.isalnum() else "-" for ch in words.lower())
    safe = "-".join(part for part in safe.split("-") if part)[:60].strip("-") or "all"
    return f"{kind}-{safe}-{day}.{extension}"
