"""Indexer: `Article` records in, a Whoosh index on disk out.

Only this package writes indexes. A build goes into a fresh generation folder and is
swapped in atomically (`indexer.generations`). The schema lives in `indexer.schema`.
Must not import flask.
"""

from indexer.build import BuildResult, build_index
from indexer.generations import IndexBusy, current_generation

__all__ = ["BuildResult", "IndexBusy", "build_index", "current_generation"]
