"""The one Whoosh schema: every indexed and stored field, documented in one place.

Stored fields (what a hit can show without reading the source again):
``id``, ``title``, ``body`` (for snippets), ``date``, ``tag_list`` (the tags as a
list, in their original case), ``source_exact``, ``author``, ``url``, ``views``,
``origin``, ``language``.

Searchable fields (also the query language's field names): ``title``, ``body``
(English Snowball stemming through PyStemmer, `indexer.analysis`: Whoosh's own
Porter `StemmingAnalyzer` never undoubles consonants, so "shipping" became
"shipp"; positions only, no character offsets, since snippets find their own;
indexed through `FastText`'s fast path), ``tag``, ``source``, ``author``
(lowercased words, no stemming). ``title_exact`` and ``body_exact`` hold the same
words unstemmed (lowercased, same stop words and positions): what a word or
phrase in double quotes searches, so ``"elected"`` does not find "election".

Filter and facet fields (exact values, not analysed): ``tag_exact``
(comma-separated keywords, original case), ``source_exact`` (sortable column),
``date`` (naive UTC, a sortable column only: filters compare it), ``dated`` (1 or 0,
so undated articles sort last either way; a column only), ``views`` (a sortable column
only; -1 when unknown, read back as None), ``origin`` (stored only: the file an article
came from), ``title_words``
(lowercased title words, unstemmed, for autocomplete), ``minhash`` (a
MinHash sketch of the title and body word shingles, a column only, empty for
texts too short to sign; the search layer groups near-duplicate stories by it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from whoosh.analysis import StandardAnalyzer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from corpus.article import Article
from indexer.analysis import english_analyzer, exact_analyzer
from indexer.near_duplicates import minhash_sketch  # the sketch the minhash column holds
from indexer.whoosh.fast_text import FastText

#: English analyzer: tokenize, lowercase, stop words, Snowball stemmer (PyStemmer).
TEXT_ANALYZER = english_analyzer()
#: The same without the stemmer, for the ``*_exact`` fields (quoted words and phrases).
EXACT_ANALYZER = exact_analyzer()
#: Names and short labels: tokenize and lowercase, no stemming.
NAME_ANALYZER = StandardAnalyzer(stoplist=None)

_WORD = re.compile(r"\w{2,}", re.UNICODE)

#: Fields a user may name in a query (``field:value``).
QUERY_FIELDS = ("title", "body", "tag", "source", "author")
#: The unstemmed twin of each searchable text field (quoted words and phrases).
EXACT_FIELDS = {"title": "title_exact", "body": "body_exact"}

#: Schema version; bump when fields change (readers refuse an index of another version).
#: 4: PyStemmer's Snowball English, no character offsets in ``body`` postings.
#: 5: unstemmed ``title_exact`` / ``body_exact``; a text too short to sign by shingles
#: gets a sketch of its exact text (equal short texts group as duplicates).
SCHEMA_VERSION = 5

#: Numbers read only from their sortable columns (sorting, "views known", date filters
#: and facets), never searched through postings. ``views`` and ``dated`` were 18 of an
#: article's postings (``views``' 16 precision tiers, ``dated``'s 2); ``date``'s
#: precision tiers were a fifth of an index's terms (Reuters). An index written with
#: them reads the same.
COLUMN_ONLY_FIELDS = ("views", "dated", "date")

#: Postings per block of a posting list (Whoosh writes 128). Searches read whole
#: posting lists, and each block costs a header, a decompression and a parse on top of
#: its postings: 512 a block read them about twice as fast as 128 (bench/README.md),
#: and any Whoosh reader reads blocks of any length (the length is in each block).
POSTING_BLOCK = 512


def posting_codec() -> W3Codec:
    """The codec Broadsheet writes segments with: Whoosh's W3, `POSTING_BLOCK` postings
    a block."""
    return W3Codec(blocklimit=POSTING_BLOCK)


#: Keyword fields whose values by document the indexer writes for each generation
#: (`indexer.whoosh.tables`): the facet fields (`search.facet_specs.FACETS`) not
#: read from the date column.
TABLE_FIELDS = ("tag_exact", "source_exact")


def build_schema() -> Schema:
    """Return a fresh Schema instance (Whoosh schemas are mutable, so never share one)."""
    schema = Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=FastText(analyzer=TEXT_ANALYZER, stored=True),
        body=FastText(analyzer=TEXT_ANALYZER, stored=True),
        title_exact=FastText(analyzer=EXACT_ANALYZER),
        body_exact=FastText(analyzer=EXACT_ANALYZER),
        tag=TEXT(analyzer=NAME_ANALYZER),
        tag_exact=KEYWORD(commas=True, lowercase=False, scorable=False),
        tag_list=STORED(),
        source=TEXT(analyzer=NAME_ANALYZER),
        source_exact=ID(stored=True, sortable=True),
        author=TEXT(analyzer=NAME_ANALYZER, stored=True),
        date=DATETIME(stored=True, sortable=True),
        dated=NUMERIC(bits=8, sortable=True),
        views=NUMERIC(stored=True, sortable=True, bits=64),
        url=STORED(),
        origin=STORED(),
        language=STORED(),
        title_words=KEYWORD(lowercase=True, scorable=False),
        minhash=COLUMN(VarBytesColumn()),
    )
    for name in COLUMN_ONLY_FIELDS:
        schema[name].indexed = False
    return schema


def to_whoosh_date(value: datetime | None) -> datetime | None:
    """Whoosh DATETIME drops tzinfo: store naive UTC."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None)


def from_whoosh_date(value: datetime | None) -> datetime | None:
    """Inverse of `to_whoosh_date`: naive UTC back to aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC)


def article_to_document(article: Article) -> dict[str, Any]:
    """Map an Article to the keyword arguments of ``writer.add_document``."""
    document: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "title_exact": article.title,
        "body_exact": article.body,
        "tag": " ".join(article.tags),
        "tag_list": list(article.tags),
        "source": article.source,
        "source_exact": article.source,
        "author": article.author,
        "url": article.url,
        "origin": article.origin,
        "language": article.language,
        "title_words": " ".join(_WORD.findall(article.title.lower())),
        "dated": int(article.date is not None),
        # Always written, so unknown views (-1) sort below every known count.
        "views": article.views if article.views is not None else -1,
        "minhash": minhash_sketch(f"{article.title}\n{article.body}"),
    }
    if article.tags:
        document["tag_exact"] = ",".join(article.tags)
    if article.date is not None:
        document["date"] = to_whoosh_date(article.date)
    return {key: value for key, value in document.items() if value not in ("", None)}
