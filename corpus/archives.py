"""One source file to its inputs: read it (size-capped), unpack ``.gz`` and ``.zip``.

Caps, each named in the problem when it stops something:

* `MAX_FILE_BYTES` per file and per unpacked ``.gz`` file or ``.zip`` member;
* `MAX_ARCHIVE_BYTES` for all members of one ``.zip`` together (members that would
  pass it are skipped; smaller ones after them are still read);
* `MAX_RATIO`: a ``.gz`` file or ``.zip`` member that unpacks to more than this many
  times its packed size (once past `RATIO_FLOOR`) is a bomb and is skipped. News text
  packs 3-8 times (Reuters-21578 ``.sgm.gz`` 3.3-3.8, the HTML samples up to 7.3);
  zeros or one repeated line pack about 300-1,000 times.

A ``.gz`` is unpacked in steps and stopped as soon as a cap is passed; a ``.zip``
member is judged by its declared sizes before any byte is unpacked (`zipfile` never
unpacks past the declared size). Corrupt data (a bad deflate stream, a bad CRC, a
truncated archive) is named and skipped; the other inputs are read.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from corpus.report import ReadReport

#: Files (and unpacked ``.gz`` files and ``.zip`` members) larger than this are skipped.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: All members of one ``.zip`` together unpack to at most this; the rest are skipped.
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024
#: Largest unpacked/packed size ratio of a ``.gz`` file or ``.zip`` member ...
MAX_RATIO = 100
#: ... once it unpacks to more than this (small files may pack better, harmlessly).
RATIO_FLOOR = 1024 * 1024
_STEP = 1024 * 1024
_DETAIL_CHARS = 160


class CapExceeded(ValueError):
    """An input would unpack past a cap; the message names the cap."""


def _detail(error: BaseException) -> str:
    return (str(error) or type(error).__name__)[:_DETAIL_CHARS]


def ratio_problem(unpacked: int, packed: int) -> str | None:
    """The problem to name when ``unpacked`` bytes from ``packed`` pass `MAX_RATIO`."""
    if unpacked > RATIO_FLOOR and unpacked > MAX_RATIO * max(packed, 1):
        return (
            f"compression ratio cap: unpacks to over {MAX_RATIO} times its packed size "
            f"({unpacked} bytes from {packed}), skipped as a zip bomb"
        )
    return None


def read_limited(path: Path) -> bytes:
    """The bytes of ``path``; `CapExceeded` past `MAX_FILE_BYTES`, OSError when unreadable."""
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise CapExceeded(f"file too large: over {MAX_FILE_BYTES} bytes")
    return data


def gunzip_limited(data: bytes) -> bytes:
    """Unpack gzip ``data`` (every member), stopping with `CapExceeded` as soon as the
    output passes `MAX_FILE_BYTES` or `MAX_RATIO`; corrupt data raises OSError,
    EOFError or ``zlib.error``."""
    packed = io.BytesIO(data)
    out = bytearray()
    with gzip.GzipFile(fileobj=packed) as stream:
        while block := stream.read(_STEP):
            out += block
            if len(out) > MAX_FILE_BYTES:
                raise CapExceeded(f"file too large: unpacks to over {MAX_FILE_BYTES} bytes")
            problem = ratio_problem(len(out), packed.tell())
            if problem:
                raise CapExceeded(problem)
    return bytes(out)


def expand_file(path: Path, origin: str, report: ReadReport) -> Iterator[tuple[str, bytes]]:
    """Yield ``(origin, bytes)`` for ``path``: the file itself, its unpacked ``.gz``
    content or each member of its ``.zip``; what cannot be read is named in ``report``.
    ``path`` is opened as it is; ``origin`` is its printable name."""
    try:
        data = read_limited(path)
    except OSError as error:
        report.add_problem(origin, f"unreadable: {error.strerror or error}")
        return
    except CapExceeded as error:
        report.add_problem(origin, str(error))
        return
    if origin.lower().endswith(".gz"):
        try:
            data = gunzip_limited(data)
        except CapExceeded as error:
            report.add_problem(origin, str(error))
            return
        except Exception as error:  # zlib.error, OSError, EOFError ...
            report.add_problem(origin, f"bad gzip: {_detail(error)}")
            return
    if origin.lower().endswith(".zip"):
        yield from iter_zip(data, origin, report)
        return
    yield origin, data


def iter_zip(data: bytes, origin: str, report: ReadReport) -> Iterator[tuple[str, bytes]]:
    """Yield ``(origin!member, bytes)`` for each readable member of a ``.zip``, in the
    archive's order; folders and hidden files are passed over, each member that is
    corrupt or passes a cap is named (``bad zip member``, ``file too large``,
    ``compression ratio cap``, ``archive size cap``)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception as error:  # a hostile central directory fails many ways
        report.add_problem(origin, f"bad zip: {_detail(error)}")
        return
    unpacked_total = 0
    for info in members:
        member = f"{origin}!{info.filename}"
        if info.is_dir() or PurePosixPath(info.filename).name.startswith("."):
            continue
        problem = _member_cap_problem(info, unpacked_total)
        if problem:
            report.add_problem(member, problem)
            continue
        try:
            with archive.open(info) as stream:
                content = stream.read(MAX_FILE_BYTES + 1)
        except Exception as error:  # zlib.error, BadZipFile (CRC), encrypted ...
            report.add_problem(member, f"bad zip member: {_detail(error)}")
            continue
        unpacked_total += len(content)
        if len(content) > MAX_FILE_BYTES:
            report.add_problem(member, f"file too large: over {MAX_FILE_BYTES} bytes")
            continue
        yield member, content


def _member_cap_problem(info: zipfile.ZipInfo, unpacked_total: int) -> str | None:
    """The cap a member would pass by its declared sizes, or None."""
    if info.file_size > MAX_FILE_BYTES:
        return f"file too large: over {MAX_FILE_BYTES} bytes"
    problem = ratio_problem(info.file_size, info.compress_size)
    if problem:
        return problem
    if unpacked_total + info.file_size > MAX_ARCHIVE_BYTES:
        return (
            f"archive size cap: the members unpack to over {MAX_ARCHIVE_BYTES} bytes "
            "in total, skipped"
        )
    return None
