"""tantivy through its Python bindings: en_stem text, raw fast fields, aggregations."""

from __future__ import annotations

from pathlib import Path

import tantivy

from bench.engines import FACET_SIZE, TOP
from corpus import Article

_AGGREGATION = {
    "tags": {"terms": {"field": "tags", "size": FACET_SIZE}},
    "source": {"terms": {"field": "source", "size": FACET_SIZE}},
    "year": {"terms": {"field": "year", "size": 100}},
}


def _schema() -> tantivy.Schema:
    """The tantivy schema: stemmed text, raw fast facet fields."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("tags", stored=True, fast=True, tokenizer_name="raw")
    builder.add_text_field("source", stored=True, fast=True, tokenizer_name="raw")
    builder.add_integer_field("year", stored=True, fast=True, indexed=True)
    return builder.build()


def build(articles: list[Article], index_dir: Path) -> None:
    """The default multithreaded writer, one commit, merges waited for."""
    index_dir.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(_schema(), path=str(index_dir))
    writer = index.writer(heap_size=256_000_000)
    for a in articles:
        doc = tantivy.Document(id=a.id, title=a.title, body=a.body, source=a.source)
        for tag in a.tags:
            doc.add_text("tags", tag)
        if a.date:
            doc.add_integer("year", a.date.year)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()


class TantivySearcher:
    """One searcher for the process."""

    def __init__(self, index_dir: Path) -> None:
        """Open the index and one searcher."""
        self.index = tantivy.Index.open(str(index_dir))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    def search(self, query: str, variant: str) -> int:
        """Parse (all words required), search, fetch docs, snippets and aggregations."""
        parsed = self.index.parse_query(
            query, ["title", "body"], field_boosts={"title": 2.5}, conjunction_by_default=True
        )
        result = self.searcher.search(parsed, TOP)
        generator = None
        if variant in ("snippets", "full"):
            generator = tantivy.SnippetGenerator.create(self.searcher, parsed, self.schema, "body")
            generator.set_max_num_chars(200)
        for _score, address in result.hits:
            doc = self.searcher.doc(address)
            _ = (doc["title"], doc.get_all("tags"))
            if generator is not None:
                _ = generator.snippet_from_doc(doc).to_html() or doc["body"][0][:200]
        if variant in ("facets", "full"):
            _ = self.searcher.aggregate(parsed, _AGGREGATION)
        return result.count


def open_index(index_dir: Path) -> TantivySearcher:
    """Open the index."""
    return TantivySearcher(index_dir)
