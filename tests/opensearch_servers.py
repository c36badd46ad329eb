"""A real 3-node OpenSearch cluster for the tests: assembled from Maven Central parts by
ops/opensearch/assemble.sh and started by ops/opensearch/cluster.py (what `make
opensearch-up` runs) on 127.0.0.1 with free ports and its own state folder.

`running_cluster` is the context manager behind conftest's session fixture
``opensearch_cluster``; it skips with the reason when the cluster cannot run here, and
fails instead when ``BROADSHEET_REQUIRE_OPENSEARCH=1`` (as in .ci/run).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support import REPO

OPS = REPO / "ops" / "opensearch"


def _unavailable(reason: str) -> None:
    """Skip, or fail where the cluster is required (``BROADSHEET_REQUIRE_OPENSEARCH=1``)."""
    if os.environ.get("BROADSHEET_REQUIRE_OPENSEARCH") == "1":
        pytest.fail(f"OpenSearch is required here: {reason}")
    pytest.skip(reason)


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=REPO)


@dataclass
class Cluster:
    """The running test cluster: its state folder, node addresses and timings."""

    state: Path
    urls: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    clients: dict[tuple[str, ...], object] = field(default_factory=dict)

    def command(self, *args: str) -> str:
        """Run ``cluster.py --state STATE ARGS``; its output, or a failure."""
        script = [sys.executable, str(OPS / "cluster.py"), "--state", str(self.state)]
        done = _run([*script, *args], 600)
        assert done.returncode == 0, f"cluster.py {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def client(self, *names: str):  # opensearchpy.OpenSearch, imported lazily
        """A client for the named nodes (all when none are named), kept until `close`."""
        from opensearchpy import OpenSearch

        names = names or tuple(self.urls)
        if names not in self.clients:
            hosts = [self.urls[name] for name in names]
            self.clients[names] = OpenSearch(hosts=hosts, timeout=60, max_retries=0)
        return self.clients[names]

    def close(self) -> None:
        """Close every client's connections."""
        for client in self.clients.values():
            client.close()


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Assemble the home (a no-op when done), start 3 nodes, wait for green; stop at the end."""
    try:
        importlib.import_module("opensearchpy")  # the official client, see requirements-dev.txt
    except ImportError as error:
        _unavailable(f"opensearch-py not installed ({error}); see requirements-dev.txt")
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            _unavailable(f"{tool} not found: OpenSearch is assembled with Maven and runs on Java")
    started = time.monotonic()
    assembled = _run([str(OPS / "assemble.sh")], 1200)
    if assembled.returncode != 0:
        _unavailable(f"assemble.sh failed:\n{assembled.stdout}{assembled.stderr}")
    assemble_s = time.monotonic() - started
    state = Path(tempfile.mkdtemp(prefix="broadsheet-opensearch-"))
    state.chmod(0o755)  # the nodes run as an unprivileged user when the tests run as root
    up_args = ["up", "--http-port", "0", "--transport-port", "0"]
    base = [sys.executable, str(OPS / "cluster.py"), "--state", str(state), "--timeout", "600"]
    started = time.monotonic()
    done = _run([*base, *up_args], 900)
    try:
        if done.returncode != 0:
            _unavailable(f"the cluster did not start:\n{done.stdout}{done.stderr}")
        data = json.loads((state / "cluster.json").read_text())
        urls = {node["name"]: f"http://127.0.0.1:{node['http_port']}" for node in data["nodes"]}
        running = Cluster(state, urls, {"assemble_s": assemble_s})
        running.timings["start_to_green_s"] = time.monotonic() - started
        print(f"\n{done.stdout}")
        yield running
        running.close()
    finally:
        stopped = _run([*base, "down"], 300)
        shutil.rmtree(state, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def cluster_urls(cluster: Cluster) -> str:
    """The nodes' HTTP addresses, comma-separated (``BROADSHEET_OPENSEARCH_NODES``)."""
    return ",".join(cluster.urls.values())
