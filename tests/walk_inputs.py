"""Hostile folder layouts for the walker: each one made by one small function, so the
indexer tests and the torture corpus of the reliability suite build the same ones.

* `deep_folder`: a chain of folders thousands of levels deep (made and removed
  through directory descriptors, so any depth works, past PATH_MAX too);
* `unreadable_folder`: a folder holding articles that the indexer may not list
  (`chmod 000`; root ignores that, so run the indexer with `as_unprivileged`);
* `outside_link`: a link to a file outside the given paths;
* `overlapping_paths`: paths that reach the same files twice.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from indexer_helpers import article_line


def deep_folder(root: Path, depth: int, name: str = "d", article_id: str = "deep-1") -> Path:
    """Make ``root/deep/<name>/<name>/...`` (``depth`` levels) with one JSONL article at
    the bottom; return the top folder (``root/deep``). Remove it with `remove_deep_folder`
    (``shutil.rmtree`` recurses and fails past ~1,000 levels)."""
    top = root / "deep"
    top.mkdir(parents=True)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        line = article_line(article_id, "Deep folder story", "Found at the bottom of a deep tree.")
        out = os.open("bottom.jsonl", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        with os.fdopen(out, "w", encoding="utf-8") as handle:
            handle.write(line)
    finally:
        os.close(fd)
    return top


def remove_deep_folder(top: Path) -> None:
    """Remove a tree made by `deep_folder` (one chain of folders) without recursion."""
    if not top.exists():
        return
    fds = [os.open(top, os.O_RDONLY | os.O_DIRECTORY)]
    names: list[str] = []
    try:
        while True:  # go down the chain, keeping a descriptor of each level
            folders = [e.name for e in os.scandir(fds[-1]) if e.is_dir(follow_symlinks=False)]
            if not folders:
                break
            names.append(folders[0])
            fds.append(os.open(folders[0], os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
        while fds:  # empty each level bottom up
            fd = fds.pop()
            for entry in os.scandir(fd):
                if not entry.is_dir(follow_symlinks=False):
                    os.unlink(entry.name, dir_fd=fd)
            os.close(fd)
            if fds:
                os.rmdir(names.pop(), dir_fd=fds[-1])
    finally:
        for fd in fds:
            os.close(fd)
    top.rmdir()


def unreadable_folder(root: Path, articles: int = 3, name: str = "locked") -> Path:
    """Make ``root/NAME/`` holding ``articles`` JSONL articles, then ``chmod 000`` it.
    Undo with `readable_again` (pytest cannot clean it up otherwise)."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "locked.jsonl").write_text(
        "".join(
            article_line(f"locked-{n}", f"Locked story {n}", f"Kept although unreadable {n}.")
            for n in range(articles)
        ),
        encoding="utf-8",
    )
    folder.chmod(0)
    return folder


def readable_again(path: Path) -> None:
    """Undo `unreadable_folder` (or a ``chmod 000`` file)."""
    with contextlib.suppress(FileNotFoundError):
        path.chmod(0o755 if path.is_dir() else 0o644)


def as_unprivileged() -> list[str]:
    """Command prefix under which ``chmod 000`` stops the program even when the tests run
    as root (`reliability_helpers.without_dac_override`); [] for other users."""
    from reliability_helpers import without_dac_override

    return without_dac_override()


def outside_link(root: Path, outside: Path, name: str = "secret.txt") -> Path:
    """Make ``outside/NAME`` (a text file outside ``root``) and the link ``root/NAME`` to it."""
    outside.mkdir(parents=True, exist_ok=True)
    target = outside / name
    target.write_text("Private notes\n\nThe outside secret must not be indexed.\n", "utf-8")
    link = root / name
    link.symlink_to(target)
    return link


def overlapping_paths(root: Path) -> list[str]:
    """Paths reaching the same files twice: ``root``, ``root/sub`` and one file again
    (also through a link inside ``root`` and a hard link); every file holds new ids."""
    sub = root / "sub"
    sub.mkdir(parents=True, exist_ok=True)
    (root / "top.jsonl").write_text(article_line("top-1", "Top story", "Top body text."))
    (sub / "inner.jsonl").write_text(article_line("inner-1", "Inner story", "Inner body text."))
    (root / "again.jsonl").symlink_to(sub / "inner.jsonl")
    os.link(root / "top.jsonl", sub / "hard.jsonl")
    return [str(root), str(sub), str(root / "top.jsonl")]


@contextlib.contextmanager
def deep_tree(root: Path, depth: int, name: str = "d") -> Iterator[Path]:
    """`deep_folder`, removed afterwards."""
    top = deep_folder(root, depth, name)
    try:
        yield top
    finally:
        remove_deep_folder(top)


__all__ = [
    "as_unprivileged",
    "deep_folder",
    "deep_tree",
    "outside_link",
    "overlapping_paths",
    "readable_again",
    "remove_deep_folder",
    "unreadable_folder",
]
