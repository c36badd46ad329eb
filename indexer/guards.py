"""Checks a build or update passes before it may replace the served index.

Two ways a routine run (a cron job) could publish an index that lost most of what
was served, with nothing wrong in any single file:

* a source path is missing or unreadable (an unmounted disk, a renamed folder, a
  permission change): `refuse_missing_sources` stops the run, naming the path;
* the new generation would no longer hold a large share of the served articles
  (a half-synced folder, a truncated export, another disk mounted in its place):
  `refuse_mass_deletion` stops it when more than ``max_delete`` (a fraction,
  default `DEFAULT_MAX_DELETE`) of the served articles would be gone.
  ``max_delete=None`` (``--allow-mass-delete``) allows any.

An update is always checked. A build is checked when it reads the same paths the
served index was built from (`same_sources`), which is what a scheduled rebuild
does; a build from other paths replaces the corpus on purpose (the demo index by
your own files, say) and is not held back.

Both raise before anything is published; the served index stays as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from corpus.walk import Unreadable, WalkItem
from indexer.errors import IndexerError

#: Share of the served articles a run may remove without ``--allow-mass-delete``.
DEFAULT_MAX_DELETE = 0.5
#: Environment variable for ``--max-delete-percent``.
MAX_DELETE_ENV = "BROADSHEET_MAX_DELETE_PERCENT"


class SourceMissing(IndexerError, RuntimeError):
    """A given source path is missing or unreadable; nothing was written."""


class MassDeletion(IndexerError, RuntimeError):
    """The run would remove more of the served articles than allowed; nothing was written."""


def refuse_missing_sources(items: Iterable[WalkItem], command: str) -> None:
    """Raise `SourceMissing` naming every given path the walk could not see at all.

    A missing path is not "no articles": an update would delete everything indexed
    from it, a build would publish an index without it.
    """
    missing = [item for item in items if isinstance(item, Unreadable) and item.root]
    if not missing:
        return
    names = "; ".join(f"{item.path}: {item.reason}" for item in missing)
    hint = (
        "to drop a source on purpose, run `indexer update` with the remaining paths"
        if command == "update"
        else "give only paths that exist"
    )
    raise SourceMissing(f"source path missing or unreadable ({names}); {hint}")


def refuse_mass_deletion(command: str, removed: int, served: int, max_delete: float | None) -> None:
    """Raise `MassDeletion` when ``removed`` of ``served`` articles is above ``max_delete``."""
    if max_delete is None or served <= 0 or removed <= max_delete * served:
        return
    raise MassDeletion(
        f"this {command} would remove {removed:,} of the {served:,} articles now served "
        f"({100 * removed / served:.0f}%), more than the {100 * max_delete:g}% allowed "
        f"(a source folder not mounted, or half copied?); if that is intended, run it again "
        f"with --allow-mass-delete, or raise --max-delete-percent / {MAX_DELETE_ENV}"
    )


def same_sources(old: Iterable[str], old_cwd: str, new: Iterable[str], new_cwd: str) -> bool:
    """True when two lists of source paths name the same places (relative paths taken
    from the folder each run started in)."""

    def places(paths: Iterable[str], cwd: str) -> set[str]:
        return {os.path.normpath(os.path.join(cwd, path)) for path in paths}

    return places(old, old_cwd) == places(new, new_cwd)


def removed_articles(served_ids: Iterable[str], new_ids: Iterable[str]) -> tuple[int, int]:
    """``(served articles the new index no longer holds, served articles)``."""
    served = set(served_ids)
    return len(served - set(new_ids)), len(served)
