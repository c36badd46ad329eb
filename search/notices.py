"""Notices that more than one backend gives, written once (read by people: sentences)."""

from __future__ import annotations

__all__ = ["MAX_QUERY_CHARS", "cut_query", "relaxed_notice"]

#: Longest query text searched; the rest is cut with a notice.
MAX_QUERY_CHARS = 1000


def relaxed_notice(dropped: tuple[str, ...] | list[str] = ()) -> str:
    """What a search says when no article had all the words and it fell back to any of
    them; ``dropped`` names words that were left out altogether (when known)."""
    without = f" (without: {', '.join(dropped)})" if dropped else ""
    return f"No article has all of your words; showing articles with any of them{without}."


def cut_query(text: str, notices: list[str]) -> str:
    """``text`` without NUL characters and past `MAX_QUERY_CHARS` cut off; a cut adds
    its notice to ``notices``."""
    text = text.replace("\x00", " ")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notices.append(f"Your search was cut to its first {MAX_QUERY_CHARS:,} characters.")
    return text
