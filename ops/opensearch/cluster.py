"""Start, stop and inspect a local OpenSearch cluster on 127.0.0.1 (see docs/opensearch.md).

    python3 ops/opensearch/cluster.py up [--nodes 3] [--http-port 9200] [--transport-port 9300]
                                         [--heap 512m] [--state DIR] [--timeout 300]
    python3 ops/opensearch/cluster.py down|status [--state DIR]
    python3 ops/opensearch/cluster.py stop-node|start-node NAME [--state DIR]

The nodes run the home folder that assemble.sh built (var/opensearch/home). Each node has its
own folder under the state folder (var/opensearch/cluster by default): config/ (opensearch.yml
written at each start, log4j2.properties), data/, logs/ and tmp/; cluster.json there records
ports and pids. Node i (from 0) gets the given ports + i; port 0 picks free ports. `up` waits
until the cluster is green with every node (and starts only the nodes that are not running);
`down` stops them with SIGTERM and waits for each to exit. OpenSearch refuses to run as root,
so a root caller starts the nodes as OPENSEARCH_USER (``nobody`` by default).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nodes import (
    DEFAULT_HOME,
    DEFAULT_STATE,
    ClusterError,
    NodeSpec,
    find_java,
    free_port,
    get_json,
    is_node_process,
    load_state,
    port_in_use,
    rss_mb,
    save_state,
    start_process,
    stop_pid,
    stop_pids,
    stray_pids,
    wait_green,
    wait_http,
)


def plan_nodes(state: Path, count: int, http_port: int, transport_port: int) -> list[NodeSpec]:
    """Node specs for a new cluster: names node-1.., ports from the bases (0: free ports)."""
    nodes = []
    for i in range(count):
        http = http_port + i if http_port else free_port()
        transport = transport_port + i if transport_port else free_port()
        nodes.append(NodeSpec(f"node-{i + 1}", http, transport, str(state / f"node-{i + 1}")))
    return nodes


def describe(nodes: list[NodeSpec]) -> str:
    """One line per node: name, address, pid, RSS."""
    lines = []
    for node in nodes:
        running = is_node_process(node)
        rss = rss_mb(node.pid) if running and node.pid else None
        lines.append(
            f"  {node.name}  {node.url}  transport 127.0.0.1:{node.transport_port}  "
            + (f"pid {node.pid}  RSS {rss:.0f} MiB" if rss is not None else "not running")
        )
    return "\n".join(lines)


def stop_hint(state: Path) -> str:
    """The command that stops the cluster in ``state``."""
    if state == DEFAULT_STATE.resolve():
        return "make opensearch-down"
    return f"python3 ops/opensearch/cluster.py --state {state} down"


def up(args: argparse.Namespace) -> int:
    """Start the nodes that are not running and wait until the cluster is green with all."""
    home: Path = args.home.resolve()
    if not list((home / "lib").glob("opensearch-[0-9]*.jar")):
        raise ClusterError(f"no OpenSearch home at {home}: run ops/opensearch/assemble.sh")
    java = find_java()
    state: Path = args.state.resolve()
    state.mkdir(parents=True, exist_ok=True)
    fields, nodes = load_state(state)
    if nodes and len(nodes) != args.nodes:
        raise ClusterError(
            f"{state} holds a {len(nodes)}-node cluster; give --nodes {len(nodes)} "
            "or stop it and remove that folder"
        )
    if not nodes:
        nodes = plan_nodes(state, args.nodes, args.http_port, args.transport_port)
    fields = {"cluster_name": "broadsheet", "home": str(home), "heap": args.heap}
    to_start = [n for n in nodes if not is_node_process(n)]
    for node in to_start:
        for port in (node.http_port, node.transport_port):
            if port_in_use(port):
                raise ClusterError(f"port {port} (for {node.name}) is in use on 127.0.0.1")
    started = time.monotonic()
    deadline = started + args.timeout
    try:
        for node in to_start:
            start_process(java, home, node, nodes, args.heap)
            save_state(state, fields, nodes)
        for node in to_start:
            wait_http(node, deadline)
        health = wait_green(nodes, len(nodes), deadline)
    except (ClusterError, KeyboardInterrupt):
        stop_pids(to_start)
        save_state(state, fields, nodes)
        raise
    fields["green_after_s"] = round(time.monotonic() - started, 1)
    save_state(state, fields, nodes)
    version = get_json(nodes[0].url + "/", timeout=5)[1].get("version", {}).get("number", "?")
    print(
        f"OpenSearch {version} cluster {health['cluster_name']!r} is {health['status']} with "
        f"{health['number_of_nodes']} nodes ({len(to_start)} started, green "
        f"{fields['green_after_s']} s after start):\n{describe(nodes)}\n"
        f"state and logs: {state} (stop with: {stop_hint(state)})"
    )
    return 0


def down(args: argparse.Namespace) -> int:
    """Stop every node of the cluster (and any stray JVM using its folders)."""
    state: Path = args.state.resolve()
    fields, nodes = load_state(state)
    running = [n.name for n in nodes if is_node_process(n)]
    notes = stop_pids(nodes)
    if nodes:
        save_state(state, fields, nodes)
    strays = stray_pids(state)
    for pid in strays:
        stop_pid(pid)
    for note in notes:
        print(f"opensearch: {note}")
    left = stray_pids(state)
    if left:
        raise ClusterError(f"JVMs still running under {state}: {left}")
    stopped = f"stopped {', '.join(running)}" if running else "no node was running"
    if strays:
        stopped += f"; stopped {len(strays)} stray JVM(s) {strays}"
    print(f"opensearch: {stopped} ({state})")
    return 0


def status(args: argparse.Namespace) -> int:
    """Print each node and the cluster's health; exit 0 only when every node runs."""
    state: Path = args.state.resolve()
    _, nodes = load_state(state)
    if not nodes:
        print(f"opensearch: no cluster in {state}")
        return 3
    print(describe(nodes))
    alive = [n for n in nodes if is_node_process(n)]
    if alive:
        code, health = get_json(alive[0].url + "/_cluster/health", timeout=5)
        print(f"  health: {health.get('status', code)}, nodes {health.get('number_of_nodes')}")
    return 0 if len(alive) == len(nodes) else 3


def stop_node(args: argparse.Namespace) -> int:
    """Stop one node (SIGTERM, wait for it to exit)."""
    state: Path = args.state.resolve()
    fields, nodes = load_state(state)
    node = pick(nodes, args.name)
    for note in stop_pids([node]):
        print(f"opensearch: {note}")
    save_state(state, fields, nodes)
    print(f"opensearch: stopped {node.name}")
    return 0


def start_node(args: argparse.Namespace) -> int:
    """Start one stopped node again and wait until it answers HTTP (not for green)."""
    state: Path = args.state.resolve()
    fields, nodes = load_state(state)
    node = pick(nodes, args.name)
    if not is_node_process(node):
        start_process(find_java(), Path(fields["home"]), node, nodes, fields["heap"])
        save_state(state, fields, nodes)
        wait_http(node, time.monotonic() + args.timeout)
    print(f"opensearch: {node.name} answers on {node.url} (pid {node.pid})")
    return 0


def pick(nodes: list[NodeSpec], name: str) -> NodeSpec:
    """The node called ``name``."""
    for node in nodes:
        if node.name == name:
            return node
    raise ClusterError(f"no node {name!r} (nodes: {', '.join(n.name for n in nodes)})")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="cluster folder")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start the cluster and wait for green")
    up_parser.add_argument("--nodes", type=int, default=3)
    up_parser.add_argument("--http-port", type=int, default=9200, help="first node's; 0: free")
    up_parser.add_argument("--transport-port", type=int, default=9300, help="0: free ports")
    up_parser.add_argument("--heap", default="512m", help="each node's -Xms and -Xmx")
    up_parser.add_argument("--home", type=Path, default=DEFAULT_HOME)
    commands.add_parser("down", help="stop every node")
    commands.add_parser("status", help="show nodes and health")
    for name in ("stop-node", "start-node"):
        commands.add_parser(name, help=f"{name.split('-')[0]} one node").add_argument("name")
    args = parser.parse_args(argv)
    handler = {
        "up": up,
        "down": down,
        "status": status,
        "stop-node": stop_node,
        "start-node": start_node,
    }[args.command]
    try:
        return handler(args)
    except ClusterError as error:
        print(f"opensearch: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
