"""Source files of an index: the manifest, change detection and reading with dedup.

``manifest.json`` (in each generation folder) records, for every source file in
reading order: ``size``, ``mtime_ns``, ``sha256`` of its bytes, ``articles`` (the
``[id, duplicate key]`` of every article its reader produced, in order; the key
is its url, `corpus.discover.duplicate_key`) and ``kept`` (positions of the ones
indexed; the rest repeated an earlier article's id or url). With those,
`indexer.whoosh.update` decides what to read again without reading unchanged files,
and reproduces exactly what a full rebuild keeps.

Reading follows `corpus.read_paths` to the letter (files in `corpus.walk` order,
an article is dropped when its id or its url was kept before), but
per file, so the manifest can say which file produced which article.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.article import Article
from corpus.discover import Deduper, duplicate_key, iter_inputs, read_input
from corpus.report import ReadReport
from corpus.walk import WalkItem, walk_paths

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


@dataclass(slots=True)
class FileEntry:
    """What the manifest knows about one source file."""

    size: int
    mtime_ns: int
    sha256: str
    articles: list[tuple[str, str]] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)

    def kept_ids(self) -> list[str]:
        """Article ids this file contributed to the index."""
        return [self.articles[i][0] for i in self.kept]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "sha256": self.sha256,
            "articles": [list(pair) for pair in self.articles],
            "kept": self.kept,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileEntry:
        """Inverse of `to_json`."""
        return cls(
            size=int(data["size"]),
            mtime_ns=int(data["mtime_ns"]),
            sha256=str(data["sha256"]),
            articles=[(str(a), str(b)) for a, b in data["articles"]],
            kept=[int(i) for i in data["kept"]],
        )


@dataclass(slots=True)
class Manifest:
    """The sources of one generation: inputs as given, format, link rule, one entry per file."""

    sources: list[str]
    fmt: str | None = None
    cwd: str = ""
    files: dict[str, FileEntry] = field(default_factory=dict)
    follow_links: bool = False

    def article_count(self) -> int:
        """Articles the index should hold."""
        return sum(len(entry.kept) for entry in self.files.values())

    def article_ids(self) -> list[str]:
        """Ids of every article the index should hold."""
        return [aid for entry in self.files.values() for aid in entry.kept_ids()]

    def save(self, generation: Path) -> None:
        """Write ``manifest.json`` into ``generation``."""
        data = {
            "version": MANIFEST_VERSION,
            "sources": self.sources,
            "format": self.fmt,
            "cwd": self.cwd,
            "follow_links": self.follow_links,
            "files": [{"path": path, **entry.to_json()} for path, entry in self.files.items()],
        }
        path = generation / MANIFEST_NAME
        path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, generation: Path) -> Manifest | None:
        """Read the manifest of ``generation``; None when it has none (or another version)."""
        try:
            data = json.loads((generation / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if data.get("version") != MANIFEST_VERSION:
            return None
        files = {item["path"]: FileEntry.from_json(item) for item in data["files"]}
        return cls(
            list(data["sources"]),
            data.get("format"),
            data.get("cwd", ""),
            files,
            bool(data.get("follow_links", False)),
        )


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def stat_entry(path: Path) -> FileEntry:
    """A manifest entry for ``path`` with size, mtime and hash (no articles yet)."""
    info = path.stat()
    return FileEntry(size=info.st_size, mtime_ns=info.st_mtime_ns, sha256=file_sha256(path))


def unchanged(path: Path, old: FileEntry | None) -> FileEntry | None:
    """Return ``old`` (refreshed) when ``path`` still has its content, else None.

    Size and mtime equal: unchanged without reading. Otherwise the hash decides
    (a ``touch`` or a copy with the same bytes is not a change).
    """
    if old is None:
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    if info.st_size == old.size and info.st_mtime_ns == old.mtime_ns:
        return old
    if info.st_size != old.size:
        return None
    digest = file_sha256(path)
    if digest != old.sha256:
        return None
    return FileEntry(info.st_size, info.st_mtime_ns, digest, old.articles, old.kept)


def read_file(path: Path, fmt: str | None, report: ReadReport) -> Iterator[Article]:
    """Every article the readers produce for one file (members of .gz/.zip included)."""
    for origin, data in iter_inputs([path], report):
        yield from read_input(origin, data, report, fmt)


def read_kept(
    path: Path,
    entry: FileEntry,
    fmt: str | None,
    deduper: Deduper,
    report: ReadReport,
) -> Iterator[Article]:
    """Read ``path``, fill ``entry.articles``/``entry.kept`` and yield the kept articles.

    Problems and duplicate counts go to ``report`` exactly as `corpus.read_paths`
    would record them.
    """
    entry.articles, entry.kept = [], []
    for article in read_file(path, fmt, report):
        key = duplicate_key(article)
        position = len(entry.articles)
        entry.articles.append((article.id, key))
        if deduper.keep(article, key, report):
            entry.kept.append(position)
            yield article


def list_files(
    paths: Iterable[str | Path], report: ReadReport, *, follow_links: bool = False
) -> list[WalkItem]:
    """The files under ``paths`` in reading order, with the places that could not be
    seen (`corpus.walk.Unreadable`, left to the caller to name); other skipped
    entries are named in ``report``."""
    return list(walk_paths(paths, report, follow_links=follow_links))


def total_bytes(files: Iterable[Path]) -> int:
    """Sum of file sizes (for progress and ETA)."""
    total = 0
    for path in files:
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total


def current_cwd() -> str:
    """The working directory relative source paths are resolved against."""
    return os.getcwd()
