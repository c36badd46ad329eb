"""Compression and validators: pages, API answers and feeds are compressed when the client
accepts it, and carry an ETag so a repeated request for an unchanged index gets a 304.

Compression is Flask-Compress (gzip, brotli or zstd by ``Accept-Encoding``, with
``Vary: Accept-Encoding``), which makes a strong ETag per encoding (``"x:gzip"``) and
answers conditional requests after compressing. So ``make run`` (gunicorn alone) serves
compressed pages; behind a proxy that compresses, set ``BROADSHEET_COMPRESS=0``.

The ETag of an HTML page, API answer or feed is a hash of what decides its content: the
served index's version (`SearchBackend.version`: generation and commit), the request's
path and query, the UTC day (relative dates such as ``date:"last week"`` move with it)
and this build's templates, static files and code (`BUILD_TOKEN`). It is computed before
the view runs, so a matching ``If-None-Match`` is answered 304 without searching.
Responses other than 200, and backends without a version, get no ETag.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, current_app, request
from flask_compress import Compress

#: Endpoints whose answers get an ETag (pages, API reads and feeds; not /healthz).
VALIDATED = frozenset(
    {
        "views.search_page",
        "views.article_page",
        "api.search",
        "api.article",
        "feeds.search_feed",
    }
)
_PACKAGE = Path(__file__).resolve().parent
_CODE = (_PACKAGE, _PACKAGE.parent / "search")


def _build_token() -> str:
    """A hash of the files that shape every answer (templates, static files, code)."""
    digest = hashlib.sha256()
    for folder in _CODE:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".html", ".xml", ".css", ".js"):
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


BUILD_TOKEN = _build_token()


def etag_for_request(version: str) -> str:
    """The ETag of the current request's answer over an index at ``version``."""
    day = datetime.now(UTC).date().isoformat()
    key = "\n".join((BUILD_TOKEN, version, day, request.full_path))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def register(app: Flask, service_key: str) -> None:
    """Compress responses (unless ``COMPRESS`` is false) and validate the answers of
    `VALIDATED` endpoints."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip", "zstd", "deflate"])
    app.config.setdefault("COMPRESS_REGISTER", str(app.config.get("COMPRESS", "1")) != "0")
    # Compress registers its after_request first, so it runs after `add_etag` (Flask runs
    # them in reverse) and turns the tag into one per encoding.
    Compress(app)

    @app.before_request
    def answer_not_modified() -> Response | None:
        if request.endpoint not in VALIDATED or request.method not in ("GET", "HEAD"):
            return None
        version = current_app.extensions[service_key].version()
        if not version:
            return None
        tag = etag_for_request(version)
        request.environ["broadsheet.etag"] = tag
        for sent in request.if_none_match.as_set():
            if sent == tag or sent.startswith(f"{tag}:"):  # any encoding of the same answer
                response = Response(status=304)
                response.set_etag(sent)
                response.headers["Vary"] = "Accept-Encoding"
                response.headers["Cache-Control"] = "no-cache"
                return response
        return None

    @app.after_request
    def add_etag(response: Response) -> Response:
        tag = request.environ.get("broadsheet.etag")
        if tag and response.status_code == 200:
            response.set_etag(tag)
            response.headers.setdefault("Cache-Control", "no-cache")
        return response


COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/xml",
    "application/json",
    "application/javascript",
    "text/javascript",
    "application/atom+xml",
    "application/xml",
    "application/opensearchdescription+xml",
    "application/x-suggestions+json",
    "image/svg+xml",
]
