"""Indexer: `Article` records in, a Whoosh index on disk out.

Only this package writes indexes. Every write (build, update, optimize) goes into
a fresh generation folder and is swapped in atomically (`indexer.generations`
documents the folder layout and the lock); `indexer.whoosh.pipeline` spreads the work
over worker processes; `indexer.sources` keeps the manifest incremental updates
rely on; the CLI (`indexer.cli`) documents the commands and exit statuses. The
schema lives in `indexer.whoosh.schema`. Must not import flask. Importing it checks the
Whoosh version first (`indexer.whoosh.version`) and changes nothing in Whoosh.
"""

from indexer.generations import IndexBusy, current_generation
from indexer.whoosh.build import BuildResult, build_from_paths, build_index, optimize_index
from indexer.whoosh.update import update_from_paths

__all__ = [
    "BuildResult",
    "IndexBusy",
    "build_from_paths",
    "build_index",
    "current_generation",
    "optimize_index",
    "update_from_paths",
]
