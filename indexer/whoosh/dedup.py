"""Near-duplicate stories: group documents whose MinHash sketches agree.

The indexer stores a one-permutation MinHash sketch per article
(`indexer.whoosh.schema.minhash_sketch`). Once per index reader, sketches are bucketed
by pairs of bins (locality-sensitive hashing), candidate pairs in a bucket are
checked, and pairs whose estimated Jaccard similarity of word 3-shingles is at
least `SIMILARITY` are joined (union-find). A search then collapses each group
to its best-ranked member. The same wire story in several sources, or a repost
with a few words edited, lands in one group; a follow-up story does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh.reading import IndexReader

from indexer.whoosh.postings import live_documents
from indexer.whoosh.schema import EMPTY_BIN, SKETCH_BINS

#: Estimated shingle Jaccard similarity from which two articles are one story.
SIMILARITY = 0.6
#: Bins per LSH band: two articles become candidates when a whole band agrees.
BAND_ROWS = 2
#: Largest bucket compared pairwise (a bigger one is compared against its first member only).
MAX_BUCKET = 50


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
        pairs.extend(_similar_pairs(sketches, owners, band))
    return _join(size, pairs)


def _join(size: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Union-find over ``pairs``: each document's group (its smallest member), -1 alone."""
    parent = list(range(size))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in pairs:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    group = np.full(size, -1, dtype=np.int32)
    touched = sorted({d for pair in pairs for d in pair})
    roots = [find(docnum) for docnum in touched]
    for docnum, root in zip(touched, roots, strict=True):
        if root != docnum:
            group[docnum] = root
            group[root] = root
    return group


def _similar_pairs(sketches: np.ndarray, owners: np.ndarray, band: int) -> list[tuple[int, int]]:
    """Pairs of documents agreeing on the band's bins (no empty bin among them) whose
    sketches are at least `SIMILARITY` alike. A bucket of up to `MAX_BUCKET` is
    compared pairwise, a bigger one against its first member only."""
    rows = sketches[:, band : band + BAND_ROWS]
    usable = np.flatnonzero((rows != EMPTY_BIN).all(axis=1))
    if len(usable) < 2:
        return []
    keys = np.zeros(len(usable), dtype=np.uint64)
    for column in range(BAND_ROWS):  # the band's bins packed into one key (2 x 32 bits)
        keys = (keys << np.uint64(32)) | rows[usable, column].astype(np.uint64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(ordered)]
    left: list[int] = []
    right: list[int] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if end - start < 2:
            continue
        bucket = usable[order[start:end]].tolist()  # sketch rows, in document order
        anchors = bucket if len(bucket) <= MAX_BUCKET else bucket[:1]
        for i, a in enumerate(anchors):
            left.extend([a] * (len(bucket) - i - 1))
            right.extend(bucket[i + 1 :])
    if not left:
        return []
    a, b = sketches[left], sketches[right]
    counted = ~((a == EMPTY_BIN) & (b == EMPTY_BIN))
    used = counted.sum(axis=1)
    same = ((a == b) & counted).sum(axis=1)
    alike = (same / np.maximum(used, 1) >= SIMILARITY) & (used > 0)
    return list(zip(owners[left][alike].tolist(), owners[right][alike].tolist(), strict=True))
