"""Query assistance for one search: spelling corrections and the words relaxed hits lack.

`SpellingModels` loads each generation's spelling model once, on first use, and keeps
only the newest. `corrected_text` turns a parsed query into its corrected text
(`search.correction`), with the query's date expressions put back as typed.
`missing_words` tells, for the hits of a relaxed search (any word instead of all),
which of the query's words or phrases each hit lacks, and the ones any hit lacks.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import datetime
from pathlib import Path

import numpy as np
from whoosh import query as wq

from search.correction import Correction, correct_query
from search.deadline import Deadline
from search.errors import SearchTimedOut
from search.models import Hit
from search.spelling import SpellingModel
from search.whoosh.execution import Snapshot
from search.whoosh.query import ParsedQuery, parse_query
from search.whoosh.scorer import Unsupported

__all__ = ["SpellingModels", "corrected_text", "missing_words", "query_clauses"]

_CLAUSE = re.compile(r'-?"[^"]*"(?:~\d+)?|[^\s"]+')
_OPERATORS = frozenset(("AND", "OR", "NOT"))


class SpellingModels:
    """The spelling model of the generation being served, opened lazily (None when the
    generation has none)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._model: SpellingModel | None = None

    def get(self, generation: Path) -> SpellingModel | None:
        """The model of ``generation`` (opened on the first call for it)."""
        with self._lock:
            if generation != self._generation:
                self._model = SpellingModel.open(generation)
                self._generation = generation
            return self._model


def corrected_text(model: SpellingModel | None, parsed: ParsedQuery) -> Correction | None:
    """The correction of ``parsed``'s text, its date expressions appended as typed."""
    if model is None or parsed.is_empty or not parsed.text.strip():
        return None
    correction = correct_query(model, parsed.text)
    if correction is None:
        return None
    text = " ".join(" ".join([correction.text, *parsed.date_texts]).split())
    return dataclasses.replace(correction, text=text)


def query_clauses(text: str) -> list[str]:
    """The words and phrases of a query a hit can lack, as typed: not operators, not
    excluded words (``-word``, ``NOT word``), brackets stripped."""
    clauses: list[str] = []
    negated = False
    for match in _CLAUSE.finditer(text):
        piece = match[0]
        if piece in _OPERATORS:
            negated = piece == "NOT"
            continue
        if negated or piece.startswith("-"):
            negated = False
            continue
        piece = piece if piece.startswith('"') else piece.strip("()")
        if piece and piece not in clauses:
            clauses.append(piece)
    return clauses


def missing_words(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    hits: tuple[Hit, ...],
    now: datetime,
    deadline: Deadline | None = None,
) -> tuple[tuple[Hit, ...], tuple[str, ...]]:
    """``hits`` with `Hit.missing` set (the query's clauses each one lacks) and the
    clauses any of them lacks, in query order; clauses not checked by ``deadline``
    count as present."""
    searcher = snapshot.searcher
    reader = searcher.reader()
    docnums = [searcher.document_number(id=hit.id) for hit in hits]
    known = [position for position, docnum in enumerate(docnums) if docnum is not None]
    numbers = np.asarray([docnums[position] for position in known], dtype=np.int64)
    lacking: list[list[str]] = [[] for _ in hits]
    dropped: list[str] = []
    for clause in query_clauses(parsed.text):
        if deadline is not None and deadline.stop_here("missing words"):
            break
        alone = parse_query(clause, searcher.schema, "and", now, reader, deadline)
        if alone.is_empty or alone.query is wq.NullQuery:
            continue  # stop words only: no hit can have or lack it
        has = np.zeros(len(hits), dtype=bool)  # a hit no longer in the index lacks it
        try:
            has[known] = snapshot.scorer.matching(alone.query, numbers, deadline)
        except (Unsupported, SearchTimedOut):
            continue
        for position, present in enumerate(has.tolist()):
            if not present:
                lacking[position].append(clause)
        if not has.all():
            dropped.append(clause)
    hits = tuple(
        dataclasses.replace(hit, missing=tuple(words))
        for hit, words in zip(hits, lacking, strict=True)
    )
    return hits, tuple(dropped)
