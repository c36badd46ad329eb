"""The writers' posting pool, and ``add_document`` handing it a field at a time.

Whoosh's ``PostingPool`` keeps one tuple per posting and sorts them all at the
flush; past its memory limit it pickles every posting to a temp file and back.
`CompactPostingPool` groups postings by field and term as they come (documents
arrive in order, so each term's list is already sorted by document), sorts only
the field names and the distinct terms, and spills whole terms with ``marshal``.
Spelling words (document 0 of the ``spell_*`` fields) are kept once per word
instead of once per document that holds them: only the words are ever read back.

`add_document` is ``SegmentWriter.add_document`` with the per-posting
``pool.add((field, term, doc, weight, value))`` calls replaced by one
`CompactPostingPool.add_terms` / `add_spelling` call per field; everything else
(stored fields, lengths, columns, vectors, boosts, errors) is Whoosh's code path.
"""

from __future__ import annotations

import heapq
import marshal
import random
import string
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import Any

from whoosh import writing
from whoosh.codec import whoosh3
from whoosh.system import pack_uint

from indexer.whoosh.codec_fast import STORED_NAME, start_stored_column
from indexer.whoosh.fast_text import FastText
from indexer.whoosh.field_terms import field_items

#: Rough bytes of memory per new term and per posting in `CompactPostingPool`
#: (values and weights are mostly objects shared between postings; measured: 85 MB
#: of RSS for half of Reuters-21578, which these estimate at 92 MB).
TERM_BYTES = 200
POSTING_BYTES = 60
#: Spelling postings carry Whoosh's accidental value (the last posting value of the
#: document) instead of an empty one; only tests comparing bytes with Whoosh need it.
WHOOSH_SPELLING_VALUES = False
#: The value of every spelling posting: frequency 1 (``SpellField`` is ``Frequency``).
SPELLING_VALUE = pack_uint(1)
_FREQUENCY = itemgetter(1)

#: One pooled term: (field name, term bytes, flat ``[docnum, weight, value, ...]``).
Record = tuple[str, bytes, list[Any]]
#: What `CompactPostingPool.add_terms` returns as the last value when there was no item.
NO_ITEMS: Any = object()


class CompactPostingPool:
    """Drop-in for ``whoosh.writing.PostingPool``: postings grouped by field and term.

    `add` takes Whoosh's ``(fieldname, term bytes, docnum, weight, value)`` items
    one at a time (merges of old segments use it); `add_terms` takes a whole
    field of one document. `iter_terms` gives each term's postings back as one
    flat list ``[docnum, weight, value, ...]`` in document order, sorted by field
    and term (what `indexer.whoosh.codec_fast` writes); `iter_postings` gives them one
    by one, as Whoosh's flush needs. A repeat of a term in the same document is
    dropped, also across spilled runs.
    """

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = 128, **_: Any) -> None:
        self.tempstore = tempstore
        self.segment = segment
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.fields: dict[str, dict[bytes, list[Any]]] = {}
        self.runs: list[str] = []
        #: Spelling words already pooled (or spilled), per spelling field.
        self.spelled: dict[str, set[str]] = {}

    @property
    def fieldnames(self) -> set[str]:
        """Names of the fields holding pooled postings (spilled runs not included)."""
        return set(self.fields)

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Add one posting; a repeat of the same term and document is dropped."""
        fieldname, text, docnum, weight, value = item
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        postings = terms.get(text)
        if postings is None:
            terms[text] = [docnum, weight, value]
            self.size += TERM_BYTES + len(text) + len(value or b"")
        elif postings[-3] != docnum:
            postings += (docnum, weight, value)
            self.size += POSTING_BYTES + len(value or b"")
        else:
            return
        if self.size > self.limit:
            self.save()

    def add_terms(
        self, fieldname: str, docnum: int, items: Iterable[Any], boost: float, scorable: bool
    ) -> tuple[int, Any]:
        """Add one document's ``(term bytes, freq, weight, value)`` items of one field,
        each weight times ``boost``; return (the field length, the last item's value,
        or `NO_ITEMS` when there was none)."""
        if type(items) is not list:
            items = list(items)
        if not items:
            return 0, NO_ITEMS
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        known = len(terms)
        get = terms.get
        if boost == 1.0 and type(items[0][2]) is float:  # x * 1.0 == x: keep shared floats
            for text, _freq, weight, value in items:
                postings = get(text)
                if postings is None:
                    terms[text] = [docnum, weight, value]
                elif postings[-3] != docnum:
                    postings += (docnum, weight, value)
        else:
            for text, _freq, weight, value in items:
                postings = get(text)
                if postings is None:
                    terms[text] = [docnum, weight * boost, value]
                elif postings[-3] != docnum:
                    postings += (docnum, weight * boost, value)
        self.size += len(items) * POSTING_BYTES + (len(terms) - known) * TERM_BYTES
        if self.size > self.limit:
            self.save()
        return (sum(map(_FREQUENCY, items)) if scorable else 0), items[-1][3]

    def add_spelling(self, fieldname: str, words: Iterable[str], value: Any) -> None:
        """Add spelling ``words`` at document 0 with weight 1, once per word (later
        documents' repeats are dropped, also after a spilled run, which has them).
        The value is frequency 1 in the spelling field's ``Frequency`` format,
        unless `WHOOSH_SPELLING_VALUES` asks for Whoosh's accidental ``value`` (the
        document's last posting value of the field; a reader takes its first 4
        bytes as the frequency)."""
        seen = self.spelled.get(fieldname)
        if seen is None:
            seen = self.spelled[fieldname] = set()
        fresh = set(words).difference(seen)
        if not fresh:
            return
        seen |= fresh
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        if not WHOOSH_SPELLING_VALUES:
            value = SPELLING_VALUE
        for text in map(str.encode, fresh):
            if text not in terms:
                terms[text] = [0, 1, value]
        self.size += len(fresh) * TERM_BYTES
        if self.size > self.limit:
            self.save()

    def _sorted_records(self) -> Iterator[Record]:
        """Empty the pool, yielding its terms sorted by (field, term)."""
        fields, self.fields = self.fields, {}
        self.size = 0
        for fieldname in sorted(fields):
            terms = fields.pop(fieldname)
            for text in sorted(terms):
                yield fieldname, text, terms[text]

    def save(self) -> None:
        """Write the pooled terms, sorted, to a temporary run file and empty the pool."""
        if not self.fields:
            return
        name = "".join(random.choices(string.ascii_lowercase + string.digits, k=16)) + ".run"
        with self.tempstore.create_file(name).raw_file() as handle:
            for record in self._sorted_records():
                marshal.dump(record, handle)
        self.runs.append(name)

    def _read_run(self, name: str) -> Iterator[Record]:
        with self.tempstore.open_file(name).raw_file() as handle:
            while True:
                try:
                    yield marshal.load(handle)
                except EOFError:
                    break
        self.tempstore.delete_file(name)

    def iter_terms(self) -> Iterator[Record]:
        """Every term with its postings, sorted by (field, term); empties the pool."""
        if not self.runs:
            yield from self._sorted_records()
            return
        self.save()
        runs, self.runs = self.runs, []
        merged = heapq.merge(*(self._read_run(name) for name in runs), key=_record_key)
        current: Record | None = None
        for record in merged:
            if current is not None and current[:2] == record[:2]:
                postings = record[2]
                # The same term in a later run: append, minus a repeat of the last document.
                start = 3 if postings[0] == current[2][-3] else 0
                current[2].extend(postings[start:])
                continue
            if current is not None:
                yield current
            current = record
        if current is not None:
            yield current

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """Every posting, sorted by (field, term, document)."""
        for fieldname, text, postings in self.iter_terms():
            for i in range(0, len(postings), 3):
                yield fieldname, text, postings[i], postings[i + 1], postings[i + 2]

    def cleanup(self) -> None:
        """Remove run files left behind (a cancelled or failed writer)."""
        for name in self.runs:
            try:
                self.tempstore.delete_file(name)
            except OSError:
                pass
        self.runs = []


def _record_key(record: Record) -> tuple[str, bytes]:
    return record[0], record[1]


#: Whoosh's own ``SegmentWriter.add_document`` (`add_document` falls back to it).
whoosh_add_document = writing.SegmentWriter.add_document


def _field_plan(writer: Any, fieldname: str) -> tuple[Any, ...]:
    """What `add_document` needs of a field, looked up once per writer: (field,
    indexed, scorable, spelling field name or None, vector format, stored, column)."""
    plans = writer.__dict__.setdefault("_field_plans", {})
    field = writer.schema._fields.get(fieldname)
    plan = plans.get(fieldname)
    if plan is not None and plan[0] is field:
        return plan
    if field is None:  # a dynamic (glob) field: not cached
        field = writer.schema[fieldname]
    spelling = field.spelling_fieldname(fieldname) if field.separate_spelling() else None
    plan = (field, field.indexed, field.scorable, spelling, field.vector, field.stored)
    plan += (field.column_type,)
    if writer.schema._fields.get(fieldname) is field:
        plans[fieldname] = plan
    return plan


def add_document(self: Any, **fields: Any) -> None:
    """``SegmentWriter.add_document`` feeding a `CompactPostingPool` a field at a time.

    Same postings, lengths, stored fields and columns as Whoosh's own (spelling
    values aside, see `CompactPostingPool.add_spelling`), with each field's
    settings looked up once per writer and its column writer called directly.
    """
    pool = self.pool
    if type(pool) is not CompactPostingPool:
        whoosh_add_document(self, **fields)
        return
    self._check_state()
    perdocwriter = self.perdocwriter
    docnum = self.docnum
    fieldnames = sorted(name for name in fields if not name.startswith("_"))
    # Boosts and custom stored values come as "_..." keywords; usually there are none.
    special = len(fieldnames) != len(fields)
    docboost = self._doc_boost(fields) if special else 1.0
    self._check_fields(self.schema, fieldnames)
    perdocwriter.start_doc(docnum)
    direct = type(perdocwriter) is whoosh3.W3PerDocWriter
    columns = perdocwriter._colwriters if direct else {}
    vbytes = None  # Whoosh's spelling postings take the last posting value seen
    memo = self.__dict__.setdefault("_items_memo", {})
    try:
        for fieldname in fieldnames:
            value = fields[fieldname]
            if value is None:
                continue
            field, indexed, scorable, spelling, vector, stored, column = _field_plan(
                self, fieldname
            )
            length = 0
            if indexed:
                boost = self._field_boost(fields, fieldname, docboost) if special else docboost
                items = field_items(memo, fieldname, field, value)
                length, last = pool.add_terms(fieldname, docnum, items, boost, scorable)
                if last is not NO_ITEMS:
                    vbytes = last
            if spelling is not None:
                words = field.spelling_set(value) if type(field) is FastText else None
                if words is None:
                    words = field.spellable_words(value)
                pool.add_spelling(spelling, words, vbytes)
            if vector:
                vitems = vector.word_values(value, field.analyzer, mode="index")
                vitems = sorted((text, weight, vb) for text, _, weight, vb in vitems)
                perdocwriter.add_vector_items(fieldname, field, vitems)
            customval = fields.get(f"_stored_{fieldname}", value) if special else value
            if direct and not length:
                if stored and customval is not None:
                    perdocwriter._storedfields[fieldname] = customval
            else:
                perdocwriter.add_field(fieldname, field, customval if stored else None, length)
            if column and customval is not None:
                columnvalue = field.to_column_value(customval)
                writer = columns.get(fieldname)
                if writer is None:
                    perdocwriter.add_column_value(fieldname, column, columnvalue)
                else:
                    writer.add(docnum, columnvalue)
    except Exception:
        perdocwriter.cancel_doc()
        raise
    if direct and STORED_NAME not in columns:
        start_stored_column(perdocwriter)
    perdocwriter.finish_doc()
    self._added = True
    self.docnum += 1


__all__ = [
    "NO_ITEMS",
    "POSTING_BYTES",
    "TERM_BYTES",
    "CompactPostingPool",
    "add_document",
    "whoosh_add_document",
]
