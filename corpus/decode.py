"""Bytes to text for the text-based readers, with the checks every file needs."""

from __future__ import annotations

from corpus.report import ReadReport

_SNIFF = 8192


def looks_binary(data: bytes) -> bool:
    """True when the head of ``data`` holds NUL bytes or mostly control bytes."""
    head = data[:_SNIFF]
    if b"\x00" in head:
        return True
    control = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return bool(head) and control / len(head) > 0.10


def decode_text(data: bytes, origin: str, report: ReadReport) -> str | None:
    """Decode a text file, or report why it cannot be read and return None.

    UTF-8 (with or without BOM) first, then UTF-16 by its BOM, then Windows-1252,
    which is what mislabelled Western news text almost always is.
    """
    if not data.strip():
        report.add_problem(origin, "empty file")
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            report.add_problem(origin, "undecodable: invalid UTF-16")
            return None
    if looks_binary(data):
        report.add_problem(origin, "binary file")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        report.add_problem(origin, "undecodable: neither UTF-8 nor Windows-1252")
        return None
