"""Index directory layout: immutable generations swapped in by an atomic pointer.

Layout of ``INDEX_DIR``::

    CURRENT            name of the served generation (one line), replaced atomically
    PREVIOUS           name of the generation served before it (kept for open readers)
    build.lock         flock-ed by the one writer; text: pid, start time, command
    gen-<utc>-<pid>/   one complete Whoosh index each, plus
        broadsheet.json    build info: schema version, when, what, how many (`indexer.build`)
        manifest.json      source files with size, mtime, hash and article ids
                           (`indexer.manifest`; absent for API-built indexes)

Every writer (``build``, ``update``, ``optimize``) writes a *new* generation folder
and never touches the served one: a build starts empty, an update or optimize
starts from a clone (segment files hard-linked, which is safe because Whoosh
never rewrites a file in place; it writes new names and renames its TOC). When
the new folder is complete, fsynced and verified, `publish` replaces ``CURRENT``
with ``os.replace`` (atomic on POSIX) and fsyncs the directory. A crash (even
``kill -9``) before that leaves the old generation served and a stray folder;
`remove_strays`, called by the next writer under the lock, deletes it. Only the
current and the previous generation are kept.

``build.lock`` is held with ``flock``: the kernel releases it when its holder
dies, so a killed writer never blocks the next one. The pid text left behind by
a killed writer is recognised as stale (that pid no longer runs) and overwritten.
Worker processes are started with ``spawn`` and so never inherit the lock.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

POINTER_NAME = "CURRENT"
PREVIOUS_NAME = "PREVIOUS"
LOCK_NAME = "build.lock"
GENERATION_PREFIX = "gen-"
#: Whoosh's own lock files: never cloned into a new generation.
_WHOOSH_LOCK_SUFFIX = "_LOCK"


class IndexBusy(RuntimeError):
    """Another build or update holds the index lock."""


def _read_pointer(index_dir: Path, name: str) -> Path | None:
    try:
        value = (index_dir / name).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not value or "/" in value or not value.startswith(GENERATION_PREFIX):
        return None
    path = index_dir / value
    return path if path.is_dir() else None


def current_generation(index_dir: Path) -> Path | None:
    """Return the served generation's folder, or None when nothing was built yet."""
    return _read_pointer(Path(index_dir), POINTER_NAME)


def previous_generation(index_dir: Path) -> Path | None:
    """Return the generation served before the current one, if it is still on disk."""
    return _read_pointer(Path(index_dir), PREVIOUS_NAME)


def new_generation(index_dir: Path) -> Path:
    """Create and return an empty folder for a new generation."""
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = index_dir / f"{GENERATION_PREFIX}{stamp}-{os.getpid()}"
    path.mkdir()
    return path


def clone_generation(index_dir: Path, source: Path) -> Path:
    """Return a new generation holding the files of ``source`` (hard links, else copies).

    Whoosh only ever creates new file names and renames its TOC into place, so a
    writer on the clone cannot change a byte of ``source``. Lock files are skipped.
    """
    target = new_generation(index_dir)
    for child in sorted(source.iterdir()):
        if not child.is_file() or child.name.endswith(_WHOOSH_LOCK_SUFFIX):
            continue
        if child.suffix in (".toc", ".json"):
            shutil.copy2(child, target / child.name)  # small, and rewritten anyway
            continue
        try:
            os.link(child, target / child.name)
        except OSError:
            shutil.copy2(child, target / child.name)
    return target


def _fsync_tree(path: Path) -> None:
    for child in path.iterdir():
        if child.is_file():
            with child.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_pointer(index_dir: Path, name: str, value: str) -> None:
    tmp = index_dir / f".{name}.{os.getpid()}.tmp"
    tmp.write_text(value + "\n", encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / name)


def publish(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the served one atomically, then prune old generations."""
    _fsync_tree(generation)
    previous = current_generation(index_dir)
    if previous is not None and previous != generation:
        # PREVIOUS first: a crash between the two writes leaves PREVIOUS == CURRENT.
        _write_pointer(index_dir, PREVIOUS_NAME, previous.name)
    _write_pointer(index_dir, POINTER_NAME, generation.name)
    _fsync_dir(index_dir)
    keep = {generation.name, previous.name if previous else ""}
    prune(index_dir, keep)


def prune(index_dir: Path, keep: set[str]) -> None:
    """Delete generation folders not named in ``keep`` (call only under the lock)."""
    for child in index_dir.iterdir():
        if child.name.startswith(GENERATION_PREFIX) and child.name not in keep and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def remove_strays(index_dir: Path) -> list[str]:
    """Delete half-built generations and temp files of killed writers (under the lock).

    Keeps ``CURRENT`` and ``PREVIOUS``; returns the names removed.
    """
    if not index_dir.is_dir():
        return []
    keep = {
        path.name
        for path in (current_generation(index_dir), previous_generation(index_dir))
        if path is not None
    }
    removed = []
    for child in sorted(index_dir.iterdir()):
        if child.name.startswith(GENERATION_PREFIX) and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
            removed.append(child.name)
        elif child.name.startswith(".") and child.name.endswith(".tmp"):
            child.unlink(missing_ok=True)
            removed.append(child.name)
    return removed


def pid_running(pid: int) -> bool:
    """True when a process with ``pid`` exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder_pid(text: str) -> int | None:
    parts = text.split()
    if len(parts) >= 2 and parts[0] == "pid" and parts[1].isdigit():
        return int(parts[1])
    return None


def describe_holder(text: str) -> str:
    """Turn the lock file's text into a message part naming the running writer."""
    text = text.strip()
    if not text:
        return "another process (it left no details)"
    return text


def _command_line() -> str:
    program = Path(sys.argv[0]).name if sys.argv else "python"
    if program == "__main__.py":
        program = f"python -m {Path(sys.argv[0]).parent.name}"
    args = [program, *sys.argv[1:]]
    command = " ".join(args)
    return command if len(command) <= 300 else command[:297] + "..."


@contextmanager
def writer_lock(
    index_dir: Path, *, wait: float = 0.0, command: str | None = None
) -> Iterator[str | None]:
    """Hold the index's single-writer lock, or raise `IndexBusy` naming the holder.

    Waits up to ``wait`` seconds for a running writer to finish. Yields the text a
    killed earlier writer left in the lock file (its pid no longer runs), or None.
    The file is emptied on a clean release, so leftover text always means a crash.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_NAME
    handle = path.open("a+", encoding="utf-8")
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = describe_holder(handle.read())
                waited = f" (waited {wait:g} s)" if wait > 0 else ""
                raise IndexBusy(f"index {index_dir} is being written by {holder}{waited}")
            time.sleep(0.1)
        handle.seek(0)
        leftover = handle.read().strip()
        stale = None
        if leftover:
            pid = _holder_pid(leftover)
            # flock is ours, so whoever wrote this text is gone (or crashed mid-way).
            stale = leftover if pid is None or pid != os.getpid() else None
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ} "
            f"command {command or _command_line()}\n"
        )
        handle.flush()
        try:
            yield stale
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
    finally:
        handle.close()
