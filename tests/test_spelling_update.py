"""An update adjusts its base's spelling model by the articles it changed (issue 19: an update of
1 % of a million articles spent 260 s of 297 s recounting every stored article)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from bench.synthetic import SyntheticCorpus
from corpus import ReadReport
from indexer import build_from_paths, current_generation, spelling_update, update_from_paths
from indexer.spelling_model import MODEL_NAME, WordCounter, model_arrays, read_model
from indexer.spelling_update import adjusted_model
from indexer.whoosh.transaction import stored_texts

TEXTS = [(a.title, a.body) for a in SyntheticCorpus().articles(1500)]


def counted(ids: list[int], **options: object) -> tuple[dict[str, np.ndarray], dict]:
    counter = WordCounter()
    for start in range(0, len(ids), 100):
        counter.add([text for i in ids[start : start + 100] for text in TEXTS[i]])
    return model_arrays(counter, **options)  # type: ignore[arg-type]


def strings(arrays: dict[str, np.ndarray], name: str, offsets: str) -> list[str]:
    blob = arrays[name].tobytes()
    bounds = arrays[offsets].tolist()
    return [blob[a:b].decode() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def test_an_adjusted_model_counts_what_a_recount_counts() -> None:
    rng = random.Random(5)
    base_ids = list(range(1000))
    removed = sorted(rng.sample(base_ids, 60))
    added = list(range(1000, 1100))
    final = [i for i in base_ids if i not in set(removed)] + added
    base, meta = counted(base_ids)
    delta = {"min_pair_count": 1, "with_deletes": False}
    adjusted, adjusted_meta = adjusted_model(
        base, meta, counted(added, **delta)[0], counted(removed, **delta)[0]
    )
    full, full_meta = counted(final)
    for name in ("words", "word_offsets", "counts", "delete_hashes", "delete_words"):
        assert np.array_equal(adjusted[name], full[name]), name  # exact
    assert adjusted_meta["tokens"] == full_meta["tokens"]
    assert adjusted_meta["adjusted_updates"] == 1
    pairs = dict(zip(full["pair_keys"].tolist(), full["pair_counts"].tolist(), strict=True))
    mine = dict(zip(adjusted["pair_keys"].tolist(), adjusted["pair_counts"].tolist(), strict=True))
    assert set(mine) <= set(pairs) and len(mine) > 0.9 * len(pairs)
    # A pair the base kept is counted exactly; one it dropped (seen once) may lack that one.
    assert all(pairs[key] - 1 <= count <= pairs[key] for key, count in mine.items())
    base_words = strings(base, "words", "word_offsets")
    base_pairs = {
        (base_words[key >> 32], base_words[key & 0xFFFFFFFF]) for key in base["pair_keys"].tolist()
    }
    words = strings(full, "words", "word_offsets")
    for key, count in mine.items():
        if (words[key >> 32], words[key & 0xFFFFFFFF]) in base_pairs:
            assert count == pairs[key]
    # A word keeps its base's written form; the rest are the recount's.
    same = sum(
        a == b
        for a, b in zip(
            strings(adjusted, "display", "display_offsets"),
            strings(full, "display", "display_offsets"),
            strict=True,
        )
    )
    assert same > 0.99 * len(words)


def write_files(folder: Path, ids: range, texts_from: int = 0) -> None:
    for n in ids:
        title, body = TEXTS[texts_from + n]
        record = {"id": f"a{n}", "title": title, "body": body}
        (folder / f"a{n}.json").write_text(json.dumps(record), "utf-8")


def model_of(index_dir: Path) -> tuple[dict[str, np.ndarray], dict]:
    generation = current_generation(index_dir)
    assert generation is not None
    return read_model(generation / MODEL_NAME)


def test_small_updates_adjust_the_model_and_large_or_many_recount(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    write_files(folder, range(200))
    index_dir = tmp_path / "ix"
    build_from_paths([str(folder)], index_dir, ReadReport())
    assert "adjusted_updates" not in model_of(index_dir)[1]
    monkeypatch.setattr(spelling_update, "INCREMENTAL_UPDATES", 2)
    for round_ in range(3):  # one file changed, one added, each time
        write_files(folder, range(round_, round_ + 1), texts_from=1200 + round_)
        write_files(folder, range(300 + round_, 301 + round_))
        update_from_paths([str(folder)], index_dir, ReadReport())
        arrays, meta = model_of(index_dir)
        assert meta.get("adjusted_updates", 0) == (round_ + 1) % 3  # 1, 2, then recounted
        recount = WordCounter()
        for batch in stored_texts(current_generation(index_dir)):  # type: ignore[arg-type]
            recount.add(batch)
        full, _ = model_arrays(recount)
        for name in ("words", "word_offsets", "counts", "delete_hashes", "delete_words"):
            assert np.array_equal(arrays[name], full[name]), (round_, name)
    write_files(folder, range(100), texts_from=1300)  # half the archive changes
    update_from_paths([str(folder)], index_dir, ReadReport())
    assert model_of(index_dir)[1].get("adjusted_updates", 0) == 0  # recounted
