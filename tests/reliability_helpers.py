"""Helpers for the reliability suite (tests/test_reliability_*.py).

A keep-alive HTTP client and the checks every answer must pass (no 5xx, the security
headers, the one JSON error shape under /api/), readers of /proc for a process's file
descriptors and memory, the pids of a gunicorn started by `servers.gunicorn`, and
subprocesses whose peak memory and time are measured.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
#: Headers every answer carries (webui.security), checked in lower case.
REQUIRED_HEADERS = ("content-security-policy", "x-content-type-options")
#: gunicorn answers a request line longer than this itself (400/414), before the app.
MAX_REQUEST_LINE = 8190


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        """The body parsed as JSON."""
        return json.loads(self.body)


class HttpClient:
    """GET requests over one persistent connection to 127.0.0.1 (reopened when the
    server closes it, as gunicorn's sync workers do after each answer)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        assert parts.hostname == "127.0.0.1", "the reliability suite talks to loopback only"
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self._connection: http.client.HTTPConnection | None = None

    def _open(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
        return self._connection

    def get(self, path: str) -> Answer:
        """GET ``path`` (already percent-encoded); one retry on a dropped connection."""
        for attempt in (1, 2):
            connection = self._open()
            try:
                connection.request("GET", path, headers={"Accept-Encoding": "identity"})
                response = connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                self.close()
                if attempt == 2:
                    raise
                continue
            headers = {name.lower(): value for name, value in response.getheaders()}
            if response.will_close:
                self.close()
            return Answer(response.status, headers, body)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def url_path(route: str, params: list[tuple[str, str]] | None = None) -> str:
    """``route?params`` with every byte of every value percent-encoded."""
    if not params:
        return route
    return f"{route}?{urlencode(params, quote_via=quote, safe='')}"


def too_long_for_gunicorn(path: str) -> bool:
    """True when ``GET path HTTP/1.1`` exceeds gunicorn's request-line limit."""
    return len(f"GET {path} HTTP/1.1".encode()) > MAX_REQUEST_LINE


def api_error_problem(answer: Answer) -> str | None:
    """Why an /api/ error answer is not in the documented shape, or None when it is:
    ``{"error": {"code": str, "message": str, "param": str | null}}``."""
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return f"content type {answer.headers.get('content-type')!r}"
    try:
        payload = answer.json()
    except ValueError:
        return "body is not JSON"
    if not isinstance(payload, dict) or set(payload) != {"error"}:
        return f"top-level keys {sorted(payload) if isinstance(payload, dict) else payload!r}"
    error = payload["error"]
    if not isinstance(error, dict) or set(error) != {"code", "message", "param"}:
        return f"error keys {sorted(error) if isinstance(error, dict) else error!r}"
    if not (isinstance(error["code"], str) and error["code"]):
        return "code is not a non-empty string"
    if not (isinstance(error["message"], str) and error["message"]):
        return "message is not a non-empty string"
    if error["param"] is not None and not isinstance(error["param"], str):
        return "param is neither a string nor null"
    return None


def answer_problems(path: str, answer: Answer) -> list[str]:
    """What is wrong with ``answer`` to ``GET path`` (empty when all is well)."""
    problems = []
    if answer.status >= 500:
        problems.append(f"status {answer.status}")
    if too_long_for_gunicorn(path):
        if answer.status not in (400, 414):
            problems.append(f"over-long request line answered {answer.status}, not 400/414")
        return problems
    missing = [name for name in REQUIRED_HEADERS if name not in answer.headers]
    if missing:
        problems.append(f"missing headers {missing}")
    if path.startswith("/api/") and answer.status >= 400:
        shape = api_error_problem(answer)
        if shape:
            problems.append(f"error shape: {shape}")
    return problems


# -- processes ------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """Direct child pids of ``pid`` (from /proc)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found += [int(x) for x in handle.read().split()]
    except OSError:
        pass
    return found


def _ppid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def gunicorn_master(base_url: str) -> int:
    """The pid of the gunicorn master serving ``base_url`` (started by `servers.gunicorn`):
    of the processes whose command line binds that address, the one whose parent is not."""
    needle = f"127.0.0.1:{urlsplit(base_url).port}".encode()
    matching = set()
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and needle in Path(f"/proc/{name}/cmdline").read_bytes().split(b"\0"):
                matching.add(int(name))
        except OSError:
            continue
    for pid in matching:
        try:
            if _ppid(pid) not in matching:
                return pid
        except OSError:
            continue
    raise LookupError(f"no gunicorn process serves {base_url}")


def fd_count(pid: int) -> int:
    """Open file descriptors of ``pid``."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` in kB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for {pid}")


def indexer_env() -> dict[str, str]:
    """The environment for ``python -m indexer``: no BROADSHEET_* settings, the repo on
    the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROADSHEET_")}
    env["PYTHONPATH"] = str(REPO)
    return env


def without_dac_override() -> list[str]:
    """A command prefix that runs a program as root *without* the capabilities that let
    root ignore file permissions (so ``chmod 000`` stops it as it stops any user), or
    [] when not root. Raises LookupError when root and ``setpriv`` is missing."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise LookupError("running as root and setpriv (util-linux) is not installed")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


@dataclass(frozen=True, slots=True)
class Measured:
    """A finished subprocess: exit status, output, wall time and peak memory."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


def run_measured(
    args: list[str], *, timeout: float, prefix: list[str] | None = None, cwd: Path = REPO
) -> Measured:
    """Run ``[*prefix, python, *args]`` and measure it: the peak RSS is the largest of
    the process and the children it waited for (wait4's rusage). Killed at ``timeout``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(
            [*(prefix or []), sys.executable, *args],
            cwd=cwd,
            env=indexer_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            usage.ru_maxrss / 1024,
        )
