"""Near-duplicate stories: group documents whose MinHash sketches agree.

The indexer stores a one-permutation MinHash sketch per article
(`indexer.near_duplicates.minhash_sketch`). Once per index reader, sketches are bucketed
by pairs of bins (locality-sensitive hashing), candidate pairs in a bucket are
checked, and pairs whose estimated Jaccard similarity of word 3-shingles is at
least ``SIMILARITY`` are joined (union-find: the backend-neutral core in
`indexer.near_duplicates`). A search then collapses each group to its best-ranked
member. The same wire story in several sources, or a repost
with a few words edited, lands in one group; a follow-up story does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh.reading import IndexReader

from indexer.near_duplicates import BAND_ROWS, SKETCH_BINS, join_groups, similar_pairs
from indexer.whoosh.postings import live_documents


@dataclass(frozen=True, slots=True)
class DuplicateGroups:
    """``group[docnum]`` is -1 for an article with no near-duplicate, else its group id
    (the group's smallest document number)."""

    group: np.ndarray
    #: Whether any article has a near-duplicate (else nothing ever collapses).
    any_groups: bool

    def key(self, docnum: int) -> int:
        """Collapse key: 0 for no group (never collapsed), else group id + 1."""
        return int(self.group[docnum]) + 1

    def story(self, docs: np.ndarray) -> np.ndarray:
        """The group of each of ``docs`` (-1: no near-duplicate)."""
        return self.group[docs]

    @classmethod
    def from_groups(cls, group: np.ndarray) -> DuplicateGroups:
        """The groups of a ``group`` vector (as `duplicate_groups` gives)."""
        return cls(group, bool(len(group)) and int(group.max()) >= 0)


def duplicate_groups(reader: IndexReader) -> np.ndarray:
    """The near-duplicate group of every document of ``reader`` (-1: none), from its
    ``minhash`` column.

    The sketches sit in one ``(documents, SKETCH_BINS)`` array of 32-bit bins;
    each band's bucketing is a sort, each candidate pair's similarity a vector
    comparison.
    """
    size = reader.doc_count_all()
    if not reader.has_column("minhash"):
        return np.full(size, -1, dtype=np.int32)
    exact: dict[bytes, int] = {}
    pairs: list[tuple[int, int]] = []
    signed: list[int] = []
    raws: list[bytes] = []
    live = set(live_documents(reader).tolist())
    for leaf, offset in reader.leaf_readers():  # segment by segment: no lookups per document
        if not leaf.has_column("minhash"):
            continue
        for docnum, raw in enumerate(leaf.column_reader("minhash"), offset):
            if not raw or docnum not in live:
                continue
            first = exact.setdefault(raw, docnum)
            if first != docnum:
                pairs.append((first, docnum))  # the very same sketch
                continue
            signed.append(docnum)
            raws.append(raw)
    del exact, live
    sketches = np.frombuffer(b"".join(raws), dtype="<u4").reshape(-1, SKETCH_BINS)
    del raws
    owners = np.array(signed, dtype=np.int64)
    for band in range(0, SKETCH_BINS, BAND_ROWS):
        pairs.extend(similar_pairs(sketches, owners, band))
    return join_groups(size, pairs)
