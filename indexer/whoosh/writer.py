"""The Whoosh backend's `indexer.backends.IndexWriter`: a rebuild is `build_index`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from corpus.article import Article
from indexer.backends import WriteResult
from indexer.whoosh.build import build_index


class WhooshWriter:
    """Rebuilds write a new generation of ``index_dir`` and swap it in (CURRENT)."""

    backend = "whoosh"

    def __init__(self, index_dir: str | Path, *, workers: int = 1, wait: float = 0.0) -> None:
        self.index_dir = Path(index_dir)
        self.workers = workers
        self.wait = wait

    def rebuild(
        self,
        articles: Iterable[Article],
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> WriteResult:
        """`build_index` of ``articles``: a new generation, verified, then served."""
        result = build_index(
            articles,
            self.index_dir,
            on_progress=on_progress,
            workers=self.workers,
            wait=self.wait,
        )
        return WriteResult(result.articles, result.seconds, str(result.generation))

    def close(self) -> None:
        """Nothing stays open between rebuilds."""


__all__ = ["WhooshWriter"]
