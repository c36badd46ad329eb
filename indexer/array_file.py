"""Named NumPy arrays and a JSON header in one file, read in place.

The layout: 8 bytes naming what the file holds (``magic``), the header's length (8
bytes, little-endian), the JSON header (``version``, the caller's ``meta``, each
array's dtype, offset and length), then the arrays, each aligned to 8 bytes. The
spelling model (`indexer.spelling_model`) and a generation's per-document tables
(`indexer.whoosh.tables`) are written this way: a reader maps the file (or reads it
whole) and takes views, with no parsing.
"""

from __future__ import annotations

import json
import mmap
import os
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import IndexerError

__all__ = ["FORMAT_VERSION", "ArrayFileError", "read_arrays", "write_arrays"]

#: Format version written in the header; a reader refuses any other.
FORMAT_VERSION = 1
_ALIGN = 8


class ArrayFileError(IndexerError, ValueError):
    """A file that is not one of the kind asked for, or of another format version."""


def write_arrays(
    path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any], magic: bytes
) -> int:
    """Write ``arrays`` and ``meta`` to ``path`` atomically (a temporary name, fsync,
    rename: a hard-linked older file is replaced, never written into); returns bytes.
    ``magic`` (8 bytes) names what the file holds."""
    layout: dict[str, list[Any]] = {}
    offset = 0
    for name, array in arrays.items():
        offset = -(-offset // _ALIGN) * _ALIGN
        layout[name] = [array.dtype.str, offset, int(array.size)]
        offset += array.nbytes
    header = json.dumps(
        {"version": FORMAT_VERSION, "meta": meta, "arrays": layout}, sort_keys=True
    ).encode("utf-8")
    start = -(-(len(magic) + 8 + len(header)) // _ALIGN) * _ALIGN
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        handle.write(magic + len(header).to_bytes(8, "little") + header)
        handle.write(b"\0" * (start - handle.tell()))
        for name, array in arrays.items():
            handle.write(b"\0" * (start + layout[name][1] - handle.tell()))
            handle.write(np.ascontiguousarray(array).tobytes())
        handle.flush()
        os.fsync(handle.fileno())
        size = handle.tell()
    os.replace(tmp, path)
    return size


def read_arrays(
    path: Path, magic: bytes, mapped: bool = True
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and meta of a file `write_arrays` wrote with ``magic``, as read-only
    views into one ``mmap`` (one file descriptor held while they live, however many
    arrays), or, unless ``mapped``, into the file's bytes read whole (none held)."""
    data: mmap.mmap | bytes
    with path.open("rb") as handle:
        if mapped:
            try:
                data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError as error:  # an empty file
                raise ArrayFileError(f"{path.name}: empty") from error
        else:
            data = handle.read()
    if data[: len(magic)] != magic:
        raise ArrayFileError(f"{path.name}: not a {magic.decode('ascii', 'replace')} file")
    size = int.from_bytes(data[len(magic) : len(magic) + 8], "little")
    try:
        header = json.loads(data[len(magic) + 8 : len(magic) + 8 + size])
    except ValueError as error:
        raise ArrayFileError(f"{path.name}: unreadable header") from error
    if header.get("version") != FORMAT_VERSION:
        raise ArrayFileError(f"{path.name}: format {header.get('version')!r}")
    start = -(-(len(magic) + 8 + size) // _ALIGN) * _ALIGN
    arrays = {}
    for name, (dtype, offset, count) in header["arrays"].items():
        itemsize = np.dtype(dtype).itemsize
        if start + offset + count * itemsize > len(data):
            raise ArrayFileError(f"{path.name}: truncated at {name}")
        arrays[name] = np.frombuffer(data, dtype=dtype, count=count, offset=start + offset)
    return arrays, header.get("meta", {})
