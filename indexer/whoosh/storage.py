"""Reading an index in place: a Whoosh storage whose segment sub-files are views.

Whoosh's ``FileStorage`` memory-maps each compound segment, but then opens every
sub-file as ``BufferFile(memoryview)``, whose ``BytesIO(buf)`` *copies* the whole
sub-file into the heap: every web worker held its own copy of the postings and
stored fields (300 MB of its 580 MB at 50k synthetic articles).

`MappedFileStorage` is a ``FileStorage`` (Whoosh's own extension point: readers
open every file through the index's storage) that tells the compound reader not
to map the segment itself (``supports_mmap=False``, a constructor option of
``FileStorage``); the compound reader then asks the segment file for its
sub-files (``StructFile.subset``), and `MappedStructFile` answers with
`ViewBufferFile` over one shared read-only map of the file. `ViewFile` reads the
mapped memory in place where ``BufferFile`` would use ``BytesIO``. Nothing in
Whoosh is modified: only indexes opened with `open_mapped_index` read this way.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.index import FileIndex


class ViewFile:
    """A read-only file over a memoryview, without copying it (what ``BufferFile``
    needs of ``BytesIO``: read, readinto, readline, seek, tell, iteration, close)."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative or None)."""
        end = (
            len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        )
        data = bytes(self._view[self._pos : end])
        self._pos = max(self._pos, end)
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the current position; the byte count."""
        count = max(0, min(len(buffer), len(self._view) - self._pos))
        buffer[:count] = self._view[self._pos : self._pos + count]
        self._pos += count
        return count

    def readline(self, size: int | None = -1) -> bytes:
        """Bytes up to and including the next newline."""
        limit = len(self._view) if size is None or size < 0 else self._pos + size
        end = min(limit, len(self._view))
        start = self._pos
        while start < end:
            chunk = bytes(self._view[start : min(end, start + 4096)])
            found = chunk.find(b"\n")
            if found >= 0:
                end = start + found + 1
                break
            start += len(chunk)
        return self.read(end - self._pos)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move like ``BytesIO.seek``."""
        base = (0, self._pos, len(self._view))[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        """The current position."""
        return self._pos

    def flush(self) -> None:
        """Nothing to flush."""

    def close(self) -> None:
        """Drop the view (the mapping itself belongs to the segment file)."""
        self._view = memoryview(b"")


class ViewBufferFile(BufferFile):
    """Whoosh's ``BufferFile`` reading its buffer through a `ViewFile` (no copy)."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        # BufferFile.__init__ would wrap ``buf`` in BytesIO (a copy): set its fields here.
        self._buf = buf
        self._name = name
        self.file = ViewFile(memoryview(buf))
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def subset(self, position: int, length: int, name: str | None = None) -> ViewBufferFile:
        """A sub-file of this one (``BufferFile.subset``, still without ``BytesIO``)."""
        return ViewBufferFile(self.get(position, length), name=name or self._name)


class MappedStructFile(StructFile):
    """A file of the index whose sub-files (`subset`) are views of one read-only map."""

    def __init__(self, fileobj: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(fileobj, name=name, onclose=onclose)
        self._map: mmap.mmap | None = None

    def subset(self, offset: int, length: int, name: str | None = None) -> ViewBufferFile:
        """The ``length`` bytes at ``offset``, read in place from the mapped file."""
        if self._map is None:
            self._map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
            # The map holds its own descriptor; the compound reader only asks for
            # sub-files from now on, so the file is closed (as Whoosh does once mapped).
            self.file.close()
        view = memoryview(self._map)[offset : offset + length]
        return ViewBufferFile(view, name=name or self._name)

    def close(self) -> None:
        """Close the file; the map goes when its last sub-file view is released."""
        mapped, self._map = self._map, None
        if mapped is not None:
            try:
                mapped.close()
            except BufferError:  # sub-files still read it: closed when they are collected
                pass
        super().close()


class MappedFileStorage(FileStorage):
    """A ``FileStorage`` whose files hand out `ViewBufferFile` sub-files."""

    def __init__(self, path: str | Path) -> None:
        # supports_mmap=False: the compound reader must not map (and copy) sub-files
        # itself; it then calls MappedStructFile.subset, which maps without copying.
        super().__init__(str(path), supports_mmap=False)

    def open_file(self, name: str, **kwargs: Any) -> MappedStructFile:
        """Open ``name`` for reading (``FileStorage.open_file``, as a `MappedStructFile`)."""
        path = Path(self.folder) / name
        return MappedStructFile(open(path, "rb"), name=name, **kwargs)


def open_mapped_index(folder: str | Path) -> FileIndex:
    """Open the Whoosh index in ``folder`` for reading through `MappedFileStorage`."""
    return MappedFileStorage(folder).open_index()


__all__ = [
    "MappedFileStorage",
    "MappedStructFile",
    "ViewBufferFile",
    "ViewFile",
    "open_mapped_index",
]
