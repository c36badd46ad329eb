"""A field's postings for one document, as ``field.index(value)`` gives them, faster.

Whoosh runs every field value through its analyzer's generator chain, one Token
object per word. The short fields of the Broadsheet schema repeat a lot (a source,
an author, a tag set, a view count) or are one token (an id), so `field_items`
memoises ``index(value)`` per writer and computes the plain cases directly:

- ``NUMERIC`` / ``DATETIME``: the value is made sortable once, not once per
  precision tier (`tiered_terms`);
- ``ID`` with a bare ``IDTokenizer`` and the ``Existence`` format: the value is
  the one term;
- ``KEYWORD`` with a space tokenizer and lowercasing (``title_words``): the
  lowercased whitespace-separated tokens and their counts.

Everything else goes to Whoosh's ``index``. Memoised results are shared between
documents. For formats with variable-size values (positions) that makes ``pickle``
write a repeated value as a back-reference: the same postings in other bytes,
so `EXACT` (Whoosh's bytes, for tests) turns that memo off.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from whoosh.analysis import (
    CompositeAnalyzer,
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    SpaceSeparatedTokenizer,
)
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT
from whoosh.formats import Existence, Frequency
from whoosh.system import emptybytes, pack_byte, pack_uint
from whoosh.util.numeric import to_sortable

#: Item of ``FieldType.index``: (term bytes, frequency, weight, encoded value).
Item = tuple[bytes, int, float, bytes]

#: Field types whose ``index(value)`` depends on the value alone.
MEMO_TYPES = (ID, KEYWORD, NUMERIC, DATETIME, TEXT)
MEMO_VALUE_TYPES = (str, int, datetime)
#: Entries per writer's memo before it is emptied.
MEMO_SIZE = 20_000
#: Reproduce Whoosh's bytes exactly (no shared position values); tests set it.
EXACT = False

_SPACE_PATTERN = SpaceSeparatedTokenizer().expression.pattern
_KINDS: dict[int, tuple[Any, str]] = {}


def tiered_terms(field: Any, value: Any) -> list[Item]:
    """``NUMERIC.index`` / ``DATETIME.index`` of one number or date: the value made
    sortable once instead of once per precision tier (same terms)."""
    if (
        type(field) not in (NUMERIC, DATETIME)
        or not field.shift_step
        or isinstance(value, list | tuple | bytes)
        or value is None
    ):
        return list(field.index(value))
    number = field.prepare_datetime(value) if type(field) is DATETIME else value
    if isinstance(number, bytes):
        return list(field.index(value))
    number = to_sortable(field.numtype, field.bits, field.signed, field.prepare_number(number))
    pack = field._struct.pack
    return [
        (pack_byte(shift) + pack(number >> shift), 1, 1.0, emptybytes)
        for shift in range(0, field.bits, field.shift_step)
    ]


def _is_space_keyword(field: Any) -> bool:
    analyzer = field.analyzer
    return (
        type(field.format) is Frequency
        and isinstance(analyzer, CompositeAnalyzer)
        and len(analyzer.items) == 2
        and type(analyzer.items[0]) is RegexTokenizer
        and analyzer.items[0].expression.pattern == _SPACE_PATTERN
        and not analyzer.items[0].gaps
        and type(analyzer.items[1]) is LowercaseFilter
    )


def _kind(field: Any) -> str:
    """How `field_items` handles ``field``: "tiers", "id", "keyword", "memo" or "whoosh"."""
    known = _KINDS.get(id(field))
    if known is not None and known[0] is field:
        return known[1]
    kind = "whoosh"
    if type(field) in (NUMERIC, DATETIME):
        kind = "tiers"
    elif type(field) is ID and type(field.analyzer) is IDTokenizer:
        kind = "id" if type(field.format) is Existence else "memo"
    elif type(field) is KEYWORD and _is_space_keyword(field):
        kind = "keyword"
    elif type(field) in MEMO_TYPES:
        kind = "memo"
    _KINDS[id(field)] = (field, kind)
    return kind


def keyword_terms(field: Any, value: str) -> list[Item]:
    """``KEYWORD.index`` for whitespace-separated, lowercased keywords (``Frequency``)."""
    tokens = field.analyzer.items[0].expression.findall(value)
    boost = field.format.field_boost
    return [
        (word.encode("utf-8"), freq, (freq * 1.0) * boost, pack_uint(freq))
        for word, freq in Counter(map(str.lower, tokens)).items()
    ]


def field_items(memo: dict[Any, Any], fieldname: str, field: Any, value: Any) -> Any:
    """``field.index(value)`` (a list or Whoosh's generator), memoised in ``memo``."""
    kind = _kind(field)
    if kind == "whoosh" or type(value) not in MEMO_VALUE_TYPES:
        return field.index(value)
    if kind == "id" and type(value) is str:
        return [(value.encode("utf-8"), 1, field.format.field_boost, emptybytes)]
    if kind == "keyword" and type(value) is str:
        return keyword_terms(field, value)
    if EXACT and kind == "memo":
        size = field.format.fixed_value_size()
        if size is None or size < 0:
            return field.index(value)
    key = (fieldname, value)
    items = memo.get(key)
    if items is None:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        items = memo[key] = tiered_terms(field, value)
    return items


__all__ = ["EXACT", "MEMO_TYPES", "field_items", "keyword_terms", "tiered_terms"]
