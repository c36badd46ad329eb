"""`IndexerError`: the one base of every failure the indexer reports to its user.

Each subclass keeps its own standard base as well (`RuntimeError`, `OSError`,
`ValueError`), so callers that catch those still do; the command line catches
`IndexerError` once and exits with the error's `exit_status`.
"""

from __future__ import annotations

__all__ = ["IndexerError"]


class IndexerError(Exception):
    """A failure of building, updating, checking or publishing an index, said in
    words for the person who ran the command."""

    #: Exit status of the command that failed with it (1: failed, the index unchanged).
    exit_status: int = 1
