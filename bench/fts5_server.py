"""A minimal FTS5-over-HTTP JSON server: the served peer Broadsheet is compared with.

``python -m bench.fts5_server INDEX_DIR PORT [MAX_SECONDS]``: stdlib
`ThreadingHTTPServer` on 127.0.0.1 only, HTTP/1.1 keep-alive, ``TCP_NODELAY`` on
every connection, one read-only SQLite connection per thread; ``GET
/api/search?q=...`` answers the same shape as Broadsheet's API (top 10 with
snippets, tag/source/year facets). It stops by itself after MAX_SECONDS
(default 3600) so it can never outlive a crashed benchmark for long.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.eng_fts5 import connect, run_query

_local = threading.local()


class Handler(BaseHTTPRequestHandler):
    """``/api/search`` and ``/healthz``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms delayed-ACK stall per response
    index_dir: Path = Path(".")

    def _connection(self) -> sqlite3.Connection:
        """This thread's read-only SQLite connection."""
        conn = getattr(_local, "conn", None)
        if conn is None:
            conn = _local.conn = connect(self.index_dir)
        return conn

    def do_GET(self) -> None:  # http.server's naming
        """Answer one GET."""
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self._send(200, {"status": "ok"})
        elif url.path == "/api/search":
            q = parse_qs(url.query).get("q", [""])[0]
            try:
                self._send(200, run_query(self._connection(), q, "full"))
            except sqlite3.Error as error:
                self._send(400, {"error": {"code": "invalid_query", "message": str(error)}})
        else:
            self._send(404, {"error": {"code": "not_found", "message": url.path}})

    def _send(self, status: int, payload: dict) -> None:
        """Write one JSON response with a Content-Length (keep-alive)."""
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the access log."""


def main(argv: list[str]) -> int:
    """Serve until MAX_SECONDS pass or the process is terminated."""
    index_dir, port = Path(argv[0]), int(argv[1])
    max_seconds = float(argv[2]) if len(argv) > 2 else 3600.0
    Handler.index_dir = index_dir
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    timer = threading.Timer(max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
