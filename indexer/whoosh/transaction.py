"""One write transaction for every command that changes an index.

`write_transaction` stages a new generation (empty, or a clone of a base) under the
writer lock the caller holds, and yields a `Transaction`: its ``feeder`` takes
documents and deletions, `Transaction.commit` writes the segments, and
`Transaction.publish` builds the spelling model, verifies the generation (it opens,
holds exactly the articles written, every segment's stored fields read back),
writes the per-document tables web workers read (`indexer.whoosh.tables`), its
manifest and build info and swaps it in atomically. Leaving the block by
an error, or without publishing, cancels the writer and removes the staged folder:
the served index stays as it was. build, update and optimize all go through it.

The phases it passes (``writing segments``, ``spelling``, ``verifying``,
``publishing``, ``published``) are announced to crash tests (`indexer.phases`).

Each generation holds ``broadsheet.json``: ``schema_version``, ``built_at``,
``command`` (build, update or optimize), ``articles``, ``sources``, ``based_on``
(the generation an update or optimize started from), ``workers``, ``seconds``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from indexer.errors import IndexerError
from indexer.generations import (
    BUILD_INFO_NAME,
    clone_generation,
    current_generation,
    new_generation,
    publish,
)
from indexer.phases import announce
from indexer.progress import Progress
from indexer.sources import Manifest
from indexer.spelling_model import WordCounter, model_arrays, save_model, write_spelling_model
from indexer.spelling_update import SpellingChange, write_adjusted_model
from indexer.whoosh.pipeline import IndexFeeder
from indexer.whoosh.schema import SCHEMA_VERSION, build_schema
from indexer.whoosh.storage import open_mapped_index
from indexer.whoosh.tables import write_tables

#: Stored texts handed to the spelling model at a time (two per article).
SPELLING_BATCH = 1000

#: Memory each Whoosh writer may use for its posting pool before spilling a run (MB).
DEFAULT_LIMIT_MB = 256

__all__ = [
    "DEFAULT_LIMIT_MB",
    "IndexVerificationError",
    "Transaction",
    "read_info",
    "verify_generation",
    "write_info",
    "write_transaction",
]


def stored_texts(generation: Path) -> Iterator[list[str]]:
    """The titles and bodies of the live articles of ``generation``, in batches."""
    ix = open_mapped_index(generation)
    try:
        with ix.searcher() as searcher:
            batch: list[str] = []
            for fields in searcher.reader().all_stored_fields():
                batch += (fields.get("title", ""), fields.get("body", ""))
                if len(batch) >= SPELLING_BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch
    finally:
        ix.close()


class IndexVerificationError(IndexerError, RuntimeError):
    """A freshly written generation did not hold what was written; it is not served."""


def stored_articles_of(generation: Path, ids: list[str]) -> Iterator[tuple[str, str]]:
    """The stored (title, body) of the live articles of ``generation`` with these ids."""
    ix = open_mapped_index(generation)
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            for article_id in ids:
                for docnum in searcher.document_numbers(id=article_id):
                    if not reader.is_deleted(docnum):
                        fields = reader.stored_fields(docnum)
                        yield fields.get("title", ""), fields.get("body", "")
    finally:
        ix.close()


def verify_generation(generation: Path, expected: int | None) -> int:
    """Open ``generation``, read back stored fields of every segment, check the count.

    Returns the number of live documents; raises `IndexVerificationError`.
    """
    try:
        ix = open_mapped_index(generation)
    except Exception as error:  # any failure means "not servable"
        raise IndexVerificationError(f"cannot open {generation.name}: {error}") from error
    try:
        with ix.searcher() as searcher:
            found = searcher.doc_count()
            for reader, _offset in searcher.reader().leaf_readers():
                ends = {0, reader.doc_count_all() - 1} - {-1}
                live = [n for n in sorted(ends) if not reader.is_deleted(n)]
                for docnum in live:
                    if "id" not in reader.stored_fields(docnum):
                        raise IndexVerificationError(f"document {docnum} has no stored id")
    except IndexVerificationError:
        raise
    except Exception as error:
        raise IndexVerificationError(f"cannot read {generation.name}: {error}") from error
    finally:
        ix.close()
    if expected is not None and found != expected:
        raise IndexVerificationError(f"wrote {expected} articles but the index holds {found}")
    return found


def write_generation_tables(generation: Path) -> None:
    """Write the per-document tables web workers read (`indexer.whoosh.tables`)."""
    ix = open_mapped_index(generation)
    try:
        with ix.searcher() as searcher:
            write_tables(generation, searcher.reader())
    finally:
        ix.close()


def write_info(generation: Path, **fields: Any) -> None:
    """Write ``broadsheet.json`` (build info) into ``generation``."""
    info = {
        "schema_version": SCHEMA_VERSION,
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **fields,
    }
    (generation / BUILD_INFO_NAME).write_text(json.dumps(info, indent=2), "utf-8")


def read_info(generation: Path) -> dict[str, Any]:
    """The build info of ``generation`` (empty when missing or unreadable)."""
    try:
        return json.loads((generation / BUILD_INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


@contextmanager
def staged_generation(index_dir: Path, base: Path | None = None) -> Iterator[Path]:
    """A new generation folder (empty, or a clone of ``base``), removed unless published."""
    generation = clone_generation(index_dir, base) if base else new_generation(index_dir)
    try:
        yield generation
    except BaseException:
        if current_generation(index_dir) != generation:
            shutil.rmtree(generation, ignore_errors=True)
        raise


@dataclass
class Transaction:
    """A staged generation being written: feed ``feeder``, then `commit`, then `publish`."""

    index_dir: Path
    generation: Path
    feeder: IndexFeeder
    index: Any
    committed: bool = False
    published: bool = False
    #: The spelling model's arrays and meta from the words the feeder counted (a
    #: build from nothing), made while the segments are written; None: recount.
    counted_model: tuple[dict[str, Any], dict[str, Any]] | None = None

    def commit(self, *, on_phase: Callable[[str], None] | None = None, **options: Any) -> None:
        """Write the fed documents into segments (``options`` go to
        `IndexFeeder.commit`: ``merge``, ``optimize``); ``on_phase`` hears the
        phases it passes, which are announced (`indexer.phases`) as well."""

        def phase(name: str) -> None:
            announce(name)
            if on_phase is not None:
                on_phase(name)

        self.feeder.commit(on_phase=phase, on_counted=self._fold_model, **options)
        self.committed = True
        self.index.close()

    def _fold_model(self, counter: WordCounter) -> None:
        """Make the spelling model of the words the feeder counted."""
        self.counted_model = model_arrays(counter)

    def publish(
        self,
        articles: int,
        progress: Progress,
        *,
        manifest: Manifest | None = None,
        spelling: bool | SpellingChange = True,
        **info: Any,
    ) -> None:
        """Verify the committed generation holds ``articles``, save its spelling model
        (recounted; adjusted from the base's by a usable `SpellingChange`; or, when
        ``spelling`` is False, the base's, as an optimize keeps it), ``manifest`` and
        build info (``info`` plus counts), then serve it atomically."""
        if not self.committed:
            raise RuntimeError("publish before commit")
        if isinstance(spelling, SpellingChange) and spelling.usable:
            progress.phase("adjusting the spelling model")
            announce("spelling")
            write_adjusted_model(self.generation, spelling)
        elif spelling and self.counted_model is not None:
            progress.phase("saving the spelling model")
            announce("spelling")
            save_model(self.generation, *self.counted_model, articles, time.perf_counter())
        elif spelling:
            progress.phase("counting words for spelling")
            announce("spelling")
            write_spelling_model(self.generation, stored_texts(self.generation))
        progress.phase("verifying")
        announce("verifying")
        verify_generation(self.generation, articles)
        progress.phase("writing tables")
        write_generation_tables(self.generation)
        if manifest is not None:
            manifest.save(self.generation)
            info["files"] = len(manifest.files)
        write_info(self.generation, **{**info, "articles": articles})
        progress.phase("publishing")
        announce("publishing")
        publish(self.index_dir, self.generation)
        self.published = True
        announce("published")


@contextmanager
def write_transaction(
    index_dir: Path,
    *,
    base: Path | None = None,
    workers: int = 1,
    limit_mb: int = DEFAULT_LIMIT_MB,
) -> Iterator[Transaction]:
    """A `Transaction` on a new generation of ``index_dir`` (a clone of ``base`` when
    given, else empty). The caller holds the writer lock. A block left by an error or
    without `Transaction.publish` cancels the writer and removes the generation."""
    with staged_generation(index_dir, base) as generation:
        if base is None:
            index = whoosh_index.create_in(str(generation), build_schema())
        else:
            index = whoosh_index.open_dir(str(generation))
        # A generation written from nothing holds exactly what is fed: its words are
        # counted as they are indexed, not read back from the stored fields.
        feeder = IndexFeeder(
            index, str(generation), workers=workers, limit_mb=limit_mb, count_words=base is None
        )
        transaction = Transaction(index_dir, generation, feeder, index)
        try:
            yield transaction
            if not transaction.published:
                raise RuntimeError("a write transaction ended without publishing")
        except BaseException:
            if not transaction.committed:
                feeder.cancel()
                index.close()
            raise
