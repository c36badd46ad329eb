"""Served engines over loopback: start a server, time it to its first answer, measure it.

Broadsheet runs as ``gunicorn wsgi:app`` with 2 workers; the peer is
`bench.fts5_server`. Both bind 127.0.0.1 on a free port, run in their own
session and are always stopped (`Server.stop`, also on errors). The client keeps
its connection alive when the server allows it and sets ``TCP_NODELAY``.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench.procs import cpu_s_by_pid, group_pids, status_kb, stop_group


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Connection(http.client.HTTPConnection):
    """An HTTP/1.1 connection with ``TCP_NODELAY``; reconnects when the server closes."""

    def connect(self) -> None:
        """Connect and disable Nagle's algorithm."""
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get(self, path: str) -> bytes:
        """GET ``path``; return the body or raise on a non-200 answer."""
        try:
            self.request("GET", path)
            response = self.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()  # the server closed a kept-alive connection: retry once
            self.request("GET", path)
            response = self.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} for {path}: {body[:200]!r}")
        return body


def search_path(query: str) -> str:
    """The ``/api/search`` path of one query (top 10, facets and snippets as served)."""
    return f"/api/search?q={quote(query)}&per_page=10"


@dataclass
class Server:
    """A running server: its process (group leader), port and cold start."""

    name: str
    process: subprocess.Popen
    port: int
    cold_start_ms: float = 0.0
    first_answer_ms: float = 0.0
    notes: list[str] = field(default_factory=list)

    def cpu_s(self) -> float:
        """CPU seconds used so far by the whole process group (master and workers)."""
        return sum(self.cpu_s_by_pid().values())

    def cpu_s_by_pid(self) -> dict[int, float]:
        """CPU seconds used so far by each process of the group."""
        return cpu_s_by_pid(self.process.pid)

    def worker_rss_kb(self) -> tuple[int, int]:
        """(largest VmRSS, largest VmHWM) among the group's processes other than a master."""
        pids = [p for p in group_pids(self.process.pid) if p != self.process.pid] or [
            self.process.pid
        ]
        return max(status_kb(p, "VmRSS") for p in pids), max(status_kb(p, "VmHWM") for p in pids)

    def stop(self) -> None:
        """Terminate the group; kill it if it lingers."""
        stop_group(self.process)


def start(name: str, index_dir: Path, cwd: Path, first_query: str, timeout: float = 60) -> Server:
    """Start ``broadsheet`` (gunicorn) or ``fts5`` and wait for its first search answer."""
    port = free_port()
    if name == "broadsheet":
        cmd = [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
            "--no-control-socket", "--graceful-timeout", "5", "wsgi:app",
        ]  # fmt: skip
        env = {**os.environ, "BROADSHEET_INDEX_DIR": str(index_dir)}
    else:
        cmd = [sys.executable, "-m", "bench.fts5_server", str(index_dir), str(port), "3600"]
        env = dict(os.environ)
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(name, process, port)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} server exited with {process.returncode}")
            try:
                conn = Connection("127.0.0.1", port, timeout=30)
                asked = time.perf_counter()
                conn.get(search_path(first_query))
                conn.close()
                break
            except (ConnectionRefusedError, http.client.HTTPException, OSError):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} gave no answer within {timeout} s") from None
                time.sleep(0.02)
    except BaseException:
        server.stop()
        raise
    server.first_answer_ms = (time.perf_counter() - asked) * 1000
    server.cold_start_ms = (time.perf_counter() - started) * 1000
    return server


def latency_pass(server: Server, queries: list[str], budget_s: float) -> dict:
    """One client, one query at a time: per-request wall ms, server CPU ms per request
    and ``worker``, the pid that used the most CPU (the one that took the connection:
    with 2 gunicorn workers, a pass may go to either; `bench.stats.split_cold_warm`)."""
    conn = Connection("127.0.0.1", server.port, timeout=60)
    latencies: list[float] = []
    before = server.cpu_s_by_pid()
    deadline = time.monotonic() + budget_s
    try:
        for query in queries:
            started = time.perf_counter()
            conn.get(search_path(query))
            latencies.append((time.perf_counter() - started) * 1000)
            if time.monotonic() > deadline:
                break
    finally:
        conn.close()
    after = server.cpu_s_by_pid()
    used = {pid: seconds - before.get(pid, 0.0) for pid, seconds in after.items()}
    rss, hwm = server.worker_rss_kb()
    return {
        "lat_ms": latencies,
        "cpu_ms": sum(used.values()) * 1000,
        "worker": max(used, key=used.__getitem__, default=0),
        "truncated": len(queries) - len(latencies),
        "rss_kb": rss,
        "hwm_kb": hwm,
    }


def load_test(
    server: Server, queries: list[str], clients: int, max_requests: int, max_seconds: float
) -> dict:
    """``clients`` threads send the queries round-robin until the count or time bound."""
    lock = threading.Lock()
    state = {"next": 0, "errors": 0}
    latencies: list[float] = []
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        """One client thread: take the next request number, send, time."""
        conn = Connection("127.0.0.1", server.port, timeout=60)
        try:
            while time.monotonic() < deadline:
                with lock:
                    number = state["next"]
                    if number >= max_requests:
                        return
                    state["next"] += 1
                started = time.perf_counter()
                try:
                    conn.get(search_path(queries[number % len(queries)]))
                except (OSError, RuntimeError, http.client.HTTPException):
                    with lock:
                        state["errors"] += 1
                    conn.close()
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
        finally:
            conn.close()

    cpu0 = server.cpu_s()
    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 60)
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": state["errors"],
        "wall_s": wall,
        "rps": len(latencies) / wall if wall else 0.0,
        "lat_ms": latencies,
        "server_cpu_ms_per_req": (server.cpu_s() - cpu0) * 1000 / max(1, len(latencies)),
    }
