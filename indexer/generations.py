"""Index directory layout: immutable generations swapped in by an atomic pointer.

Layout of ``INDEX_DIR``::

    CURRENT            name of the served generation (one line), replaced atomically
    PREVIOUS           name of the generation served before it (kept for open readers)
    build.lock         flock-ed by the one writer; text: pid, start time, command
    gen-<utc>-<pid>/   one complete Whoosh index each, plus
        broadsheet.json    build info: schema version, when, what, how many (`indexer.whoosh.build`)
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

``CURRENT`` and ``PREVIOUS`` are the only record of what is served. When either
exists but cannot be read, does not hold a generation name, or names a folder that
is gone (and when ``CURRENT`` is missing while a sealed generation, one holding
``broadsheet.json``, is on disk), `pointed_generations` raises `DamagedPointer`:
every writer calls it first and refuses to run, so nothing that could be the
served generation is ever taken for a leftover and deleted. ``indexer check``
reports the damage and ``indexer recover`` (`indexer.recover`) repairs it.

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

from indexer.errors import IndexerError

POINTER_NAME = "CURRENT"
PREVIOUS_NAME = "PREVIOUS"
LOCK_NAME = "build.lock"
GENERATION_PREFIX = "gen-"
#: Build info, written into a generation just before it is published (`indexer.whoosh.build`).
BUILD_INFO_NAME = "broadsheet.json"
#: Whoosh's own lock files: never cloned into a new generation.
_WHOOSH_LOCK_SUFFIX = "_LOCK"


class IndexBusy(IndexerError, RuntimeError):
    """Another build or update holds the index lock."""


class DamagedPointer(IndexerError, OSError):
    """``CURRENT`` or ``PREVIOUS`` cannot say which generation is served; writers refuse
    to run (they could delete the served generation) until ``indexer recover``.

    An `OSError`, so every command that reports file-system failures reports it; its
    text names the damage (``problem``) and the command that repairs it."""

    def __init__(self, problem: str, index_dir: Path) -> None:
        super().__init__(problem)
        self.problem = problem
        self.index_dir = index_dir

    def __str__(self) -> str:
        return (
            f"{self.problem}; `python -m indexer recover --index {self.index_dir}` points "
            "CURRENT at the newest complete generation"
        )


def _pointer_value(index_dir: Path, name: str) -> str | None:
    """The generation name a pointer file holds; None when the file does not exist.

    Raises `DamagedPointer` when it exists but cannot be read or holds no valid name.
    """
    pointer = index_dir / name
    try:
        raw = pointer.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        problem = f"{pointer} cannot be read: {error.strerror or error}"
        raise DamagedPointer(problem, index_dir) from error
    try:
        value = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        value = None
    if not value or "/" in value or "\0" in value or not value.startswith(GENERATION_PREFIX):
        raise DamagedPointer(f"{pointer} holds {raw[:80]!r}, not a generation name", index_dir)
    return value


def _read_pointer(index_dir: Path, name: str) -> Path | None:
    try:
        value = _pointer_value(index_dir, name)
    except DamagedPointer:
        return None
    if value is None:
        return None
    path = index_dir / value
    return path if path.is_dir() else None


def current_generation(index_dir: Path) -> Path | None:
    """Return the served generation's folder, or None when none can be named.

    Lenient, for readers (a web worker keeps what it has open); writers use the
    strict `pointed_generations`.
    """
    return _read_pointer(Path(index_dir), POINTER_NAME)


def previous_generation(index_dir: Path) -> Path | None:
    """Return the generation served before the current one, if it is still on disk."""
    return _read_pointer(Path(index_dir), PREVIOUS_NAME)


def sealed(generation: Path) -> bool:
    """True when ``generation`` was completed (its build info is written just before
    it is published): such a folder may be, or may have been, the served one."""
    return (generation / BUILD_INFO_NAME).is_file()


def generation_folders(index_dir: Path) -> list[Path]:
    """Every ``gen-*`` folder of ``index_dir``, oldest first (names start with the UTC time)."""
    try:
        children = list(Path(index_dir).iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(c for c in children if c.name.startswith(GENERATION_PREFIX) and c.is_dir())


def pointed_generations(
    index_dir: Path, *, publishing: Path | None = None
) -> tuple[Path | None, Path | None]:
    """``(CURRENT, PREVIOUS)`` generation folders, strictly: what every writer trusts.

    ``(None, None)`` only for an index never published (no pointer, no sealed
    generation). Raises `DamagedPointer` when a pointer exists but cannot be read,
    holds no generation name or names a folder that is gone, when ``PREVIOUS``
    exists without ``CURRENT``, or when ``CURRENT`` is missing while a sealed
    generation is on disk (it may be the one web workers still serve), other than
    ``publishing``, the one a writer is about to publish.
    """
    index_dir = Path(index_dir)
    found: dict[str, Path | None] = {}
    for name in (POINTER_NAME, PREVIOUS_NAME):
        value = _pointer_value(index_dir, name)
        if value is None:
            found[name] = None
            continue
        path = index_dir / value
        if not path.is_dir():
            problem = f"{index_dir / name} names {value}, which is not on disk"
            raise DamagedPointer(problem, index_dir)
        found[name] = path
    current, previous = found[POINTER_NAME], found[PREVIOUS_NAME]
    if current is None and previous is not None:
        problem = f"{index_dir / POINTER_NAME} is missing but PREVIOUS exists"
        raise DamagedPointer(problem, index_dir)
    if current is None:
        complete = [g.name for g in generation_folders(index_dir) if sealed(g) and g != publishing]
        if complete:
            raise DamagedPointer(
                f"{index_dir / POINTER_NAME} is missing but complete generation(s) are on "
                f"disk: {', '.join(complete)}",
                index_dir,
            )
    return current, previous


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


def set_pointers(index_dir: Path, current: Path, previous: Path | None) -> None:
    """Point ``PREVIOUS`` (removed when None), then ``CURRENT``, at existing generations,
    each atomically, and fsync the folder. For repairs (`indexer.recover`), under the
    lock; `publish` is the normal way."""
    if previous is None:
        (index_dir / PREVIOUS_NAME).unlink(missing_ok=True)
    else:
        _write_pointer(index_dir, PREVIOUS_NAME, previous.name)
    _write_pointer(index_dir, POINTER_NAME, current.name)
    _fsync_dir(index_dir)


def publish(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the served one atomically, then prune old generations.

    Raises `DamagedPointer` (publishing nothing, deleting nothing) when the
    pointers cannot say which generation is served now."""
    # Raises, publishing nothing, when the pointers are damaged.
    previous, _older = pointed_generations(index_dir, publishing=generation)
    _fsync_tree(generation)
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

    Keeps ``CURRENT`` and ``PREVIOUS``; returns the names removed. Raises
    `DamagedPointer`, removing nothing, when the pointers are damaged: then no
    folder can be known to be a leftover.
    """
    if not index_dir.is_dir():
        return []
    keep = {path.name for path in pointed_generations(index_dir) if path is not None}
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
