"""Notices that more than one backend gives, written once (read by people: sentences)."""

from __future__ import annotations

__all__ = ["relaxed_notice"]


def relaxed_notice(dropped: tuple[str, ...] | list[str] = ()) -> str:
    """What a search says when no article had all the words and it fell back to any of
    them; ``dropped`` names words that were left out altogether (when known)."""
    without = f" (without: {', '.join(dropped)})" if dropped else ""
    return f"No article has all of your words; showing articles with any of them{without}."
