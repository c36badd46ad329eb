"""The writer interface every backend provides, and the one switch that picks one.

`IndexWriter` is the write side of a backend, as `search.backends.SearchBackend` is
the read side: `rebuild` replaces everything a backend serves with the given
articles, atomically (readers see the old articles or the new ones, never a mix, and
a failed rebuild leaves the old ones served). `indexer.whoosh.writer.WhooshWriter`
writes a new generation folder and swaps CURRENT; `indexer.typesense.writer.
TypesenseWriter` fills a new collection and swaps the alias; `indexer.opensearch.
writer.OpenSearchWriter` fills a new set of yearly indices and moves the alias onto
them. File-based incremental updates (``indexer update``) are the Whoosh writer's own
(they need its manifest); Typesense's and OpenSearch's by-id upserts and deletes are
in their ``writer`` modules.

`writer_from_config` reads the keys `search.backends.service_from_config` reads, so
one configuration names where articles are written and where they are searched
(OpenSearch's writer also reads ``OPENSEARCH_SHARDS`` and ``OPENSEARCH_REPLICAS``:
the shards and replicas of the indices a rebuild creates, and ``OPENSEARCH_YEARS_PER_INDEX``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from corpus.article import Article

#: The backends a writer can be made for (the same names as `search.backends.BACKENDS`).
WRITER_BACKENDS = ("whoosh", "typesense", "opensearch")
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a rebuild wrote: the articles now served, how long it took, and where
    (a generation folder, a collection name)."""

    articles: int
    seconds: float
    target: str


@runtime_checkable
class IndexWriter(Protocol):
    """What every backend's writer does (the CLI and tools use nothing else)."""

    backend: str

    def rebuild(
        self, articles: Iterable[Article], *, on_progress: ProgressCallback | None = None
    ) -> WriteResult:
        """Serve exactly ``articles`` (each id once, as `corpus.read_paths` gives
        them), swapped in atomically; on any error what was served stays served."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def writer_from_config(config: Mapping[str, Any]) -> IndexWriter:
    """The writer for the backend ``config["BACKEND"]`` names (default ``whoosh``).

    Raises ValueError for an unknown backend or missing Typesense or OpenSearch settings.
    """
    backend = str(config.get("BACKEND") or "whoosh").strip().lower()
    if backend == "whoosh":
        from indexer.whoosh.writer import WhooshWriter

        return WhooshWriter(
            config.get("INDEX_DIR") or "var/index", workers=int(config.get("WORKERS") or 1)
        )
    if backend == "typesense":
        from indexer.typesense.writer import TypesenseWriter

        nodes, api_key = config.get("TYPESENSE_NODES"), config.get("TYPESENSE_API_KEY")
        if not nodes or not api_key:
            raise ValueError(
                "BROADSHEET_BACKEND=typesense needs BROADSHEET_TYPESENSE_NODES and "
                "BROADSHEET_TYPESENSE_API_KEY"
            )
        alias = config.get("TYPESENSE_ALIAS")
        return TypesenseWriter(str(nodes), str(api_key), str(alias) if alias else None)
    if backend == "opensearch":
        from indexer.opensearch.schema import DEFAULT_ALIAS
        from indexer.opensearch.writer import OpenSearchWriter

        nodes = config.get("OPENSEARCH_NODES")
        if not nodes:
            raise ValueError("BROADSHEET_BACKEND=opensearch needs BROADSHEET_OPENSEARCH_NODES")
        options = {
            key: int(config[name])
            for key, name in (
                ("shards", "OPENSEARCH_SHARDS"),
                ("replicas", "OPENSEARCH_REPLICAS"),
                ("years_per_index", "OPENSEARCH_YEARS_PER_INDEX"),
            )
            if config.get(name) not in (None, "")
        }
        alias = config.get("OPENSEARCH_ALIAS")
        return OpenSearchWriter(str(nodes), str(alias) if alias else DEFAULT_ALIAS, **options)
    raise ValueError(
        f"BROADSHEET_BACKEND must be one of {', '.join(WRITER_BACKENDS)}, got {backend!r}"
    )


__all__ = ["WRITER_BACKENDS", "IndexWriter", "WriteResult", "writer_from_config"]
