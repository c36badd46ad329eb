"""The gunicorn worker Broadsheet runs: gthread, shielded from slow clients.

gunicorn's gthread worker gives a connection one of its few threads as soon as a
byte arrives, and the thread then blocks reading the rest of the request head: six
connections sending a byte every few seconds (slowloris) held every thread for as
long as they liked, and ``/healthz`` went unanswered. gunicorn's ``timeout`` does not
help: it kills a worker whose main loop stops beating, and gthread's main loop keeps
beating while its threads are stuck.

`HeadBufferingWorker` changes two things, both bounded by `IO_TIMEOUT_SECONDS`:

* A request head is read in the worker's event loop, without a thread, and a thread
  gets the connection only once the head is complete (a blank line, or more bytes
  than gunicorn's header limits allow, which its parser then refuses). A head that
  is not complete within the timeout of its first wait closes the connection. So a
  slow client costs one socket in the event loop (at most ``worker_connections`` per
  worker), never a thread.
* In a thread, every socket operation is bounded: a response the client does not
  read (a slow reader) ends the connection after the timeout instead of blocking the
  thread. (gunicorn itself drains an unread request body for at most 5 s, 64 KiB.)
* A connection closed after its response lingers (RFC 9112 9.6: half-closed, reading
  what the client still sends for up to `LINGER_SECONDS`) in the event loop; gthread
  lingered in its main loop, blocking, so a client trickling bytes after a
  ``Connection: close`` request stalled every connection of the worker for 2 s.

TLS connections (gunicorn's own ``certfile``), cleartext HTTP/2 and the uWSGI protocol
are left to gthread as it is: Broadsheet is meant to sit behind a proxy that does TLS.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

__all__ = ["IO_TIMEOUT_SECONDS", "HeadBufferingWorker"]

#: Seconds a request head may take to arrive, and any one socket operation of a thread
#: (``BROADSHEET_IO_TIMEOUT`` overrides).
IO_TIMEOUT_SECONDS = float(os.environ.get("BROADSHEET_IO_TIMEOUT", "10"))
#: Seconds a closed connection is read from (and at most 64 KiB) before it is shut.
LINGER_SECONDS = 2.0
_LINGER_BYTES = 65536
_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")


class BoundedSocket:
    """A connection's socket whose blocking mode is "blocking, at most ``seconds`` per
    operation" (``sendall`` as a whole); a send that times out is reported as a broken
    pipe, which gunicorn closes quietly. Everything else is the socket's own."""

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self._sock = sock
        self._seconds = seconds

    def setblocking(self, flag: bool) -> None:
        """Blocking means: with the timeout."""
        if flag:
            self._sock.settimeout(self._seconds)
        else:
            self._sock.setblocking(False)

    def _bounded(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._sock, method)(*args, **kwargs)
        except TimeoutError:
            raise BrokenPipeError(errno.EPIPE, "the client did not read the response") from None

    def send(self, data: bytes, *args: Any) -> int:
        """``socket.send``, bounded."""
        return self._bounded("send", data, *args)

    def sendall(self, data: bytes, *args: Any) -> None:
        """``socket.sendall``, bounded as a whole."""
        return self._bounded("sendall", data, *args)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """``socket.sendfile``, bounded."""
        return self._bounded("sendfile", file, offset, count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class LingeringConn(TConn):
    """A connection whose graceful close lingers in the worker's event loop."""

    def __init__(self, worker: HeadBufferingWorker, *args: Any) -> None:
        super().__init__(*args)
        self.worker = worker
        self.drained = 0

    def close(self, graceful: bool = False) -> None:
        """Close now, or (gracefully, while the worker runs) half-close and linger."""
        if graceful and self.worker.alive:
            self.worker.linger(self)
        else:
            super().close(graceful)


class HeadBufferingWorker(ThreadWorker):
    """gthread, but a thread only ever gets a connection whose request head is whole."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.io_timeout = IO_TIMEOUT_SECONDS
        # Connections waiting for a request head, and closed ones lingering, oldest first,
        # with their deadlines.
        self.awaiting_head: deque[tuple[float, TConn]] = deque()
        self.lingering: deque[tuple[float, LingeringConn]] = deque()
        limits = self.cfg.limit_request_line + 4
        limits += (self.cfg.limit_request_fields or 100) * (self.cfg.limit_request_field_size + 2)
        #: More head than gunicorn's limits allow: its parser answers, without waiting.
        self.max_head_bytes = limits + 2

    def _buffers_heads(self) -> bool:
        """Plain HTTP/1 only (no TLS, HTTP/2 or uWSGI: their heads are not text)."""
        plain = getattr(self.cfg, "protocol", "http") == "http"
        return plain and not self.cfg.is_ssl and self.cfg.http2_cleartext == "off"

    def accept(self, listener: socket.socket) -> None:
        """Accept a connection and wait for its request head in the event loop."""
        if not self._buffers_heads():
            super().accept(listener)
            return
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        sock = BoundedSocket(client, self.io_timeout)
        self.enqueue_req(LingeringConn(self, self.cfg, sock, address, listener.getsockname()))

    def enqueue_req(self, conn: TConn) -> None:
        """Give ``conn`` to a thread when its buffered request head is whole; else read
        what has arrived (without blocking) and wait for the rest in the event loop
        (new connections, kept-alive ones, and a pipelined request of which only a part
        arrived)."""
        if not self._buffers_heads() or self._head_is_whole(conn):
            super().enqueue_req(conn)
            return
        if not conn.initialized:
            conn.init()  # the HTTP/1 parser (no I/O without TLS or HTTP/2 prior knowledge)
        conn.data_ready = True  # the thread must not wait for data again
        conn.sock.setblocking(False)
        state = self._take_head(conn)
        if state == "whole":
            super().enqueue_req(conn)
        elif state == "closed":
            self._close(conn)
        else:
            self.awaiting_head.append((time.monotonic() + self.io_timeout, conn))
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_head, conn))

    def _head_is_whole(self, conn: TConn) -> bool:
        if conn.parser is None:
            return False
        held = conn.parser.unreader.buf.getvalue()
        return len(held) > self.max_head_bytes or any(end in held for end in _HEAD_ENDS)

    def _take_head(self, conn: TConn) -> str:
        """Read what arrived, never blocking: ``whole`` (the head is complete),
        ``waiting`` (not yet) or ``closed`` (the client went away)."""
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return "waiting"
        except OSError:
            data = b""
        if not data:
            return "closed"
        buffer = conn.parser.unreader.buf
        buffer.seek(0, os.SEEK_END)
        buffer.write(data)
        return "whole" if self._head_is_whole(conn) else "waiting"

    def _read_head(self, conn: TConn, _client: object) -> None:
        """The event loop's callback for a connection waiting for its head."""
        state = self._take_head(conn)
        if state == "waiting":
            return
        self._stop_waiting(conn)
        if state == "whole":
            super().enqueue_req(conn)
        else:
            self._close(conn)

    def _close(self, conn: TConn) -> None:
        self.nr_conns -= 1
        conn.close()

    def _stop_waiting(self, conn: TConn) -> None:
        self.poller.unregister(conn.sock)
        for entry in self.awaiting_head:
            if entry[1] is conn:
                self.awaiting_head.remove(entry)
                break

    def linger(self, conn: LingeringConn) -> None:
        """Half-close ``conn`` (the response is sent) and read what the client still
        sends, in the event loop, until it closes or `LINGER_SECONDS` pass."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))
        except (OSError, ValueError, KeyError):
            TConn.close(conn)
            return
        self.lingering.append((time.monotonic() + LINGER_SECONDS, conn))

    def _drain(self, conn: LingeringConn, _client: object) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        conn.drained += len(data)
        if not data or conn.drained > _LINGER_BYTES:
            self.poller.unregister(conn.sock)
            for entry in self.lingering:
                if entry[1] is conn:
                    self.lingering.remove(entry)
                    break
            TConn.close(conn)

    def murder_pending(self) -> None:
        """Also close the connections whose head did not arrive in time (all of them
        once the worker stops: none has a request under way), and those done lingering."""
        super().murder_pending()
        now = time.monotonic()
        while self.lingering and (self.lingering[0][0] <= now or not self.alive):
            _, done = self.lingering.popleft()
            try:
                self.poller.unregister(done.sock)
            except (KeyError, ValueError, OSError):
                pass
            TConn.close(done)
        while self.awaiting_head and (self.awaiting_head[0][0] <= now or not self.alive):
            _, conn = self.awaiting_head.popleft()
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
            self.nr_conns -= 1
            conn.close()
            if self.alive:
                self.log.info(
                    "closed %s: no whole request head within %g s", conn.client, self.io_timeout
                )
