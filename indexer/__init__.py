"""Indexer: `Article` records in, a Whoosh index on disk out.

Only this package writes indexes. Every write (build, update, optimize) goes into
a fresh generation folder and is swapped in atomically (`indexer.generations`
documents the folder layout and the lock); `indexer.whoosh.pipeline` spreads the work
over worker processes; `indexer.sources` keeps the manifest incremental updates
rely on; the CLI (`indexer.cli`) documents the commands and exit statuses. The
schema lives in `indexer.whoosh.schema`. Must not import flask. Importing it checks the
Whoosh version first (`indexer.whoosh.version`) and changes nothing in Whoosh.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

import indexer.whoosh  # noqa: F401  (first: stops at once on an unsupported Whoosh)

if TYPE_CHECKING:
    from indexer.generations import IndexBusy, current_generation
    from indexer.whoosh.build import BuildResult, build_from_paths, build_index, optimize_index
    from indexer.whoosh.update import update_from_paths

#: Where each name this package exports lives. They are imported when first used:
#: an indexing worker process imports `indexer.whoosh.pipeline`, which needs none
#: of them, and would otherwise pay for every reader of `corpus` at start-up.
_EXPORTS = {
    "BuildResult": "indexer.whoosh.build",
    "IndexBusy": "indexer.generations",
    "build_from_paths": "indexer.whoosh.build",
    "build_index": "indexer.whoosh.build",
    "current_generation": "indexer.generations",
    "optimize_index": "indexer.whoosh.build",
    "update_from_paths": "indexer.whoosh.update",
}

__all__ = [
    "BuildResult",
    "IndexBusy",
    "build_from_paths",
    "build_index",
    "current_generation",
    "optimize_index",
    "update_from_paths",
]


def __getattr__(name: str) -> Any:
    """Import an exported name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
