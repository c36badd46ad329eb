"""The pieces cluster.py works with: node specs and cluster.json, a node's config and java
command line, starting it (as an unprivileged user when root), waiting for HTTP and for green,
stopping it. Standard library only, so any python3 can run it.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Where assemble.sh puts the home and cluster.py the cluster (as in assemble.sh).
VAR = Path(os.environ.get("OPENSEARCH_VAR") or REPO / "var" / "opensearch")
DEFAULT_HOME = VAR / "home"
DEFAULT_STATE = VAR / "cluster"
MAIN_CLASS = "org.opensearch.bootstrap.OpenSearch"
CLUSTER_NAME = "broadsheet"


class ClusterError(RuntimeError):
    """A cluster operation that could not be done; the message says why."""


@dataclass
class NodeSpec:
    """One node of the cluster: its name, ports, folder and (while running) pid."""

    name: str
    http_port: int
    transport_port: int
    dir: str
    pid: int | None = None

    @property
    def conf(self) -> Path:
        """The node's config folder (``opensearch.path.conf``)."""
        return Path(self.dir) / "config"

    @property
    def url(self) -> str:
        """The node's HTTP address."""
        return f"http://127.0.0.1:{self.http_port}"


def load_state(state: Path) -> tuple[dict, list[NodeSpec]]:
    """The cluster.json of ``state`` as (cluster fields, nodes); empty when there is none."""
    path = state / "cluster.json"
    if not path.exists():
        return {}, []
    data = json.loads(path.read_text())
    return data, [NodeSpec(**node) for node in data.pop("nodes")]


def save_state(state: Path, fields: dict, nodes: list[NodeSpec]) -> None:
    """Write cluster.json atomically."""
    path = state / "cluster.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**fields, "nodes": [asdict(n) for n in nodes]}, indent=2) + "\n")
    tmp.replace(path)


def is_node_process(node: NodeSpec) -> bool:
    """True when ``node.pid`` is alive and is this node's JVM (not a reused pid, not a zombie)."""
    if not node.pid:
        return False
    proc = Path(f"/proc/{node.pid}")
    try:
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        state_field = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state_field != "Z" and f"-Dopensearch.path.conf={node.conf}".encode() in cmdline


def rss_mb(pid: int) -> float | None:
    """Resident set size of ``pid`` in MiB (from /proc), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def find_java() -> str:
    """The java to run: $OPENSEARCH_JAVA_HOME, $JAVA_HOME, else PATH; Java 11 to 23."""
    for var in ("OPENSEARCH_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(var):
            java = str(Path(os.environ[var]) / "bin" / "java")
            break
    else:
        java = shutil.which("java") or ""
    if not java or not os.access(java, os.X_OK):
        raise ClusterError("no java found: install a JDK 17 or set OPENSEARCH_JAVA_HOME")
    shown = subprocess.run(
        [java, "-XshowSettings:properties", "-version"], capture_output=True, text=True
    ).stderr
    match = re.search(r"java\.specification\.version = (\d+)", shown)
    major = int(match.group(1)) if match else 0
    if not 11 <= major <= 23:
        raise ClusterError(
            f"{java} is Java {major}: OpenSearch 2.19 needs Java 11 to 23 (it runs under the "
            "security manager, which Java 24 and later refuse); set OPENSEARCH_JAVA_HOME"
        )
    return java


def node_user() -> pwd.struct_passwd | None:
    """The account nodes run as when we are root (OpenSearch refuses root), else None."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("OPENSEARCH_USER", "nobody")
    try:
        return pwd.getpwnam(name)
    except KeyError as error:
        raise ClusterError(f"OPENSEARCH_USER {name!r} does not exist") from error


def check_reachable(path: Path, user: pwd.struct_passwd) -> None:
    """Fail clearly when ``user`` cannot reach ``path`` (every parent needs search permission)."""
    for folder in [path, *path.parents]:
        info = folder.stat()
        if info.st_uid == user.pw_uid or info.st_mode & stat.S_IXOTH:
            continue
        if info.st_gid == user.pw_gid and info.st_mode & stat.S_IXGRP:
            continue
        raise ClusterError(
            f"{user.pw_name} (the nodes' user) cannot enter {folder}, needed for {path}: "
            "set OPENSEARCH_VAR to a folder it can reach, e.g. /var/tmp/broadsheet-opensearch"
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    """True when something listens on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def heap_bytes(heap: str) -> int:
    """``512m`` / ``1g`` as bytes."""
    match = re.fullmatch(r"(\d+)([kmg])", heap.lower())
    if not match:
        raise ClusterError(f"--heap {heap!r}: give a size such as 512m or 1g")
    return int(match.group(1)) * 1024 ** "kmg".index(match.group(2)) * 1024


def write_node_config(home: Path, node: NodeSpec, nodes: list[NodeSpec]) -> None:
    """Write the node's opensearch.yml and copy log4j2.properties next to it."""
    for sub in ("config", "data", "logs", "tmp"):
        (Path(node.dir) / sub).mkdir(parents=True, exist_ok=True)
    seeds = ", ".join(f'"127.0.0.1:{n.transport_port}"' for n in nodes)
    managers = ", ".join(f'"{n.name}"' for n in nodes)
    (node.conf / "opensearch.yml").write_text(
        "# Written by ops/opensearch/cluster.py at each start; edits here are overwritten.\n"
        f"cluster.name: {CLUSTER_NAME}\n"
        f"node.name: {node.name}\n"
        "network.host: 127.0.0.1\n"
        f"http.port: {node.http_port}\n"
        f"transport.port: {node.transport_port}\n"
        f"discovery.seed_hosts: [{seeds}]\n"
        f"cluster.initial_cluster_manager_nodes: [{managers}]\n"
        f"path.data: {Path(node.dir) / 'data'}\n"
        f"path.logs: {Path(node.dir) / 'logs'}\n"
        "# A test cluster on a shared disk: free-space watermarks in bytes, not 85-95 % used.\n"
        "cluster.routing.allocation.disk.watermark.low: 2gb\n"
        "cluster.routing.allocation.disk.watermark.high: 1gb\n"
        "cluster.routing.allocation.disk.watermark.flood_stage: 500mb\n"
    )
    shutil.copy(home / "config" / "log4j2.properties", node.conf / "log4j2.properties")


def jvm_command(java: str, home: Path, node: NodeSpec, heap: str) -> list[str]:
    """The java command line for ``node``: config/jvm.options plus the per-node flags."""
    options = [
        line.strip()
        for line in (home / "config" / "jvm.options").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    logs = Path(node.dir) / "logs"
    return [
        java,
        *options,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        f"-XX:MaxDirectMemorySize={heap_bytes(heap) // 2}",
        f"-Djava.io.tmpdir={Path(node.dir) / 'tmp'}",
        f"-XX:HeapDumpPath={logs}",
        f"-XX:ErrorFile={logs}/hs_err_pid%p.log",
        f"-Xlog:gc*,gc+age=trace,safepoint:file={logs}/gc.log:utctime,pid,tags:"
        "filecount=4,filesize=16m",
        f"-Dopensearch.path.home={home}",
        f"-Dopensearch.path.conf={node.conf}",
        "-cp",
        f"{home}/lib/*",
        MAIN_CLASS,
    ]


def start_process(java: str, home: Path, node: NodeSpec, nodes: list[NodeSpec], heap: str) -> None:
    """Start ``node``'s JVM in its own session (as the node user when root); set ``node.pid``."""
    write_node_config(home, node, nodes)
    user = node_user()
    if user is not None:
        check_reachable(home / "lib", user)
        check_reachable(Path(node.dir), user)
        for path in [Path(node.dir), *Path(node.dir).rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    with open(Path(node.dir) / "logs" / "stdout.log", "ab") as out:
        process = subprocess.Popen(
            jvm_command(java, home, node, heap),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=node.dir,
            env=env,
            start_new_session=True,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
    node.pid = process.pid


def get_json(url: str, timeout: float) -> tuple[int, dict]:
    """GET ``url``: (HTTP status, JSON body); (0, {}) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read())
        except ValueError:
            return error.code, {}
    except (OSError, ValueError):
        return 0, {}


def log_tail(node: NodeSpec, lines: int = 15) -> str:
    """The last lines of the node's main log (or its stdout when the log is empty)."""
    logs = Path(node.dir) / "logs"
    for path in (logs / f"{CLUSTER_NAME}.log", logs / "stdout.log"):
        if path.exists() and path.stat().st_size:
            text = path.read_text(errors="replace").splitlines()
            kept = [line for line in text if not line.lstrip().startswith("at ")]
            return "\n".join(f"    {line[:300]}" for line in kept[-lines:])
    return "    (no log written)"


def wait_http(node: NodeSpec, deadline: float) -> None:
    """Wait until ``node`` answers HTTP; fail at once when its process is gone."""
    while time.monotonic() < deadline:
        if not is_node_process(node):
            raise ClusterError(f"{node.name} exited while starting:\n{log_tail(node)}")
        if get_json(node.url + "/", timeout=1.0)[0] == 200:
            return
        time.sleep(0.25)
    raise ClusterError(f"{node.name} did not answer on {node.url} in time:\n{log_tail(node)}")


def wait_green(nodes: list[NodeSpec], count: int, deadline: float) -> dict:
    """Wait (server side, ``wait_for_status``) until the cluster is green with ``count`` nodes."""
    while time.monotonic() < deadline:
        for node in nodes:
            if not is_node_process(node):
                raise ClusterError(f"{node.name} exited:\n{log_tail(node)}")
        left = max(1, min(30, int(deadline - time.monotonic())))
        query = f"wait_for_status=green&wait_for_nodes={count}&timeout={left}s"
        status, health = get_json(f"{nodes[0].url}/_cluster/health?{query}", timeout=left + 5)
        if status == 200 and not health.get("timed_out"):
            return health
        if status != 200:  # no cluster manager elected yet: asked again shortly
            time.sleep(0.25)
    raise ClusterError(f"cluster not green with {count} nodes in time")


def stop_pids(nodes: list[NodeSpec], timeout: float = 60.0) -> list[str]:
    """SIGTERM each running node, wait for it to exit, SIGKILL after ``timeout``; return notes."""
    notes: list[str] = []
    running = [n for n in nodes if is_node_process(n)]
    for node in running:
        os.kill(node.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(is_node_process(n) for n in running) and time.monotonic() < deadline:
        time.sleep(0.1)
    for node in running:
        if is_node_process(node):
            os.kill(node.pid, signal.SIGKILL)
            notes.append(f"{node.name} ignored SIGTERM for {timeout:.0f} s: killed")
        node.pid = None
    return notes


def stop_pid(pid: int, timeout: float = 60.0) -> None:
    """SIGTERM ``pid`` (a JVM from :func:`stray_pids`), wait for it, SIGKILL after ``timeout``."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state_field = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if state_field == "Z":
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except OSError:  # gone
        return


def stray_pids(state: Path) -> list[int]:
    """JVMs whose config folder lies under ``state`` (left by a lost cluster.json)."""
    marker = f"-Dopensearch.path.conf={state}/".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                args = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(arg.startswith(marker) for arg in args):
                found.append(int(proc.name))
    return found
