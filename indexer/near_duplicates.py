"""Near-duplicate stories, for every backend: MinHash sketches, LSH band keys, grouping.

Each article gets a one-permutation MinHash sketch of its title and body word
3-shingles (`minhash_sketch`, `article_sketch`): `SKETCH_BINS` 32-bit bins. Two texts
agree in about the same share of bins as the share of shingles they have in common
(their Jaccard similarity). Sketches are bucketed by bands of `BAND_ROWS` bins
(locality-sensitive hashing): two articles become candidates when a whole band
agrees, and candidates whose sketches are at least `SIMILARITY` alike are joined
(union-find, `group_sketches`). The same wire story in several sources, or a repost
with a few words edited, lands in one group; a follow-up story does not.

Whoosh groups the sketches of each index reader (`indexer.whoosh.dedup`); OpenSearch
groups them at a rebuild and stores each article's band keys (`band_keys`,
`sketch_keys`), so that an update finds an article's candidates with one terms query.
"""

from __future__ import annotations

import hashlib
import re
import struct
import sys
from array import array
from collections.abc import Sequence
from operator import methodcaller

import numpy as np

#: Words per shingle, fewest shingles to sign a text, most words read (bounds the work).
SHINGLE_WORDS = 3
MIN_SHINGLES = 8
MAX_SIGNED_WORDS = 5000
#: Bins of the one-permutation MinHash sketch; each holds a 32-bit minimum.
SKETCH_BINS = 32
EMPTY_BIN = 0xFFFFFFFF
#: Bytes of one sketch (``b""`` stands for a text with no words).
SKETCH_BYTES = 4 * SKETCH_BINS
#: Estimated shingle Jaccard similarity from which two articles are one story.
SIMILARITY = 0.6
#: Bins per LSH band: two articles become candidates when a whole band agrees.
BAND_ROWS = 2
#: Largest bucket compared pairwise (a bigger one is compared against its first member only).
MAX_BUCKET = 50

_WORD = re.compile(r"\w{2,}", re.UNICODE)
_SKETCH = struct.Struct(f"<{SKETCH_BINS}I")
#: Byte -> its bin (``byte % SKETCH_BINS``), for ``bytes.translate``.
_LOW_BITS = bytes(b % SKETCH_BINS for b in range(256))
_DIGEST = methodcaller("digest")
_EMPTY_BIN_BYTES = b"\xff\xff\xff\xff"
_EMPTY_SKETCH = _EMPTY_BIN_BYTES * SKETCH_BINS
try:  # CPython's own MD5: the same digests as OpenSSL's, cheaper to set up per call
    from _md5 import md5 as _md5
except ImportError:  # pragma: no cover - a Python built without it
    _md5 = hashlib.md5


def minhash_sketch(text: str) -> bytes:
    """One-permutation MinHash of the distinct word 3-shingles of ``text``.

    Each shingle is hashed once (MD5, so the sketch is the same in every process);
    the hash picks one of `SKETCH_BINS` bins and the bin keeps its smallest value.
    Two texts agree in about the same share of bins as the share of shingles
    they have in common (their Jaccard similarity), which is how the search layer
    finds near-duplicate stories. Empty bins hold `EMPTY_BIN`; a text with fewer
    than `MIN_SHINGLES` shingles gets `exact_sketch` instead.

    Of a shingle's digest, the first 8 bytes read little-endian are ``h``: the bin
    is ``h % 32`` (the low 5 bits of byte 0) and the value ``h >> 32`` (bytes 4-7).
    The digests are computed by C-level ``map`` chains and read back as one array.
    """
    words = _WORD.findall(text[: MAX_SIGNED_WORDS * 15].lower())[:MAX_SIGNED_WORDS]
    shingles = set(map(" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)))
    if len(shingles) < MIN_SHINGLES:
        return exact_sketch(text)
    digests = b"".join(map(_DIGEST, map(_md5, map(str.encode, shingles))))
    values = array("I", digests)[1::4]
    if sys.byteorder != "little":
        values.byteswap()
    bins = [EMPTY_BIN] * SKETCH_BINS
    for slot, value in zip(digests[0::16].translate(_LOW_BITS), values, strict=True):
        if value < bins[slot]:
            bins[slot] = value
    return _SKETCH.pack(*bins)


def exact_sketch(text: str) -> bytes:
    """The sketch of a text too short for shingles (a headline-only flash): its
    case-folded, whitespace-normalised text hashed (SHA-256, eight 32-bit values,
    repeated over the bins). Equal texts get equal sketches, so they group as
    duplicates; different texts share no bin but by chance. ``b""`` for no text."""
    exact = " ".join(text.casefold().split())
    if not exact:
        return b""
    values = array("I", hashlib.sha256(exact.encode("utf-8")).digest())
    if sys.byteorder != "little":
        values.byteswap()
    bins = [EMPTY_BIN - 1 if value == EMPTY_BIN else value for value in values]
    return _SKETCH.pack(*(bins * (SKETCH_BINS // len(bins))))


def article_sketch(title: str, body: str) -> bytes:
    """The sketch of an article: of its title and body, as every backend signs it."""
    return minhash_sketch(f"{title}\n{body}")


def band_keys(sketch: bytes) -> list[str]:
    """One key per LSH band of ``sketch`` that has no empty bin: ``"<band>:<hex>"``
    (the band's number, then its bins' bytes). Two sketches are grouping candidates
    exactly when they share a band key (or are equal, see `sketch_keys`)."""
    if len(sketch) != SKETCH_BYTES:
        return []
    keys = []
    band_bytes = 4 * BAND_ROWS
    for band in range(SKETCH_BINS // BAND_ROWS):
        chunk = sketch[band * band_bytes : (band + 1) * band_bytes]
        if all(chunk[i : i + 4] != _EMPTY_BIN_BYTES for i in range(0, band_bytes, 4)):
            keys.append(f"{band}:{chunk.hex()}")
    return keys


def exact_key(sketch: bytes) -> str | None:
    """A key shared exactly by equal sketches (``"=:<hash>"``), None for no sketch:
    `group_sketches` joins equal sketches even when every band has an empty bin."""
    if len(sketch) != SKETCH_BYTES or sketch == _EMPTY_SKETCH:
        return None
    return "=:" + hashlib.blake2b(sketch, digest_size=16).hexdigest()


def sketch_keys(sketch: bytes) -> list[str]:
    """Every candidate key of ``sketch``: its `band_keys` and its `exact_key`."""
    exact = exact_key(sketch)
    return band_keys(sketch) + ([exact] if exact else [])


def sketch_rows(sketches: list[bytes] | bytes | bytearray) -> np.ndarray:
    """Sketches as one ``(n, SKETCH_BINS)`` uint32 array: from a list of sketches
    (``b""`` becomes a row of empty bins) or from their bytes joined."""
    if isinstance(sketches, list):
        sketches = b"".join(raw if raw else _EMPTY_SKETCH for raw in sketches)
    return np.frombuffer(bytes(sketches), dtype="<u4").reshape(-1, SKETCH_BINS)


def group_sketches(sketches: np.ndarray) -> np.ndarray:
    """The near-duplicate group of every row of ``sketches`` (``(n, SKETCH_BINS)``
    uint32): -1 for a row with no near-duplicate, else the group's smallest row.

    Equal sketches are joined directly; the others by `similar_pairs` over every band.
    A row of empty bins (no text) joins nothing.
    """
    size = len(sketches)
    exact: dict[bytes, int] = {}
    pairs: list[tuple[int, int]] = []
    signed: list[int] = []
    for row in range(size):
        raw = sketches[row].tobytes()
        if raw == _EMPTY_SKETCH:
            continue
        first = exact.setdefault(raw, row)
        if first != row:
            pairs.append((first, row))  # the very same sketch
            continue
        signed.append(row)
    del exact
    owners = np.array(signed, dtype=np.int64)
    distinct = sketches[owners] if len(owners) else sketches[:0]
    for band in range(0, SKETCH_BINS, BAND_ROWS):
        pairs.extend(similar_pairs(distinct, owners, band))
    return join_groups(size, pairs)


def group_stories(ids: Sequence[str], groups: np.ndarray) -> list[str]:
    """The story of each row of ``groups`` (as `group_sketches` gives them for rows
    with these ``ids``): the smallest id of its group, or its own id when alone."""
    smallest: dict[int, str] = {}
    rows = groups.tolist()
    for row, group in enumerate(rows):
        if group >= 0 and (group not in smallest or ids[row] < smallest[group]):
            smallest[group] = ids[row]
    return [ids[row] if group < 0 else smallest[group] for row, group in enumerate(rows)]


def stories_among(
    stored: Sequence[tuple[str, bytes]], new: Sequence[tuple[str, bytes]]
) -> list[str]:
    """The story of each ``(id, sketch)`` of ``new`` among the ``(story, sketch)`` of
    articles already stored: the smallest story of the stored articles in its group,
    else the smallest new id in its group, else its own id."""
    groups = group_sketches(sketch_rows([sketch for _, sketch in [*stored, *new]]))
    old_story: dict[int, str] = {}
    for row, group in enumerate(groups[: len(stored)].tolist()):
        if group >= 0 and (group not in old_story or stored[row][0] < old_story[group]):
            old_story[group] = stored[row][0]
    new_story = group_stories([key for key, _ in new], _renumbered(groups[len(stored) :]))
    return [
        old_story.get(int(group), story)
        for group, story in zip(groups[len(stored) :].tolist(), new_story, strict=True)
    ]


def _renumbered(groups: np.ndarray) -> np.ndarray:
    """``groups`` with each group id replaced by its first row in ``groups`` (so a group
    whose smallest row was cut off still holds together)."""
    first: dict[int, int] = {}
    return np.array(
        [-1 if g < 0 else first.setdefault(g, row) for row, g in enumerate(groups.tolist())],
        dtype=np.int64,
    )


def join_groups(size: int, pairs: list[tuple[int, int]]) -> np.ndarray:
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


def similar_pairs(sketches: np.ndarray, owners: np.ndarray, band: int) -> list[tuple[int, int]]:
    """Pairs of ``owners`` (one per row of ``sketches``) agreeing on the bins of the
    band starting at bin ``band`` (no empty bin among them) whose sketches are at least
    `SIMILARITY` alike. A bucket of up to `MAX_BUCKET` is compared pairwise, a bigger
    one against its first member only."""
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


__all__ = [
    "BAND_ROWS",
    "EMPTY_BIN",
    "MAX_BUCKET",
    "MAX_SIGNED_WORDS",
    "MIN_SHINGLES",
    "SHINGLE_WORDS",
    "SIMILARITY",
    "SKETCH_BINS",
    "SKETCH_BYTES",
    "article_sketch",
    "band_keys",
    "exact_key",
    "exact_sketch",
    "group_sketches",
    "group_stories",
    "join_groups",
    "minhash_sketch",
    "similar_pairs",
    "sketch_keys",
    "sketch_rows",
    "stories_among",
]
