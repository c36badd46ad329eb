"""Corpus: news files in, `Article` records out.

Readers are generator functions ``(bytes, origin, report) -> Iterator[Article]``
registered by format name in `corpus.discover.READERS`; `read_paths` walks files,
folders and archives (`corpus.archives`) and picks one per file. Every article a reader
yields passes one gate, `corpus.admit.admit_article` (valid Unicode, body and tag caps,
views range). Problems are reported, never raised.
This package knows nothing of indexes or the web: it must not import whoosh or flask.
"""

from corpus.article import ARTICLE_FIELDS, Article, format_utc
from corpus.dates import parse_date
from corpus.discover import READERS, read_paths
from corpus.report import Problem, ReadReport

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
