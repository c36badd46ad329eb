"""Bytes to text for the text-based readers, with the checks every file needs."""

from __future__ import annotations

import codecs
import re

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


_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def declared_charset(data: bytes) -> str | None:
    """The charset a markup file declares in its head (``<meta>`` or ``<?xml?>``), if any."""
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_markup(data: bytes, origin: str, report: ReadReport) -> str | None:
    """Decode HTML or XML bytes to text, or report why not and return None.

    Order: a byte-order mark; else strict UTF-8 when the bytes are valid UTF-8
    (pages often declare a legacy charset and are really UTF-8, never the other
    way round by accident); else the declared charset; else Windows-1252, which
    decodes every byte. Pages that need the last resort keep their text readable.
    """
    if not data.strip():
        report.add_problem(origin, "empty file")
        return None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                report.add_problem(origin, f"undecodable: invalid {encoding} after BOM")
                return None
    if looks_binary(data):
        report.add_problem(origin, "binary file")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared and declared not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
        if declared in ("latin-1", "iso8859-1", "ascii"):
            declared = "cp1252"  # what browsers do with these labels
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    return data.decode("cp1252", errors="replace")
