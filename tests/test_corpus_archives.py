"""``.gz`` and ``.zip`` inputs (issue 21): corrupt data and bombs are named, the rest read."""

from __future__ import annotations

import gzip
import random
import zipfile
from pathlib import Path

import pytest
from indexer_helpers import article_line

from corpus import ReadReport, read_paths

LINE = b"The council met again today and talked about the budget, roads and parks.\n"


def read(folder: Path) -> tuple[set[str], dict[str, list[str]]]:
    """Article ids, and problems as ``{origin relative to folder: [reasons]}``."""
    report = ReadReport()
    ids = {article.id for article in read_paths([folder], report)}
    problems: dict[str, list[str]] = {}
    for problem in report.problems:
        problems.setdefault(problem.origin.removeprefix(f"{folder}/"), []).append(problem.reason)
    return ids, problems


def corrupt_deflate(packed: bytes, start: int, length: int = 24) -> bytes:
    """``packed`` with ``length`` bytes from ``start`` flipped (inside the deflate data)."""
    data = bytearray(packed)
    for offset in range(start, start + length):
        data[offset] ^= 0x55
    return bytes(data)


def many_lines(prefix: str, count: int = 200) -> bytes:
    return "".join(
        article_line(f"{prefix}{n}", f"Story {n}", f"Body {n} of {prefix}.") for n in range(count)
    ).encode()


def test_corrupt_deflate_data_is_named_and_the_rest_read(tmp_path: Path) -> None:
    (tmp_path / "ok.jsonl").write_bytes(many_lines("ok", 1))
    (tmp_path / "bad.jsonl.gz").write_bytes(corrupt_deflate(gzip.compress(many_lines("gz")), 30))
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a-bad.jsonl", many_lines("zipa"))
        archive.writestr("b-good.jsonl", many_lines("zipb", 2))
    header = 30 + len("a-bad.jsonl")  # local file header of the first member
    packed = (tmp_path / "bundle.zip").read_bytes()
    (tmp_path / "bundle.zip").write_bytes(corrupt_deflate(packed, header + 10))
    ids, problems = read(tmp_path)
    assert ids == {"ok0", "zipb0", "zipb1"}
    assert problems["bad.jsonl.gz"][0].startswith("bad gzip: Error -3 while decompressing")
    assert problems["bundle.zip!a-bad.jsonl"][0].startswith("bad zip member: Error -3")
    assert len(problems) == 2


def test_truncated_and_multi_member_gzip(tmp_path: Path) -> None:
    packed = gzip.compress(many_lines("cut"))
    (tmp_path / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    (tmp_path / "two.jsonl.gz").write_bytes(
        gzip.compress(many_lines("one", 1)) + gzip.compress(many_lines("two", 1))
    )
    ids, problems = read(tmp_path)
    assert ids == {"one0", "two0"}
    assert problems == {
        "cut.jsonl.gz": [
            "bad gzip: Compressed file ended before the end-of-stream marker was reached"
        ]
    }


def test_zip_bomb_members_are_refused_by_their_compression_ratio(tmp_path: Path) -> None:
    """40 members of 2 MB of one repeated line (each packs about 500 times): none is
    unpacked; a normal member beside them is read."""
    member = b"Bomb title\n" + LINE * (2 * 1024 * 1024 // len(LINE))
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(40):
            archive.writestr(f"member-{number:02d}.txt", member)
        archive.writestr("story.jsonl", many_lines("fine", 1))
    with gzip.open(tmp_path / "bomb.txt.gz", "wb") as stream:
        stream.write(member * 3)
    ids, problems = read(tmp_path)
    assert ids == {"fine0"}
    assert len(problems) == 41
    for number in range(40):
        [reason] = problems[f"bomb.zip!member-{number:02d}.txt"]
        assert reason.startswith("compression ratio cap: unpacks to over 100 times its packed size")
    [reason] = problems["bomb.txt.gz"]
    assert reason.startswith("compression ratio cap: unpacks to over 100 times its packed size")


def test_zip_members_past_the_archive_total_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The total cap, made small (2 MB) so the test stays fast: members of 0.9 MB of
    varied text (packing about 3 times) are read until the next would pass the total."""
    import corpus.archives

    monkeypatch.setattr(corpus.archives, "MAX_ARCHIVE_BYTES", 2 * 1024 * 1024)
    rng = random.Random(21)
    words = LINE.decode().split()
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(4):
            body = " ".join(rng.choice(words) + str(rng.randint(0, 999)) for _ in range(90_000))
            archive.writestr(f"part-{number}.jsonl", article_line(f"part{number}", "Part", body))
        archive.writestr("small.jsonl", article_line("small", "Small", "Still within the total."))
    ids, problems = read(tmp_path)
    assert ids == {"part0", "part1", "small"}
    cap = "archive size cap: the members unpack to over 2097152 bytes in total, skipped"
    assert problems == {"big.zip!part-2.jsonl": [cap], "big.zip!part-3.jsonl": [cap]}
