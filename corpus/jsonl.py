"""Reader for JSONL exports: one JSON object a line, keyed by `Article` field names.

A record's ``id`` is kept as the article id (evaluation tools join on it); without
one the ``url`` is the id, else the origin plus a content hash. ``date`` may be
any string `parse_date` understands; a record with an unreadable date or view count
is kept without it. ``tags`` may be a list or a comma-separated string. Each line is
read on its own (`corpus.records.isolated`): a bad line costs that line only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from corpus.admit import MAX_BODY_CHARS
from corpus.article import Article
from corpus.decode import decode_text
from corpus.records import article_from_record, isolated
from corpus.report import ReadReport

#: Re-exported for readers that import the body cap from here; `corpus.admit` applies it.
__all__ = ["MAX_BODY_CHARS", "read_jsonl"]
#: Python refuses to turn longer digit strings into an int; such numbers stay digit strings.
_MAX_INT_DIGITS = 4000


def _json_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else digits


def _line_article(line: str, where: str, report: ReadReport) -> Article | None:
    try:
        record = json.loads(line, parse_int=_json_int)
    except RecursionError:
        report.add_problem(where, "invalid JSON line: too deeply nested")
        return None
    except json.JSONDecodeError as error:
        report.add_problem(where, f"invalid JSON line: {error.msg}")
        return None
    if not isinstance(record, dict):
        report.add_problem(where, "invalid JSON line: not an object")
        return None
    return article_from_record(record, where, report)


def read_jsonl(data: bytes, origin: str, report: ReadReport) -> Iterator[Article]:
    """Yield one Article per valid line; report each bad line as ``origin:LINE``."""
    text = decode_text(data, origin, report)
    if text is None:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        article = isolated(report, where, _line_article, line, where, report)
        if article is not None:
            yield article
