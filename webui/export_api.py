"""``GET /api/export``: every article a search matches, as a CSV or JSONL download.

The parameters are `search.research_parameters.EXPORT_PARAMETERS` (``q``, the search filters,
``op``, ``sort``, ``recency``, ``collapse``, ``format``, ``fields``); the file is
described in `search.export`. The body is streamed a chunk at a time, so a worker's
memory stays flat whatever the number of rows; ``X-Total-Count`` says how many rows
follow. Errors (found before the first byte) are the one JSON error shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request

from search.export import ArticleStream, export_chunks, parse_export_request
from search.parameters import names_of
from search.research_parameters import EXPORT, EXPORT_PARAMETERS
from webui import SERVICE_KEY
from webui.api import allow_cross_origin
from webui.params import reject_unknown, request_values

bp = Blueprint("export_api", __name__, url_prefix="/api")
bp.after_request(allow_cross_origin)

#: Parameters of ``/api/export``.
EXPORT_PARAMS = names_of(EXPORT, EXPORT_PARAMETERS)


def _body(stream: ArticleStream, fields: tuple[str, ...], file_format: str) -> Iterator[bytes]:
    try:
        for chunk in export_chunks(stream, fields, file_format):
            yield chunk.encode("utf-8")
    finally:
        stream.close()


@bp.get("/export")
def export() -> Response:
    """Every matching article, in the search's order, as a file to download."""
    reject_unknown(request.args, EXPORT_PARAMS)
    now = datetime.now(UTC)
    asked = parse_export_request(request_values(request.args), now)
    stream = current_app.extensions[SERVICE_KEY].export(asked.search, now)
    response = Response(_body(stream, asked.fields, asked.format), mimetype=asked.mimetype)
    response.call_on_close(stream.close)
    name = asked.filename(now.date().isoformat())
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Total-Count"] = str(stream.total)
    response.headers["Access-Control-Expose-Headers"] = "X-Total-Count, Content-Disposition"
    response.headers["Cache-Control"] = "no-store"
    return response
