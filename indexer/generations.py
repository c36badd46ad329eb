"""Index directory layout: immutable generations swapped in by an atomic pointer.

``INDEX_DIR/CURRENT`` names the served generation (``gen-<utc>-<pid>``), a
complete Whoosh index in ``INDEX_DIR/<name>/``. A build writes a new generation,
fsyncs it, then replaces ``CURRENT`` with ``os.replace`` (atomic on POSIX). A
crash before that leaves the old generation served and a stray folder that the
next build removes. The previous generation is kept (readers that opened it keep
working); older ones are deleted. ``INDEX_DIR/build.lock`` is held with
``flock`` by the one writer; the kernel releases it if that process dies.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

POINTER_NAME = "CURRENT"
LOCK_NAME = "build.lock"
GENERATION_PREFIX = "gen-"


class IndexBusy(RuntimeError):
    """Another build or update holds the index lock."""


def current_generation(index_dir: Path) -> Path | None:
    """Return the served generation's folder, or None when nothing was built yet."""
    try:
        name = (index_dir / POINTER_NAME).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not name or "/" in name or not name.startswith(GENERATION_PREFIX):
        return None
    path = index_dir / name
    return path if path.is_dir() else None


def new_generation(index_dir: Path) -> Path:
    """Create and return an empty folder for a new generation."""
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = index_dir / f"{GENERATION_PREFIX}{stamp}-{os.getpid()}"
    path.mkdir()
    return path


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


def publish(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the served one atomically, then prune old generations."""
    _fsync_tree(generation)
    previous = current_generation(index_dir)
    tmp = index_dir / f".{POINTER_NAME}.{os.getpid()}.tmp"
    tmp.write_text(generation.name + "\n", encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / POINTER_NAME)
    _fsync_dir(index_dir)
    keep = {generation.name, previous.name if previous else ""}
    prune(index_dir, keep)


def prune(index_dir: Path, keep: set[str]) -> None:
    """Delete generation folders not named in ``keep`` (call only under the lock)."""
    for child in index_dir.iterdir():
        if child.name.startswith(GENERATION_PREFIX) and child.name not in keep and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's single-writer lock, or raise `IndexBusy` naming the holder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_NAME
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexBusy(f"index {index_dir} is being written by {holder}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}")
        handle.flush()
        yield
    finally:
        handle.close()
