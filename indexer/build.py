"""Full rebuilds: Articles in, a verified fresh generation swapped in atomically."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from corpus.article import Article
from indexer.generations import current_generation, new_generation, publish, writer_lock
from indexer.schema import SCHEMA_VERSION, article_to_document, build_schema

#: Memory the Whoosh writer may use for its in-memory segment before flushing (MB).
DEFAULT_LIMIT_MB = 256
BUILD_INFO_NAME = "broadsheet.json"

ProgressCallback = Callable[[int], None]


class IndexVerificationError(RuntimeError):
    """A freshly built generation did not hold what was written; it is not served."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did: counts, timing and the generation now served."""

    articles: int
    seconds: float
    generation: Path


def _verify(generation: Path, expected: int) -> None:
    ix = whoosh_index.open_dir(str(generation))
    try:
        found = ix.doc_count()
    finally:
        ix.close()
    if found != expected:
        raise IndexVerificationError(f"built {expected} articles but the index holds {found}")


def build_index(
    articles: Iterable[Article],
    index_dir: str | Path,
    *,
    sources: Iterable[str] = (),
    on_progress: ProgressCallback | None = None,
    limit_mb: int = DEFAULT_LIMIT_MB,
) -> BuildResult:
    """Index ``articles`` into a new generation of ``index_dir`` and serve it.

    The served index is untouched until the new one is complete and verified;
    on any error the new folder is removed and the error re-raised. Raises
    `indexer.generations.IndexBusy` when another writer holds the lock.
    ``on_progress`` gets the running article count every 100 articles.
    """
    index_dir = Path(index_dir)
    started = time.perf_counter()
    with writer_lock(index_dir):
        generation = new_generation(index_dir)
        try:
            ix = whoosh_index.create_in(str(generation), build_schema())
            count = 0
            writer = ix.writer(limitmb=limit_mb)
            try:
                for article in articles:
                    writer.add_document(**article_to_document(article))
                    count += 1
                    if on_progress is not None and count % 100 == 0:
                        on_progress(count)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            ix.close()
            if on_progress is not None:
                on_progress(count)
            _verify(generation, count)
            info = {
                "schema_version": SCHEMA_VERSION,
                "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "articles": count,
                "sources": [str(source) for source in sources],
            }
            (generation / BUILD_INFO_NAME).write_text(json.dumps(info, indent=2), "utf-8")
            publish(index_dir, generation)
        except BaseException:
            if current_generation(index_dir) != generation:
                shutil.rmtree(generation, ignore_errors=True)
            raise
    return BuildResult(articles=count, seconds=time.perf_counter() - started, generation=generation)
