"""Near-duplicate stories: group documents whose MinHash sketches agree.

The indexer stores a one-permutation MinHash sketch per article
(`indexer.schema.minhash_sketch`). Once per index reader, sketches are bucketed
by pairs of bins (locality-sensitive hashing), candidate pairs in a bucket are
checked, and pairs whose estimated Jaccard similarity of word 3-shingles is at
least `SIMILARITY` are joined (union-find). A search then collapses each group
to its best-ranked member. The same wire story in several sources, or a repost
with a few words edited, lands in one group; a follow-up story does not.
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from whoosh.reading import IndexReader

from indexer.schema import EMPTY_BIN, SKETCH_BINS

#: Estimated shingle Jaccard similarity from which two articles are one story.
SIMILARITY = 0.6
#: Bins per LSH band: two articles become candidates when a whole band agrees.
BAND_ROWS = 2
#: Largest bucket compared pairwise (a bigger one is compared against its first member only).
MAX_BUCKET = 50


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two sketches (bins empty in both are skipped)."""
    same = used = 0
    for x, y in zip(a, b, strict=True):
        if x == EMPTY_BIN and y == EMPTY_BIN:
            continue
        used += 1
        same += x == y
    return same / used if used else 0.0


@dataclass(frozen=True, slots=True)
class DuplicateGroups:
    """``group[docnum]`` is -1 for an article with no near-duplicate, else its group id."""

    group: np.ndarray
    members: dict[int, tuple[int, ...]]

    def key(self, docnum: int) -> int:
        """Collapse key: 0 for no group (never collapsed), else group id + 1."""
        return int(self.group[docnum]) + 1

    def story(self, docs: np.ndarray) -> np.ndarray:
        """The group of each of ``docs`` (-1: no near-duplicate)."""
        return self.group[docs]

    @classmethod
    def empty(cls, size: int) -> DuplicateGroups:
        """No groups at all (an index without sketches)."""
        return cls(np.full(size, -1, dtype=np.int32), {})

    @classmethod
    def load(cls, reader: IndexReader) -> DuplicateGroups:
        """Group the documents of ``reader`` by their ``minhash`` column.

        Memory stays small at 200k documents: the sketches sit in one flat array
        (128 bytes a document) and the LSH buckets are built one band at a time.
        """
        size = reader.doc_count_all()
        if not reader.has_column("minhash"):
            return cls.empty(size)
        column = reader.column_reader("minhash")
        exact: dict[bytes, int] = {}
        parent = array("i", range(size))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(x: int, y: int) -> None:
            rx, ry = find(x), find(y)
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)

        signed = array("i")
        flat = array("I")
        for docnum in reader.all_doc_ids():
            raw = column[docnum]
            if not raw:
                continue
            first = exact.setdefault(raw, docnum)
            if first != docnum:
                union(first, docnum)
                continue
            signed.append(docnum)
            flat.frombytes(raw)
        del exact
        if sys.byteorder != "little":  # pragma: no cover - sketches are little-endian
            flat.byteswap()

        def sketch(slot: int) -> tuple[int, ...]:
            return tuple(flat[slot * SKETCH_BINS : (slot + 1) * SKETCH_BINS])

        for band in range(0, SKETCH_BINS, BAND_ROWS):
            # Row r of every sketch is the strided slice flat[band + r :: SKETCH_BINS]; only
            # the band values shared by two or more sketches form buckets (C-speed passes).
            rows = [flat[band + row :: SKETCH_BINS] for row in range(BAND_ROWS)]
            keys = list(zip(*rows, strict=True))
            shared = {k for k, n in Counter(keys).items() if n > 1 and EMPTY_BIN not in k}
            buckets: dict[tuple[int, ...], list[int]] = defaultdict(list)
            for slot, key in [(slot, key) for slot, key in enumerate(keys) if key in shared]:
                buckets[key].append(slot)
            del keys, shared
            for bucket in buckets.values():
                if len(bucket) < 2:
                    continue
                anchors = bucket if len(bucket) <= MAX_BUCKET else bucket[:1]
                for i, a in enumerate(anchors):
                    sketch_a = sketch(a)
                    for b in bucket[i + 1 :]:
                        x, y = signed[a], signed[b]
                        if find(x) != find(y) and similarity(sketch_a, sketch(b)) >= SIMILARITY:
                            union(x, y)
            del buckets
        roots = array("i", (find(docnum) for docnum in range(size)))
        grouped: dict[int, list[int]] = defaultdict(list)
        for docnum, root in enumerate(roots):
            if root != docnum:
                grouped[root].append(docnum)
        # A root is its group's smallest document (`union` keeps the smaller one).
        members = {root: (root, *docs) for root, docs in sorted(grouped.items())}
        group = np.full(size, -1, dtype=np.int32)
        for root, docs in members.items():
            group[list(docs)] = root
        return cls(group, members)
