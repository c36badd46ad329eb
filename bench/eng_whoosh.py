"""Whoosh used as its tutorials do: StemmingAnalyzer, `groupedby` facets, `highlights`.

The facet fields are a comma KEYWORD (tags) and ID fields (source, year) counted
with ``FieldFacet`` (tags with ``allow_overlap=True`` so multi-tag articles count
under every tag); snippets are ``hit.highlights("body")`` on the shown ten.
"""

from __future__ import annotations

from pathlib import Path

from whoosh import index, sorting
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema
from whoosh.qparser import MultifieldParser

from bench.engines import FACET_SIZE, TOP
from corpus import Article


def _schema() -> Schema:
    """The tutorial schema: StemmingAnalyzer text, KEYWORD tags, ID facets."""
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        tags=KEYWORD(stored=True, commas=True),
        source=ID(stored=True),
        year=ID(stored=True),
        date=DATETIME(stored=True),
    )


def build(articles: list[Article], index_dir: Path) -> None:
    """One writer with default settings, one document per article, one commit."""
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(index_dir), _schema())
    writer = ix.writer()
    for article in articles:
        date = article.date.replace(tzinfo=None) if article.date else None
        doc = {
            "id": article.id,
            "title": article.title,
            "body": article.body,
            "tags": ",".join(article.tags),
            "source": article.source,
            "year": str(article.date.year) if article.date else "",
            "date": date,
        }
        writer.add_document(**{k: v for k, v in doc.items() if v not in ("", None)})
    writer.commit()
    ix.close()


class WhooshSearcher:
    """One searcher for the process (the tutorial's ``with ix.searcher() as s``)."""

    def __init__(self, index_dir: Path) -> None:
        """Open the index and one searcher."""
        self.ix = index.open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)
        self.facets = {
            "tags": sorting.FieldFacet("tags", allow_overlap=True, maptype=sorting.Count),
            "source": sorting.FieldFacet("source", maptype=sorting.Count),
            "year": sorting.FieldFacet("year", maptype=sorting.Count),
        }

    def search(self, query: str, variant: str) -> int:
        """Parse, search top 10 (with ``groupedby`` facets and highlights per variant)."""
        parsed = self.parser.parse(query)  # the default group is AND
        with_facets = variant in ("facets", "full")
        results = self.searcher.search(
            parsed, limit=TOP, groupedby=self.facets if with_facets else None
        )
        for hit in results[:TOP]:
            fields = hit.fields()
            _ = (fields["title"], fields.get("tags"))
            if variant in ("snippets", "full"):
                _ = hit.highlights("body") or fields["body"][:200]
        if with_facets:
            for name in self.facets:
                counts = results.groups(name)
                _ = sorted(counts.items(), key=lambda item: -item[1])[:FACET_SIZE]
        return len(results)


def open_index(index_dir: Path) -> WhooshSearcher:
    """Open the index."""
    return WhooshSearcher(index_dir)
