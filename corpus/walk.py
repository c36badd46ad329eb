"""Walking the paths a build is given: which files to read, and what could not be read.

`walk_paths` is the one walker behind `corpus.iter_files` (and so `read_paths`) and
behind the indexer's file lists. It is iterative (an explicit stack, never recursion,
so a folder nested thousands of levels deep is walked, or named when the system
refuses its path), and it yields, in a stable order (a folder's files by name, then
its subfolders by name, depth first: the order ``os.walk`` gave):

* a `Path` for each regular file to read;
* an `Unreadable` for each folder that cannot be listed and each file that cannot be
  examined (permission, I/O error), and for each given path that does not exist.
  What lies under it is unknown, not absent: an update keeps the articles it
  indexed from there instead of deleting them (`indexer.whoosh.update`).

Rules, each named in the `ReadReport` when it skips something:

* names starting with ``.`` are skipped (hidden files and folders);
* links to folders are not followed (they may loop);
* links to files are followed only when their target lies inside one of the given
  paths (``follow_links=True`` follows every link to a file);
* the same file reached twice (two overlapping paths, a link to a file also
  reached directly, a hard link) is yielded once, at its first place; the same
  folder is walked once (overlapping paths, bind mounts);
* FIFOs, sockets and devices are never opened; dangling links and link loops
  cannot be read. The given paths themselves are always followed.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus.report import ReadReport

#: errno values that mean "this entry is gone", not "this entry cannot be read now".
_GONE = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A path whose content the walk could not see; nothing under it is known.

    ``root`` is True for one of the given paths (missing or unreadable); ``missing``
    for a given path that does not exist at all.
    """

    path: Path
    reason: str
    root: bool = False
    missing: bool = False


WalkItem = Path | Unreadable


def _why(error: OSError) -> str:
    return error.strerror or str(error)


def _kind(mode: int) -> str:
    return "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"


class _Walk:
    """State of one walk: the given paths' real locations and what was already seen."""

    def __init__(self, paths: list[Path], report: ReadReport, follow_links: bool) -> None:
        self.report = report
        self.follow_links = follow_links
        self.files_seen: set[tuple[int, int]] = set()
        self.folders_seen: set[tuple[int, int]] = set()
        self.inside: list[tuple[Path, bool]] = []  # (real path, is a folder)
        for path in paths:
            try:
                is_folder = path.is_dir()
                self.inside.append((Path(os.path.realpath(path)), is_folder))
            except OSError:
                continue

    def link_allowed(self, link: Path) -> bool:
        """True when ``link`` (a link to a file) may be followed."""
        if self.follow_links:
            return True
        target = Path(os.path.realpath(link))
        return any(
            target.is_relative_to(root) if is_folder else target == root
            for root, is_folder in self.inside
        )

    def first_time(self, seen: set[tuple[int, int]], info: os.stat_result) -> bool:
        key = (info.st_dev, info.st_ino)
        if key in seen:
            return False
        seen.add(key)
        return True

    def root(self, path: Path) -> Iterator[WalkItem]:
        """The items of one given path."""
        try:
            info = path.stat()
        except FileNotFoundError:
            yield Unreadable(path, "not found (no such file or folder)", root=True, missing=True)
            return
        except OSError as error:
            yield Unreadable(path, f"unreadable: {_why(error)}", root=True)
            return
        if stat.S_ISDIR(info.st_mode):
            if self.first_time(self.folders_seen, info):
                yield from self.folder(path, is_root=True)
            return
        if not stat.S_ISREG(info.st_mode):
            self.report.add_problem(str(path), f"not a regular file ({_kind(info.st_mode)})")
            return
        try:  # a given file that cannot be opened stops an update: see it now
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        except OSError as error:
            yield Unreadable(path, f"unreadable: {_why(error)}", root=True)
            return
        if self.first_time(self.files_seen, info):
            yield path

    def folder(self, top: Path, *, is_root: bool) -> Iterator[WalkItem]:
        """Every item under the folder ``top``, without recursion."""
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as scan:
                    entries = sorted(scan, key=lambda entry: entry.name)
            except OSError as error:
                yield Unreadable(
                    folder, f"unreadable folder: {_why(error)}", root=is_root and folder is top
                )
                continue
            subfolders = []
            files = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    is_folder = entry.is_dir()
                except OSError:
                    is_folder = False
                if not is_folder:
                    files.append(entry)
                elif entry.is_symlink():
                    self.report.add_problem(entry.path, "link to a folder: not followed")
                else:
                    subfolders.append(entry)
            for entry in files:
                yield from self.file(entry)
            for entry in reversed(subfolders):
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError as error:
                    yield Unreadable(Path(entry.path), f"unreadable folder: {_why(error)}")
                    continue
                if self.first_time(self.folders_seen, info):
                    stack.append(Path(entry.path))

    def file(self, entry: os.DirEntry[str]) -> Iterator[WalkItem]:
        """The file ``entry`` when it is a regular file to read; anything else is named."""
        path = Path(entry.path)
        try:
            info = entry.stat()  # follows a link
        except OSError as error:
            if error.errno in _GONE:  # a dangling link or a link loop: nothing to keep
                self.report.add_problem(str(path), f"unreadable: {_why(error)}")
            else:
                yield Unreadable(path, f"unreadable: {_why(error)}")
            return
        if not stat.S_ISREG(info.st_mode):
            self.report.add_problem(
                str(path), f"not a regular file ({_kind(info.st_mode)}): skipped"
            )
            return
        if entry.is_symlink() and not self.link_allowed(path):
            self.report.add_problem(
                str(path),
                f"link to a file outside the given paths ({os.path.realpath(path)}): "
                "not followed (--follow-links follows it)",
            )
            return
        if self.first_time(self.files_seen, info):
            yield path


def walk_paths(
    paths: Iterable[str | Path], report: ReadReport, *, follow_links: bool = False
) -> Iterator[WalkItem]:
    """Yield the files to read under ``paths`` and the `Unreadable` places, in order.

    Skipped entries that are not unreadable (links not followed, FIFOs, devices,
    dangling links) are named in ``report``; `Unreadable` items are left to the
    caller to name, with what it does about them.
    """
    given = [Path(path) for path in paths]
    walk = _Walk(given, report, follow_links)
    for path in given:
        yield from walk.root(path)


def iter_files(
    paths: Iterable[str | Path], report: ReadReport, *, follow_links: bool = False
) -> Iterator[Path]:
    """Yield the regular files under ``paths`` in a stable order (see `walk_paths`),
    naming in ``report`` every path that is missing, unreadable or skipped."""
    for item in walk_paths(paths, report, follow_links=follow_links):
        if isinstance(item, Unreadable):
            report.add_problem(str(item.path), item.reason)
        else:
            yield item
