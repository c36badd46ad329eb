"""``indexer recover``: repair a damaged ``CURRENT``/``PREVIOUS`` without deleting anything.

When a pointer cannot say which generation is served (`indexer.generations.DamagedPointer`:
a garbled, empty or unreadable ``CURRENT``, one naming a folder that is gone, a lost
``CURRENT`` beside complete generations), every writer refuses to run, because any
folder might be the served one. `recover_index` takes the writer lock, checks the
generation folders newest first (complete: build info written; verified: it opens
with the count its manifest or build info records, every stored document reads back
and every posting block and column reads, as ``check --deep`` does), and points
``CURRENT`` at the newest that passes and ``PREVIOUS`` at the next one (or removes
``PREVIOUS``). No folder is deleted; the next build or update removes the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import IndexerError
from indexer.generations import (
    DamagedPointer,
    generation_folders,
    pointed_generations,
    sealed,
    set_pointers,
    writer_lock,
)
from indexer.whoosh.health import CheckResult, check_generation


class NothingToRecover(IndexerError, RuntimeError):
    """No generation folder passes the checks: only a new build can help."""


@dataclass(slots=True)
class RecoverResult:
    """What `recover_index` found and did."""

    damage: str | None
    current: str | None
    previous: str | None
    rejected: list[str] = field(default_factory=list)

    @property
    def repaired(self) -> bool:
        """True when the pointers were rewritten."""
        return self.damage is not None


def recover_index(index_dir: str | Path, *, wait: float = 0.0) -> RecoverResult:
    """Point ``CURRENT`` at the newest complete, verified generation when the pointers
    are damaged; do nothing when they are sound.

    Raises `NothingToRecover` when no folder passes, `indexer.generations.IndexBusy`
    when another writer holds the lock (after ``wait`` seconds).
    """
    index_dir = Path(index_dir)
    with writer_lock(index_dir, wait=wait):
        try:
            current, previous = pointed_generations(index_dir)
        except DamagedPointer as error:
            damage = error.problem
        else:
            if current is None:
                raise NothingToRecover(f"nothing was built at {index_dir}; run `indexer build`")
            return RecoverResult(None, current.name, previous.name if previous else None)
        good: list[Path] = []
        rejected = []
        for generation in reversed(generation_folders(index_dir)):
            if not sealed(generation):
                rejected.append(f"{generation.name}: incomplete (a writer stopped before sealing)")
                continue
            result = CheckResult()
            if check_generation(generation, result, deep=True) and result.healthy:
                good.append(generation)
                if len(good) == 2:
                    break
            else:
                rejected.append(f"{generation.name}: {'; '.join(result.problems[:3])}")
        if not good:
            raise NothingToRecover(
                f"{damage}; and no generation in {index_dir} is complete and readable "
                f"({'; '.join(rejected) or 'there is none'}): rebuild with `indexer build`"
            )
        newest, older = good[0], (good[1] if len(good) > 1 else None)
        set_pointers(index_dir, newest, older)
    return RecoverResult(damage, newest.name, older.name if older else None, rejected)
