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

import struct
from collections import defaultdict
from dataclasses import dataclass

from whoosh.reading import IndexReader

from indexer.schema import EMPTY_BIN, SKETCH_BINS

#: Estimated shingle Jaccard similarity from which two articles are one story.
SIMILARITY = 0.6
#: Bins per LSH band: two articles become candidates when a whole band agrees.
BAND_ROWS = 2
#: Largest bucket compared pairwise (a bigger one is compared against its first member only).
MAX_BUCKET = 50
_UNPACK = struct.Struct(f"<{SKETCH_BINS}I").unpack


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

    group: tuple[int, ...]
    members: dict[int, tuple[int, ...]]

    def key(self, docnum: int) -> int:
        """Collapse key: 0 for no group (never collapsed), else group id + 1."""
        return self.group[docnum] + 1

    @classmethod
    def empty(cls, size: int) -> DuplicateGroups:
        """No groups at all (an index without sketches)."""
        return cls((-1,) * size, {})

    @classmethod
    def load(cls, reader: IndexReader) -> DuplicateGroups:
        """Group the documents of ``reader`` by their ``minhash`` column."""
        size = reader.doc_count_all()
        if not reader.has_column("minhash"):
            return cls.empty(size)
        column = reader.column_reader("minhash")
        sketches: dict[int, tuple[int, ...]] = {}
        exact: dict[bytes, int] = {}
        parent = list(range(size))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(x: int, y: int) -> None:
            rx, ry = find(x), find(y)
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)

        live = reader.all_doc_ids()
        for docnum in live:
            raw = column[docnum]
            if not raw:
                continue
            first = exact.setdefault(raw, docnum)
            if first != docnum:
                union(first, docnum)
                continue
            sketches[docnum] = _UNPACK(raw)
        buckets: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for docnum, sketch in sketches.items():
            for band in range(0, SKETCH_BINS, BAND_ROWS):
                rows = sketch[band : band + BAND_ROWS]
                if EMPTY_BIN not in rows:
                    buckets[(band, *rows)].append(docnum)
        for bucket in buckets.values():
            if len(bucket) < 2:
                continue
            anchors = bucket if len(bucket) <= MAX_BUCKET else bucket[:1]
            for i, a in enumerate(anchors):
                for b in bucket[i + 1 :]:
                    if find(a) != find(b) and similarity(sketches[a], sketches[b]) >= SIMILARITY:
                        union(a, b)
        roots = [find(docnum) for docnum in range(size)]
        grouped: dict[int, list[int]] = defaultdict(list)
        for docnum, root in enumerate(roots):
            grouped[root].append(docnum)
        members = {root: tuple(docs) for root, docs in grouped.items() if len(docs) > 1}
        group = tuple(root if root in members else -1 for root in roots)
        return cls(group, members)
