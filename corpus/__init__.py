"""Corpus: news files in, `Article` records out.

Readers are generator functions ``(bytes, origin, report) -> Iterator[Article]``
registered by format name in `corpus.discover.READERS`; `read_paths` walks files,
folders and archives (`corpus.archives`) and picks one per file. Every article a reader
yields passes one gate, `corpus.admit.admit_article` (valid Unicode, body and tag caps,
views range). Problems are reported, never raised.
This package knows nothing of indexes or the web: it must not import whoosh or flask.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from corpus.article import ARTICLE_FIELDS, Article, format_utc
from corpus.report import Problem, ReadReport

if TYPE_CHECKING:
    from corpus.dates import parse_date
    from corpus.discover import READERS, read_paths

#: Names imported when first used: the readers (HTML extraction, feeds, dates) cost
#: a few hundred milliseconds to import, and a process that only handles `Article`
#: records (an indexing worker) never needs them.
_LAZY = {
    "READERS": "corpus.discover",
    "parse_date": "corpus.dates",
    "read_paths": "corpus.discover",
}

__all__ = [
    "ARTICLE_FIELDS",
    "Article",
    "Problem",
    "READERS",
    "ReadReport",
    "format_utc",
    "parse_date",
    "read_paths",
]


def __getattr__(name: str) -> Any:
    """Import a reader-side name on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
