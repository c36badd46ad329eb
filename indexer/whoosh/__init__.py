"""The Whoosh writer: Articles into a Whoosh index on disk (build, update, optimize).

The only modules of `indexer` that import Whoosh's index, codec and writing code
(the architecture test enforces it). `version` checks the installed Whoosh first;
`schema` is the one schema; `transaction` holds the lock, stages a generation,
feeds it through `pipeline` and publishes it; `build` and `update` are the
operations; `fixes`, `codec_fast`, `posting_pool`, `field_terms` and `fast_text`
are the fast paths, through Whoosh's own extension points (a ``SegmentWriter``
subclass and ``codec=``); `storage` opens a generation for the searcher.
"""

# First: stop with a clear message on an unsupported Whoosh, before any module uses it.
from indexer.whoosh.version import SUPPORTED_WHOOSH, UnsupportedWhoosh

__all__ = ["SUPPORTED_WHOOSH", "UnsupportedWhoosh"]
