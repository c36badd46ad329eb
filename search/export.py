"""Export: every article a search matches, as CSV or JSONL, streamed in chunks.

`parse_export_request` reads the export parameters (`search.research_parameters.EXPORT_PARAMETERS`:
``q``, the filters, ``op``, ``sort``, ``recency``, ``collapse``, then ``format`` and
``fields``). A backend's ``export`` answers an `ArticleStream`: the matching articles in
the search's order, read a chunk at a time, so memory stays flat however many match;
`export_chunks` turns it into the bytes of the file.

What is exported is the query as typed, with its filters (no spelling correction, no
relaxing to any word), with no cap on the number of rows. Near-duplicates are all
listed unless ``collapse=1`` (then one article per story, the one the search shows), so
with ``collapse=0`` the rows are exactly the ``total`` of ``/api/search?collapse=0``.

CSV: UTF-8 with a byte-order mark (spreadsheets then read it as UTF-8), one header row
of the field names, fields quoted where needed (RFC 4180, CRLF line ends), tags joined
with ``"; "``, dates in ISO 8601 UTC, unknown views empty; a cell a spreadsheet would
run as a formula gets a leading apostrophe (`search.csv_cells`). JSONL: one JSON object
per line with the chosen fields (tags a list, views a number or null), not neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from corpus.article import Article, format_utc
from search.csv_cells import download_name, neutral_cell
from search.errors import InvalidParameter
from search.models import SearchRequest
from search.parameters import parameters_of, parse_arguments, validate
from search.research_parameters import (
    EXPORT,
    EXPORT_DEFAULT_FIELDS,
    EXPORT_FIELDS,
    EXPORT_PARAMETERS,
)

__all__ = [
    "ArticleStream",
    "ExportRequest",
    "export_chunks",
    "parse_export_request",
    "parse_fields",
]

#: Rows written per chunk of the streamed file.
ROWS_PER_CHUNK = 200
_BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """One export: the search (page fields unused), the format and the columns."""

    search: SearchRequest
    format: str = "csv"
    fields: tuple[str, ...] = EXPORT_DEFAULT_FIELDS

    @property
    def mimetype(self) -> str:
        """The media type of the file."""
        return "text/csv" if self.format == "csv" else "application/x-ndjson"

    def filename(self, day: str) -> str:
        """``broadsheet-<query words>-<day>.<csv|jsonl>`` (``all`` for no query)."""
        return download_name("broadsheet", self.search.q, day, self.format)


@dataclass(slots=True)
class ArticleStream:
    """The articles an export lists, in order, read lazily from what the backend holds
    for it (a pinned index snapshot); `close` releases that (idempotent; call it when
    the export ends or is abandoned)."""

    total: int
    articles: Iterator[Article]
    release: Callable[[], None] = field(default=lambda: None)
    _closed: bool = False

    def __iter__(self) -> Iterator[Article]:
        return self.articles

    def close(self) -> None:
        """Release what the backend holds for this export."""
        if not self._closed:
            self._closed = True
            self.release()


def parse_fields(text: str) -> tuple[str, ...]:
    """The columns ``fields=`` names, in order, each once; `InvalidParameter` for a
    name that is not an export field or for none at all."""
    names = tuple(dict.fromkeys(name.strip().lower() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in EXPORT_FIELDS]
    if unknown:
        raise InvalidParameter(
            "fields",
            f"unknown field {unknown[0][:40]!r} (export fields: {', '.join(EXPORT_FIELDS)})",
        )
    if not names:
        raise InvalidParameter("fields", "fields must name at least one column")
    return names


def parse_export_request(values: Mapping[str, Sequence[str]], now: datetime) -> ExportRequest:
    """The `ExportRequest` of raw export parameters (name -> every value given)."""
    parsed = parse_arguments(values, now, EXPORT, EXPORT_PARAMETERS)
    request = SearchRequest(
        **{p.field: parsed[p.name] for p in parameters_of(EXPORT, EXPORT_PARAMETERS) if p.field},
        facets=False,
        snippets=False,
        correct=False,
    )
    validate(request)
    return ExportRequest(request, parsed["format"], parse_fields(parsed["fields"]))


def _value(article: Article, name: str) -> Any:
    """One field of ``article`` as JSON would have it."""
    if name == "date":
        return format_utc(article.date)
    if name == "tags":
        return list(article.tags)
    return getattr(article, name)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(value)
    return neutral_cell(str(value))


def export_chunks(
    articles: Iterable[Article], fields: Sequence[str], file_format: str
) -> Iterator[str]:
    """The export file's text, a chunk of `ROWS_PER_CHUNK` rows at a time (CSV: the
    byte-order mark and header row first)."""
    if file_format == "jsonl":
        lines: list[str] = []
        for article in articles:
            row = {name: _value(article, name) for name in fields}
            lines.append(json.dumps(row, ensure_ascii=False) + "\n")
            if len(lines) == ROWS_PER_CHUNK:
                yield "".join(lines)
                lines = []
        if lines:
            yield "".join(lines)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    buffer.write(_BYTE_ORDER_MARK)
    writer.writerow(fields)
    rows = 0
    for article in articles:
        writer.writerow([_csv_cell(_value(article, name)) for name in fields])
        rows += 1
        if rows == ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            rows = 0
    yield buffer.getvalue()
