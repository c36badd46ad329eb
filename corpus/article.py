"""The `Article` record: what every reader yields and the indexer consumes."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Field names of `Article`, in order; JSONL and CSV readers map onto these.
ARTICLE_FIELDS = (
    "id",
    "title",
    "body",
    "date",
    "tags",
    "source",
    "url",
    "author",
    "views",
    "origin",
    "language",
)

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Article:
    """One news article, normalised.

    ``date`` is timezone-aware UTC or None; ``tags`` is a tuple of distinct
    strings in their original order; ``origin`` says where it was read from
    (a path, plus ``#line`` or an archive member where that applies);
    ``language`` is a BCP 47 tag such as ``en`` or ``pt-BR`` when the source says.
    """

    id: str
    title: str
    body: str
    date: datetime | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    source: str = ""
    url: str = ""
    author: str = ""
    views: int | None = None
    origin: str = ""
    language: str = ""

    def __post_init__(self) -> None:
        if self.date is not None and (
            self.date.tzinfo is None or self.date.utcoffset() != UTC.utcoffset(None)
        ):
            raise ValueError(f"Article.date must be aware UTC, got {self.date!r}")

    def to_json_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (date as ISO 8601 with ``Z``, tags as a list)."""
        data = asdict(self)
        data["date"] = format_utc(self.date)
        data["tags"] = list(self.tags)
        return data


def format_utc(value: datetime | None) -> str | None:
    """Format an aware datetime as RFC 3339 / ISO 8601 UTC with a ``Z`` suffix.

    The year always has four digits (``0001-01-01T00:00:00Z``): ``strftime("%Y")``
    writes ``1`` for year 1 on glibc, which is not RFC 3339.
    """
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


def normalize_text(text: str) -> str:
    """Collapse all whitespace runs to one space and strip the ends."""
    return _SPACE.sub(" ", text).strip()


def clean_tags(values: Any) -> tuple[str, ...]:
    """Turn a list or comma-separated string of tags into distinct, trimmed tags.

    Tags that differ only in case are one tag (the first spelling is kept). Linear in
    the number of tags; how many an article keeps is capped centrally
    (`corpus.admit.MAX_TAGS`), where the cut is reported.
    """
    if values is None:
        return ()
    if isinstance(values, str):
        values = values.split(",")
    kept: list[str] = []
    seen: set[str] = set()
    for value in values:
        # Commas separate tags in the index's keyword field, so none may hold one.
        tag = normalize_text(str(value).replace(",", " "))
        key = tag.lower()
        if tag and key not in seen:
            seen.add(key)
            kept.append(tag)
    return tuple(kept)


def content_id(origin: str, title: str, body: str) -> str:
    """A stable id for an article that has none: origin plus a content hash."""
    # surrogatepass: hashing must not fail on lone surrogates (`corpus.admit` replaces
    # them in the article itself); valid text hashes as plain UTF-8.
    text = f"{origin}\n{title}\n{body}"
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", origin).strip("-.")[:60]
    return f"{stem}-{digest}" if stem else digest
