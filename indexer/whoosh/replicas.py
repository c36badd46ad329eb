"""Whoosh read replicas: publish the served generation to read-only serving copies.

``publish_replica(INDEX_DIR, TO_DIR)`` copies the generation ``INDEX_DIR/CURRENT``
names into a new generation folder of ``TO_DIR``, checks the copy opens with the
same document count, and swaps ``TO_DIR/CURRENT`` onto it with the same atomic
`indexer.generations.publish` a build uses (the replica keeps its previous
generation for readers that still have it open). A `search.SearchService` over
``TO_DIR`` then serves it and picks up the next publish within seconds, exactly as
over a primary. ``TO_DIR`` is typically a local disk of another web host (mounted,
or synced there afterwards with ``rsync -a`` of the whole folder); never serve a
Whoosh index over NFS.

The source is only read: Whoosh never rewrites the files of a committed generation,
and the primary keeps the previous generation for a whole build cycle, so copying
while a new build runs is safe; a copy that does not verify is removed and the
replica keeps serving what it had.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import click

from indexer.errors import IndexerError
from indexer.generations import current_generation, new_generation, publish, writer_lock
from indexer.whoosh.storage import open_mapped_index

_SKIP_SUFFIXES = (".lock",)


class ReplicaError(IndexerError, RuntimeError):
    """The primary has nothing to publish, or the copy did not verify."""


@dataclass(frozen=True, slots=True)
class ReplicaResult:
    """What a publish did: source and new replica generation, size and time."""

    source: Path
    generation: Path
    documents: int
    bytes: int
    seconds: float


def _doc_count(generation: Path) -> int:
    ix = open_mapped_index(generation)
    try:
        return ix.doc_count()
    finally:
        ix.close()


def publish_replica(index_dir: str | Path, to_dir: str | Path) -> ReplicaResult:
    """Copy ``index_dir``'s served generation into ``to_dir`` and serve it there.

    Raises `ReplicaError` when ``index_dir`` serves nothing or the copy does not
    verify, and `indexer.generations.IndexBusy` when another publish holds
    ``to_dir``'s lock.
    """
    index_dir, to_dir = Path(index_dir), Path(to_dir)
    if index_dir.resolve() == to_dir.resolve():
        raise ReplicaError("the replica folder must differ from the index folder")
    started = time.perf_counter()
    source = current_generation(index_dir)
    if source is None:
        raise ReplicaError(f"no index is served at {index_dir}; build one first")
    expected = _doc_count(source)
    with writer_lock(to_dir):
        target = new_generation(to_dir)
        size = 0
        try:
            for child in sorted(source.iterdir()):
                if child.is_file() and not child.name.endswith(_SKIP_SUFFIXES):
                    shutil.copy2(child, target / child.name)
                    size += child.stat().st_size
            found = _doc_count(target)
            if found != expected:
                raise ReplicaError(f"copied {found} documents, the primary serves {expected}")
            publish(to_dir, target)
        except BaseException:
            if current_generation(to_dir) != target:
                shutil.rmtree(target, ignore_errors=True)
            raise
    return ReplicaResult(source, target, expected, size, time.perf_counter() - started)


@click.command("publish")
@click.option(
    "--index",
    "index_dir",
    default=lambda: __import__("os").environ.get("BROADSHEET_INDEX_DIR") or "var/index",
    show_default="$BROADSHEET_INDEX_DIR or var/index",
    help="The primary index folder.",
)
@click.option("--to", "to_dir", required=True, help="The replica's index folder.")
def publish_command(index_dir: str, to_dir: str) -> None:
    """Copy the served index generation to a read-only replica folder and swap it in.

    Exit status: 0 published; 1 nothing to publish, copy failed or replica busy.
    """
    from indexer.generations import IndexBusy

    try:
        result = publish_replica(index_dir, to_dir)
    except (ReplicaError, IndexBusy, OSError) as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(
        f"published {result.source.name} ({result.documents} articles, "
        f"{result.bytes / 1e6:.1f} MB) to {result.generation} in {result.seconds:.1f} s",
        err=True,
    )
