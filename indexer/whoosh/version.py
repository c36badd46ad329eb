"""The Whoosh versions Broadsheet runs on, checked when `indexer` is imported.

Broadsheet writes Whoosh's W3 segment files itself (`indexer.whoosh.codec_fast`), extends
Whoosh's writer and storage classes (`indexer.whoosh.fixes`,
`indexer.whoosh.storage`) and reads its postings directly (`indexer.whoosh.postings`):
all of it relies on internals of the one release it is tested with. Another
release may lay its files or classes out differently, so importing `indexer`
(and with it `search` and `webui`) stops at once with a message naming the
version found and the one needed, instead of failing later on a missing
attribute or, worse, writing an index that reads back wrong.
"""

from __future__ import annotations

import whoosh

from indexer.errors import IndexerError

#: The Whoosh releases Broadsheet is tested with (whoosh-reloaded, pinned in
#: requirements.txt; the ``whoosh`` module reports it as ``__version__``).
SUPPORTED_WHOOSH: tuple[tuple[int, ...], ...] = ((2, 7, 5),)


class UnsupportedWhoosh(IndexerError, ImportError):
    """The installed Whoosh is not a release Broadsheet supports."""


def _dotted(version: tuple[int, ...] | object) -> str:
    if isinstance(version, tuple):
        return ".".join(str(part) for part in version)
    return repr(version)


def check_whoosh_version() -> None:
    """Raise `UnsupportedWhoosh` unless the imported ``whoosh`` is a supported release."""
    found = getattr(whoosh, "__version__", None)
    if found in SUPPORTED_WHOOSH:
        return
    needed = " or ".join(_dotted(version) for version in SUPPORTED_WHOOSH)
    raise UnsupportedWhoosh(
        f"Broadsheet needs Whoosh {needed} (whoosh-reloaded=={_dotted(SUPPORTED_WHOOSH[-1])}, "
        f"pinned in requirements.txt) but found Whoosh {_dotted(found)} at "
        f"{getattr(whoosh, '__file__', '?')}; install the pinned version: "
        "pip install -r requirements.txt"
    )


check_whoosh_version()
