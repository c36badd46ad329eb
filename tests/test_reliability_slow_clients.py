"""Slow clients against a real gunicorn (issue 21, item 16): /healthz stays answered.

The review held six connections open for 96 s by sending a request head a byte at a
time, and /healthz probes timed out: gthread gives such a connection a thread, which
then blocks. Broadsheet's worker (`webui.worker`) reads heads in its event loop, closes
a head that does not arrive within the I/O timeout, bounds every socket operation of a
thread (a client that never reads its response), and lingers on closed connections in
the event loop instead of blocking it. Each test runs more slow clients than the
server has threads (2 workers x 2 threads).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from servers import gunicorn
from support import build_from

pytestmark = pytest.mark.slow

#: The server's I/O timeout in these tests (BROADSHEET_IO_TIMEOUT; 10 s by default).
IO_TIMEOUT = 3.0
#: Threads of the server (2 workers x 2 threads), and more slow clients than that.
THREADS = 4
SLOW_CLIENTS = 8
#: A probe waits at most this long for its answer.
PROBE_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn (2 workers) over a few articles, one with a 1.5 MB body."""
    folder = tmp_path_factory.mktemp("slow")
    articles = [
        {"id": "big", "title": "A very long report", "body": "word " * 300_000},
        {"id": "small", "title": "A short note", "body": "A note about the election."},
    ]
    (folder / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles))
    index_dir = build_from([folder / "a.jsonl"], folder / "ix")
    with gunicorn(
        index_dir, workers=2, extra_env={"BROADSHEET_IO_TIMEOUT": str(IO_TIMEOUT)}
    ) as base:
        yield base


def address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def probe(base: str) -> float:
    """Seconds /healthz takes to answer 200 (fails past `PROBE_TIMEOUT`)."""
    started = time.monotonic()
    with urllib.request.urlopen(f"{base}/healthz", timeout=PROBE_TIMEOUT) as answer:
        assert answer.status == 200
    return time.monotonic() - started


def answered(base: str) -> bool:
    """Whether /healthz answers within `PROBE_TIMEOUT`."""
    try:
        probe(base)
    except OSError:
        return False
    return True


class Trickler(threading.Thread):
    """Sends ``opening`` and then one byte every ``every`` seconds until the server
    closes the connection (or the test stops it); records when the server closed it."""

    def __init__(self, base: str, opening: bytes, every: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(address(base), timeout=5)
        self.sock.sendall(opening)
        self.every = every
        self.stopping = threading.Event()
        self.closed_after: float | None = None
        self.started_at = time.monotonic()

    def run(self) -> None:
        while not self.stopping.wait(self.every):
            try:
                self.sock.sendall(b"x")
                self.sock.setblocking(False)
                try:
                    if self.sock.recv(65536) == b"":
                        raise ConnectionResetError
                except BlockingIOError:
                    pass
                finally:
                    self.sock.setblocking(True)
            except OSError:
                self.closed_after = time.monotonic() - self.started_at
                return

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.sock.close()


@contextmanager
def slow_clients(base: str, opening: bytes, count: int = SLOW_CLIENTS) -> Iterator[list[Trickler]]:
    with ExitStack() as stack:
        clients = []
        for _ in range(count):
            client = Trickler(base, opening)
            stack.callback(client.stop)
            client.start()
            clients.append(client)
        yield clients


def test_slow_request_heads_hold_no_thread(server: str) -> None:
    opening = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    with slow_clients(server, opening) as clients:
        for _ in range(12):
            assert probe(server) < PROBE_TIMEOUT
        deadline = time.monotonic() + IO_TIMEOUT + 5
        while time.monotonic() < deadline and any(c.closed_after is None for c in clients):
            time.sleep(0.1)
        closed = [c.closed_after for c in clients]
    assert all(seconds is not None for seconds in closed), closed
    assert max(closed) < IO_TIMEOUT + 3, closed  # the head timeout, plus the 1 s sweep


def test_a_client_that_does_not_read_frees_its_thread(server: str) -> None:
    """A response the client never reads holds a thread for at most the I/O timeout;
    then the connection is closed, and the worker answers again."""
    request = b"GET /api/articles/big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with ExitStack() as stack:
        for _ in range(SLOW_CLIENTS):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(address(server))
            stack.callback(sock.close)
            sock.sendall(request * 4)  # never read: 6 MB, more than the kernel buffers hold
        started = time.monotonic()
        while answered(server):  # until the readers hold a worker's threads
            assert time.monotonic() - started < 10, "the readers never held the threads"
        # Each held thread comes free within the I/O timeout; with all eight readers on
        # one worker (two threads), that is four rounds.
        bound = SLOW_CLIENTS // 2 * IO_TIMEOUT + 2 * PROBE_TIMEOUT
        in_a_row = 0
        while in_a_row < 5:
            in_a_row = in_a_row + 1 if answered(server) else 0
            waited = time.monotonic() - started
            assert waited < bound, f"/healthz not answered again after {waited:.0f} s"


def test_lingering_closes_do_not_stall_the_worker(server: str) -> None:
    # Each asks for its connection to be closed after the answer, then keeps sending.
    opening = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with slow_clients(server, opening):
        times = [probe(server) for _ in range(12)]
    assert max(times) < 1.0, times
