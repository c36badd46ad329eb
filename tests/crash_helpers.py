"""Kill a writer at a phase it reached (`indexer.phases`), never at a wall-clock moment.

`kill_at_phase` starts ``python -m indexer ARGS`` with ``BROADSHEET_PHASE_STOP`` set to
the phase; the writer announces each phase into a file and stops itself (SIGSTOP) right
after announcing that one. The test waits for that stop (``waitpid`` with
``WUNTRACED``: an event, not a sleep), notes the worker processes and sends SIGKILL. On
a busy machine the kill lands at the same point as on an idle one.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.phases import PHASE_FILE_ENV, PHASE_STOP_ENV
from support import REPO

#: A writer that neither stops at its phase nor ends within this is killed (test fails).
WATCHDOG_SECONDS = 300


@dataclass(frozen=True, slots=True)
class KilledWriter:
    """A writer stopped at ``phase`` and killed there."""

    phase: str
    announced: list[str]  # every phase it announced, in order
    workers: list[int]  # its child processes when it was killed


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc), children first."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as handle:
                    kids = [int(x) for x in handle.read().split()]
            except OSError:
                continue
            found.extend(kids)
            pending.extend(kids)
    return found


def indexer_environment(**extra: str) -> dict[str, str]:
    """The caller's environment without BROADSHEET_* settings, the repo on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROADSHEET_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def kill_at_phase(args: list[str], phase: str, work: Path) -> KilledWriter:
    """Run ``python -m indexer ARGS`` until it announces ``phase``, then ``kill -9`` it.

    Fails (AssertionError) when the writer ends without reaching ``phase``, naming the
    phases it did reach and its stderr. ``work`` holds the phase file and stderr."""
    work.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix="phases-", dir=work)
    os.close(descriptor)
    phase_file = Path(name)
    env = indexer_environment(**{PHASE_FILE_ENV: str(phase_file), PHASE_STOP_ENV: phase})
    with tempfile.TemporaryFile(dir=work) as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "indexer", *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        watchdog = threading.Timer(WATCHDOG_SECONDS, process.kill)
        watchdog.start()
        try:
            _pid, status = os.waitpid(process.pid, os.WUNTRACED)
        finally:
            watchdog.cancel()
        announced = phase_file.read_text(encoding="utf-8").splitlines()
        if not os.WIFSTOPPED(status):
            process.returncode = os.waitstatus_to_exitcode(status)
            stderr.seek(0)
            raise AssertionError(
                f"`indexer {args[0]}` ended (status {process.returncode}) without reaching "
                f"{phase!r}; it announced {announced}; stderr:\n"
                + stderr.read().decode("utf-8", "replace")[-2000:]
            )
        workers = descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
    assert announced and announced[-1] == phase, announced
    return KilledWriter(phase, announced, workers)


def wait_until_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """Wait (on pidfds: woken by each exit, no polling) until every process in ``pids``
    has ended, at most ``timeout`` seconds; return the pids still running then."""
    deadline = time.monotonic() + timeout
    survivors = []
    for pid in pids:
        try:
            handle = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            ready, _, _ = select.select([handle], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                survivors.append(pid)
        finally:
            os.close(handle)
    return survivors
