"""The index a web worker serves: the generation ``CURRENT`` names, opened once, refreshed.

A worker follows ``CURRENT`` (checked at most every ``refresh_seconds``) and reads
through one `Snapshot` at a time. Two things can go wrong under it, and both are
answered here, in one place, for every kind of read (searches, articles, health):

* Its generation folder disappears. Only the current and the previous generation
  are kept, so a worker that slept through two quick updates is left on a removed
  one; an operator may also delete the whole index folder. A read that finds its
  folder gone moves on to the generation ``CURRENT`` names now and runs once more;
  when there is none, `IndexUnavailable` (503): a removed index is not served from
  files that are still open.
* The data cannot be read (a corrupt posting block, a truncated file): the read
  raises `IndexDamaged` (503) naming the generation, never a crash.
"""

from __future__ import annotations

import pickle
import struct
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from indexer.generations import current_generation
from indexer.whoosh.dedup import DuplicateGroups
from indexer.whoosh.storage import open_mapped_index
from indexer.whoosh.stored_fields import StoredFields
from indexer.whoosh.tables import compute_tables, read_tables
from search.errors import IndexDamaged, IndexUnavailable
from search.relevance import DEFAULT_RANKING, RankingParams
from search.whoosh.execution import Snapshot
from search.whoosh.facets import FacetTables
from search.whoosh.scorer import QueryScorer
from search.whoosh.weighting import relevance_model

__all__ = ["DATA_ERRORS", "ServedIndex"]

T = TypeVar("T")

#: What reading damaged index data raises (Whoosh unpickles, unpacks and decompresses
#: what it reads, and trusts lengths and offsets); reported as `IndexDamaged`.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    pickle.UnpicklingError,
    struct.error,
    zlib.error,
    EOFError,
    ValueError,
    IndexError,
    KeyError,
    OverflowError,
    MemoryError,
    OSError,
    whoosh_index.IndexError,
)


class ServedIndex:
    """The open snapshot of ``index_dir``'s current generation; safe to share between
    threads (reads hold one lock)."""

    def __init__(
        self,
        index_dir: str | Path,
        refresh_seconds: float = 2.0,
        ranking: RankingParams = DEFAULT_RANKING,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.ranking = ranking
        self.refresh_seconds = refresh_seconds
        self.lock = threading.RLock()
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        #: Snapshots held open by a long read (an export) beyond their replacement,
        #: with how many such reads hold each (by ``id``).
        self._pins: dict[int, int] = {}
        self._retired: dict[int, Snapshot] = {}

    def read(self, work: Callable[[Snapshot], T]) -> T:
        """``work(snapshot)`` on the served snapshot, under the lock. When the
        snapshot's generation folder was removed meanwhile, once more on the current
        generation; data that cannot be read raises `IndexDamaged`."""
        with self.lock:
            snapshot = self.current()
            try:
                return work(snapshot)
            except DATA_ERRORS as error:
                if snapshot.generation.is_dir():
                    raise IndexDamaged(snapshot.generation.name, error) from error
            # The generation was removed under this worker: on to the current one.
            self._forget(snapshot)
            snapshot = self.current()
            try:
                return work(snapshot)
            except DATA_ERRORS as error:
                raise _unreadable(snapshot.generation, error) from error

    def current(self) -> Snapshot:
        """The snapshot to read now: reopened when ``CURRENT`` names another
        generation (looked up every ``refresh_seconds``, and at once when the served
        generation's folder is gone), refreshed when the generation got a commit;
        raises `IndexUnavailable` when no generation can be opened."""
        with self.lock:
            now = time.monotonic()
            snapshot = self._snapshot
            fresh = now - self._checked_at < self.refresh_seconds
            if snapshot is not None and fresh and snapshot.generation.is_dir():
                return snapshot  # (a removed generation is left at once, not at the refresh)
            self._checked_at = now
            generation = current_generation(self.index_dir)
            if generation is None:
                if snapshot is not None and snapshot.generation.is_dir():
                    return snapshot  # CURRENT unreadable for now: keep what is served
                self._forget(snapshot)
                raise IndexUnavailable(
                    f"no index at {self.index_dir}; build one with "
                    f"`python -m indexer build PATH --index {self.index_dir}`"
                )
            if snapshot is None or snapshot.generation != generation:
                self._snapshot = _open(generation, self.ranking)
                if snapshot is not None:
                    self._retire(snapshot)
            else:
                try:
                    if not snapshot.searcher.up_to_date():
                        searcher = snapshot.searcher.refresh()
                        self._snapshot = _load(generation, snapshot.index, searcher, self.ranking)
                except DATA_ERRORS as error:
                    raise _unreadable(generation, error) from error
            assert self._snapshot is not None  # opened or refreshed above
            return self._snapshot

    def _forget(self, snapshot: Snapshot | None) -> None:
        """Drop ``snapshot`` (its generation is gone) so the next read reopens."""
        if snapshot is not None and self._snapshot is snapshot:
            self._snapshot = None
            self._checked_at = 0.0
            self._retire(snapshot)

    def _retire(self, snapshot: Snapshot) -> None:
        """Close ``snapshot``'s searcher now, or when the last read pinning it ends."""
        if self._pins.get(id(snapshot)):
            self._retired[id(snapshot)] = snapshot
        else:
            snapshot.searcher.close()

    def pin(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` open (its files readable, even when its generation is
        replaced or removed meanwhile) until as many `unpin` calls: for reads that
        outlast one `read`, such as an export streamed in chunks."""
        with self.lock:
            self._pins[id(snapshot)] = self._pins.get(id(snapshot), 0) + 1

    def unpin(self, snapshot: Snapshot) -> None:
        """End one `pin` of ``snapshot``; closed when it was replaced meanwhile."""
        with self.lock:
            left = self._pins.get(id(snapshot), 0) - 1
            if left > 0:
                self._pins[id(snapshot)] = left
                return
            self._pins.pop(id(snapshot), None)
            retired = self._retired.pop(id(snapshot), None)
            if retired is not None:
                retired.searcher.close()

    def close(self) -> None:
        """Release the open searcher (a pinned one when its last pin ends)."""
        with self.lock:
            if self._snapshot is not None:
                self._retire(self._snapshot)
                self._snapshot = None


def _load(generation: Path, index: object, searcher: Searcher, ranking: RankingParams) -> Snapshot:
    """The snapshot of ``searcher``: its per-document tables read from those the
    indexer wrote for this state of the index, else computed."""
    reader = searcher.reader()
    stored = read_tables(generation, reader) or compute_tables(reader)
    tables = FacetTables.from_tables(stored)
    groups = DuplicateGroups.from_groups(stored.groups)
    scorer = QueryScorer(reader, ranking, {"date": tables.stamps})
    return Snapshot(generation, index, searcher, tables, groups, scorer, StoredFields(reader))


def _open(generation: Path, ranking: RankingParams) -> Snapshot:
    """Open ``generation`` and read its per-reader tables."""
    try:
        ix = open_mapped_index(generation)  # files read in place, not copied per worker
        searcher = ix.searcher(weighting=relevance_model(ranking))
    except (OSError, whoosh_index.IndexError) as error:
        raise IndexUnavailable(f"cannot open index {generation}: {error}") from error
    try:
        return _load(generation, ix, searcher, ranking)
    except DATA_ERRORS as error:
        searcher.close()
        raise _unreadable(generation, error) from error


def _unreadable(generation: Path, error: BaseException) -> IndexUnavailable:
    """What a failed read of ``generation`` means: removed meanwhile, or damaged."""
    if not generation.is_dir():
        return IndexUnavailable(f"index {generation} was removed while being read")
    return IndexDamaged(generation.name, error)
