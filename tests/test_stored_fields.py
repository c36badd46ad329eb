"""`indexer.whoosh.stored_fields.StoredFields` answers what Whoosh's own
``stored_fields`` answers, for every document of every segment."""

from __future__ import annotations

from pathlib import Path

from whoosh import index
from whoosh.fields import ID, STORED, TEXT, Schema

from corpus import ReadReport, read_paths
from indexer import build_index, current_generation
from indexer.whoosh.storage import open_mapped_index
from indexer.whoosh.stored_fields import StoredFields
from support import ARTICLES


def test_a_broadsheet_index_reads_like_whoosh(tmp_path: Path) -> None:
    build_index(read_paths([ARTICLES], ReadReport()), tmp_path / "index", workers=2)
    with open_mapped_index(current_generation(tmp_path / "index")).searcher() as searcher:
        reader = searcher.reader()
        stored = StoredFields(reader)
        assert any(column is not None for column in stored._columns)  # the fast path ran
        assert reader.doc_count_all() > 3
        for docnum in range(reader.doc_count_all()):
            assert stored(docnum) == searcher.stored_fields(docnum)


def test_segments_written_by_whoosh_with_deletions_and_empty_documents(tmp_path: Path) -> None:
    ix = index.create_in(str(tmp_path), Schema(id=ID(stored=True), body=TEXT, note=STORED))
    for part in range(3):  # three segments, kept apart
        writer = ix.writer()
        for number in range(5):
            writer.add_document(id=f"{part}-{number}", body="some words", note=[part, number])
        writer.add_document(body="nothing stored")  # stores no field at all
        writer.commit(merge=False)
    writer = ix.writer()
    writer.delete_by_term("id", "1-2")
    writer.commit(merge=False)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        stored = StoredFields(reader)
        assert len(stored._columns) == 3
        for docnum in range(reader.doc_count_all()):
            assert stored(docnum) == searcher.stored_fields(docnum)
        assert {} in [stored(docnum) for docnum in range(reader.doc_count_all())]


def test_other_columns_are_read_through_whoosh(tmp_path: Path) -> None:
    ix = index.create_in(str(tmp_path), Schema(id=ID(stored=True)))
    with ix.writer() as writer:
        writer.add_document(id="only")
    with ix.searcher() as searcher:
        stored = StoredFields(searcher.reader())
        stored._columns = [None]  # as for a segment whose stored column is another kind
        assert stored(0) == {"id": "only"}
