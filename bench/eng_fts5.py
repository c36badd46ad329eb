"""SQLite FTS5 through the standard library: porter tokenizer, GROUP BY facets, snippet().

Tables: ``docs`` (rowid, stored fields), ``fts`` (FTS5 over title and body, same
rowid) and ``tags`` (doc, tag). `run_query` returns the JSON-ready answer that
both the in-process adapter and the minimal HTTP server (`bench.fts5_server`) use.
"""

from __future__ import annotations

import html
import sqlite3
from pathlib import Path
from typing import Any

from bench.engines import FACET_SIZE, TOP
from bench.queries import to_fts5
from corpus import Article

DB_NAME = "fts5.sqlite"
_OPEN, _CLOSE = "\ue000", "\ue001"
_FACET_SQL = {
    "tags": "SELECT t.tag, count(*) AS c FROM fts JOIN tags t ON t.doc = fts.rowid "
    "WHERE fts MATCH ? GROUP BY t.tag ORDER BY c DESC LIMIT ?",
    "source": "SELECT d.source, count(*) AS c FROM fts JOIN docs d ON d.rowid = fts.rowid "
    "WHERE fts MATCH ? GROUP BY d.source ORDER BY c DESC LIMIT ?",
    "year": "SELECT d.year, count(*) AS c FROM fts JOIN docs d ON d.rowid = fts.rowid "
    "WHERE fts MATCH ? AND d.year IS NOT NULL GROUP BY d.year ORDER BY d.year DESC LIMIT ?",
}


def build(articles: list[Article], index_dir: Path) -> None:
    """Create the three tables in one transaction, then optimize the FTS index."""
    index_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(index_dir / DB_NAME)
    conn.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        "CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT, title TEXT, body TEXT,"
        " source TEXT, year INTEGER, date TEXT, url TEXT);"
        "CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='porter unicode61');"
        "CREATE TABLE tags(doc INTEGER, tag TEXT);"
    )
    with conn:
        for rowid, a in enumerate(articles, 1):
            conn.execute(
                "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?)",
                (
                    rowid,
                    a.id,
                    a.title,
                    a.body,
                    a.source,
                    a.date.year if a.date else None,
                    a.date.isoformat() if a.date else None,
                    a.url,
                ),
            )
            conn.execute(
                "INSERT INTO fts(rowid, title, body) VALUES (?,?,?)", (rowid, a.title, a.body)
            )
            conn.executemany("INSERT INTO tags VALUES (?,?)", [(rowid, t) for t in a.tags])
    conn.executescript(
        "CREATE INDEX tags_doc ON tags(doc); INSERT INTO fts(fts) VALUES('optimize'); ANALYZE;"
    )
    conn.close()


def connect(index_dir: Path) -> sqlite3.Connection:
    """A read connection (one per thread)."""
    return sqlite3.connect(f"file:{index_dir / DB_NAME}?mode=ro", uri=True, check_same_thread=False)


def _safe_snippet(raw: str, body: str) -> str:
    """Escape FTS5 snippet text and turn the private markers into ``<mark>``."""
    if _OPEN not in raw:
        return html.escape(body[:200])  # title-only match: fall back to the lead
    text = html.escape(raw)
    return text.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def run_query(conn: sqlite3.Connection, query: str, variant: str) -> dict[str, Any]:
    """Answer one query: total, top 10 (with snippets) and facets, as a JSON-ready dict."""
    match = to_fts5(query)
    with_snippets = variant in ("snippets", "full")
    snippet_sql = f"snippet(fts, 1, '{_OPEN}', '{_CLOSE}', '…', 24)" if with_snippets else "''"
    rows = conn.execute(
        f"SELECT fts.rowid, bm25(fts, 2.5, 1.0) AS score, {snippet_sql} FROM fts "
        "WHERE fts MATCH ? ORDER BY score LIMIT ?",
        (match, TOP),
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (match,)).fetchone()[0]
    results = []
    for rowid, score, raw in rows:
        doc_id, title, body, source, date, url = conn.execute(
            "SELECT id, title, body, source, date, url FROM docs WHERE rowid = ?", (rowid,)
        ).fetchone()
        tags = [t for (t,) in conn.execute("SELECT tag FROM tags WHERE doc = ?", (rowid,))]
        results.append(
            {
                "id": doc_id,
                "title": title,
                "url": url,
                "date": date,
                "source": source,
                "tags": tags,
                "score": -score,
                "snippet": _safe_snippet(raw, body) if with_snippets else "",
            }
        )
    facets: dict[str, list[dict[str, Any]]] = {}
    if variant in ("facets", "full"):
        for name, sql in _FACET_SQL.items():
            limit = 100 if name == "year" else FACET_SIZE
            facets[name] = [
                {"value": str(v), "count": c} for v, c in conn.execute(sql, (match, limit))
            ]
    return {"query": query, "total": total, "results": results, "facets": facets}


class Fts5Searcher:
    """One connection for the process."""

    def __init__(self, index_dir: Path) -> None:
        """Open one read-only connection."""
        self.conn = connect(index_dir)

    def search(self, query: str, variant: str) -> int:
        """Run the query in-process."""
        return run_query(self.conn, query, variant)["total"]


def open_index(index_dir: Path) -> Fts5Searcher:
    """Open the database read-only."""
    return Fts5Searcher(index_dir)
