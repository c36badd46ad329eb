"""Child processes, always bounded in time and always stopped: builds, query workers, /proc.

`run_measured` runs a command to completion and takes its peak RSS and CPU from
``wait4`` (that child and its descendants only). `QueryWorker` drives a
``bench.worker query`` process over pipes, with a timeout on every answer.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Measured:
    """A finished child: exit code, its stdout, wall seconds, CPU seconds, peak RSS."""

    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    maxrss_kb: int


def stop_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group of ``process`` (started with a new session), then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def run_measured(cmd: list[str], cwd: Path, timeout: float, env: dict | None = None) -> Measured:
    """Run ``cmd``; kill it after ``timeout`` seconds; measure it with ``wait4``."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            cmd, cwd=cwd, stdout=out, stderr=err, env=env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            process.returncode,
            out.read(),
            err.read()[-2000:],
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss,
        )


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat from the state on; None when gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from "state" on (field 3)


def group_pids(pgid: int) -> list[int]:
    """Live pids whose process group is ``pgid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields and int(fields[2]) == pgid:  # field 5: pgrp
                pids.append(int(entry))
    return pids


def cpu_s_by_pid(pgid: int) -> dict[int, float]:
    """User + system CPU seconds of each live process in group ``pgid``."""
    seconds = {}
    for pid in group_pids(pgid):
        fields = _stat_fields(pid)
        if fields:
            ticks = int(fields[11]) + int(fields[12])  # fields 14, 15: utime, stime
            seconds[pid] = ticks / CLOCK_TICKS
    return seconds


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` field (VmRSS, VmHWM) of /proc/PID/status; 0 when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class WorkerError(RuntimeError):
    """A query worker failed, answered with an error, or did not answer in time."""


class QueryWorker:
    """A ``python -m bench.worker query`` child, driven one JSON command at a time."""

    def __init__(self, engine: str, index_dir: Path, query_set: str, cwd: Path) -> None:
        """Start the worker (it opens the index at its first command)."""
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", "query", engine, str(index_dir), query_set],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)

    def ask(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one command; return its answer or raise `WorkerError`."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        if not self.selector.select(timeout):
            raise WorkerError(f"no answer within {timeout:.0f} s")
        line = self.process.stdout.readline()
        if not line:
            raise WorkerError(f"worker exited with {self.process.wait()}")
        answer = json.loads(line)
        if "error" in answer:
            raise WorkerError(answer["error"])
        return answer

    def close(self) -> None:
        """Ask the worker to quit; kill its group if it does not."""
        try:
            if self.process.poll() is None and self.process.stdin:
                self.process.stdin.write('{"cmd": "quit"}\n')
                self.process.stdin.flush()
                self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        stop_group(self.process, grace=2)
        self.selector.close()
