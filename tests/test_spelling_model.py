"""The spelling model: built with every generation, read in place, corrections in context."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from spelling_corpus import spelling_articles

from corpus.article import Article
from indexer import build_index, optimize_index
from indexer.generations import current_generation
from indexer.spelling_model import (
    MODEL_NAME,
    WordCounter,
    deletes,
    model_arrays,
    read_model,
    write_spelling_model,
)
from search.correction import correct_query
from search.spelling import SpellingModel


@pytest.fixture(scope="module")
def spelling_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("spelling") / "ix"
    build_index(spelling_articles(), index_dir)
    return index_dir


@pytest.fixture(scope="module")
def model(spelling_index: Path) -> SpellingModel:
    found = SpellingModel.open(current_generation(spelling_index))
    assert found is not None
    return found


def test_every_build_writes_a_model_into_the_generation(spelling_index: Path) -> None:
    generation = current_generation(spelling_index)
    assert (generation / MODEL_NAME).stat().st_size > 0


def test_words_are_surface_words_with_their_counts_not_stems(model: SpellingModel) -> None:
    assert model.count("hurricane") == 28 and model.count("election") == 20
    assert model.find("hurrican") is None  # the stem is no word of the archive
    assert model.count("minster") == 6 and model.count("minister") == 36
    assert model.count("kerry") == 8 and model.count("nowhere") == 0


def test_written_forms_keep_names_as_written(model: SpellingModel) -> None:
    assert model.display(model.find("york")) == "York"
    assert model.display(model.find("china")) == "China"
    assert model.display(model.find("new")) == "new"  # mostly lower case alone ...
    count, flags = model.pair(model.find("new"), model.find("york"))
    assert count == 24 and flags == 3  # ... but "New York" as a pair


def test_pairs_do_not_cross_punctuation() -> None:
    counter = WordCounter()
    counter.add(["Bush's administration said, however, that (the) plan works."])
    arrays, _ = model_arrays(counter)
    assert len(arrays["pair_keys"]) == 0  # every pair was seen once: below the kept minimum
    counter.add(["Bush's administration said, however, that (the) plan works."])
    arrays, _ = model_arrays(counter)
    blob, offsets = bytes(arrays["words"]), arrays["word_offsets"].tolist()
    vocabulary = [blob[a:b].decode() for a, b in zip(offsets, offsets[1:], strict=False)]
    pairs = {
        (vocabulary[int(key) >> 32], vocabulary[int(key) & 0xFFFFFFFF])
        for key in arrays["pair_keys"]
    }
    assert ("bush", "administration") in pairs and ("administration", "said") in pairs
    assert ("said", "however") not in pairs and ("that", "the") not in pairs
    assert ("plan", "works") in pairs and "s" not in vocabulary


def test_pairs_held_while_counting_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("indexer.word_counts.PENDING_PAIRS", 50)
    monkeypatch.setattr("indexer.word_counts.MAX_HELD_PAIRS", 200)
    counter = WordCounter()
    letters = "abcdefghijklmnopqrstuvwxyz"
    for batch in range(40):
        # "New York" in every batch; 60 pairs never seen again in each.
        rare = " ".join(
            f"{letters[batch % 26]}{letters[n % 26]}{letters[n // 26]}x" for n in range(61)
        )
        counter.add([f"New York {rare}", "New York"])
        assert len(counter._keys) <= 200
    keys, counts = counter.pairs()
    assert counter.pruned_below > 1 and len(keys) <= 250
    arrays, _ = model_arrays(counter)
    blob, offsets = bytes(arrays["words"]), arrays["word_offsets"].tolist()
    vocabulary = [blob[a:b].decode() for a, b in zip(offsets, offsets[1:], strict=False)]
    kept = {
        (vocabulary[int(key) >> 32], vocabulary[int(key) & 0xFFFFFFFF]): int(count)
        for key, count in zip(arrays["pair_keys"], arrays["pair_counts"], strict=True)
    }
    assert kept[("new", "york")] == 80  # a frequent pair is counted exactly


def test_candidates_come_from_the_delete_index(model: SpellingModel) -> None:
    found = {model.word(number): edits for number, edits in model.candidates("minster", 2)}
    assert found["minister"] == 1 and found["monster"] == 1
    assert "minster" not in found
    found = {model.word(number) for number, _ in model.candidates("hurricaine", 2)}
    assert found == {"hurricane"}
    assert model.candidates("zzzz", 1) == []


def test_deletes_of_a_prefix() -> None:
    assert deletes("abc", 1) == {"abc", "bc", "ac", "ab"}
    assert "" not in deletes("ab", 2)
    assert deletes("governments", 0) == {"governm"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("prime minster", "prime minister"),
        ("climat chnage", "climate change"),
        ("hurricaine", "hurricane"),
        ("electon", "election"),
        ("Kery", "Kerry"),
    ],
)
def test_corrections_in_context(model: SpellingModel, typed: str, expected: str) -> None:
    correction = correct_query(model, typed)
    assert correction is not None and correction.text == expected


@pytest.mark.parametrize(
    "typed", ["york minster", "minister", "hurricane season", "zzzz", "asdfgh", "Kerry"]
)
def test_no_correction_for_correct_words_or_gibberish(model: SpellingModel, typed: str) -> None:
    assert correct_query(model, typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ('"climat chnage" hurricaine', '"climat chnage" hurricane'),  # phrases as typed
        ("title:climat chnage", "title:climat change"),  # a field's value too
        ("climat -chnage", "climate -chnage"),
        ("(climat chnage) OR electon", "(climate change) OR election"),
        ("hurricaine*", None),  # wildcards as typed
    ],
)
def test_query_syntax_is_left_as_typed(model: SpellingModel, typed: str, expected: str) -> None:
    correction = correct_query(model, typed)
    assert (correction.text if correction else None) == expected


def test_a_generation_without_a_model_has_none(tmp_path: Path, spelling_index: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(current_generation(spelling_index), old)
    (old / MODEL_NAME).unlink()
    assert SpellingModel.open(old) is None
    (old / MODEL_NAME).write_bytes(b"BSSPELL1" + b"\xff" * 20)
    assert SpellingModel.open(old) is None
    (old / MODEL_NAME).write_bytes(b"")
    assert SpellingModel.open(old) is None


def test_optimize_keeps_and_rebuild_replaces_the_model(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(spelling_articles(), index_dir)
    first = current_generation(index_dir)
    optimize_index(index_dir)
    merged = current_generation(index_dir)
    assert merged != first
    assert SpellingModel.open(merged).count("hurricane") == 28
    extra = [Article(id="x-1", title="Hurricane warning", body="Another hurricane came.")]
    build_index(spelling_articles() + extra, index_dir)
    rebuilt = current_generation(index_dir)
    assert SpellingModel.open(rebuilt).count("hurricane") == 30
    # The optimized generation's model (a hard link of the first one's) is untouched.
    assert os.stat(merged / MODEL_NAME).st_nlink >= 1
    assert SpellingModel.open(merged).count("hurricane") == 28


def test_an_empty_archive_gives_an_empty_model(tmp_path: Path) -> None:
    arrays, meta = model_arrays(WordCounter())
    assert arrays["counts"].size == 0 and arrays["pair_keys"].size == 0
    assert meta["tokens"] == 0


def test_an_update_rebuilds_the_model_of_its_new_generation(tmp_path: Path) -> None:
    import json

    from corpus.report import ReadReport
    from indexer import build_from_paths, update_from_paths

    source = tmp_path / "news.jsonl"
    lines = [
        json.dumps({"id": f"n{i}", "title": f"Hurricane report {i}", "body": f"Hurricane {i}."})
        for i in range(3)
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    index_dir = tmp_path / "ix"
    build_from_paths([source], index_dir, ReadReport())
    first = current_generation(index_dir)
    assert SpellingModel.open(first).count("hurricane") == 6
    lines.append(json.dumps({"id": "n9", "title": "Cyclone", "body": "A cyclone hit."}))
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    update_from_paths(None, index_dir, ReadReport())
    updated = current_generation(index_dir)
    assert updated != first
    assert SpellingModel.open(updated).count("cyclone") == 2
    assert SpellingModel.open(first).count("cyclone") == 0  # the clone's link was replaced


def test_a_capitalised_form_must_outnumber_the_lower_case_one() -> None:
    counter = WordCounter()
    counter.add(["Voters queue for hours", "as voters waited", "NATO said", "NATO and nato"])
    arrays, _ = model_arrays(counter)
    blob, offsets = bytes(arrays["display"]), arrays["display_offsets"].tolist()
    shown = {blob[a:b].decode() for a, b in zip(offsets, offsets[1:], strict=False)}
    assert "voters" in shown and "Voters" not in shown  # a headline's capital ties: lower wins
    assert "NATO" in shown  # written that way more often than not


#: Arrays of a model that do not depend on the order texts were counted in (the
#: written form and the pair flags pick among equal counts by first appearance).
_ORDER_FREE = (
    "words",
    "counts",
    "pair_keys",
    "pair_counts",
    "delete_hashes",
    "delete_words",
)


def _texts(articles: list[Article]) -> list[str]:
    return [text for article in articles for text in (article.title, article.body)]


def test_counts_kept_apart_then_absorbed_equal_one_count_over_every_text() -> None:
    texts = _texts(spelling_articles())
    whole = WordCounter()
    whole.add(texts)
    first, second, total = WordCounter(), WordCounter(), WordCounter()
    first.add(texts[1::2])  # the bodies ...
    second.add(texts[0::2])  # ... and the titles, counted elsewhere
    total.absorb(first.state())
    total.absorb(second.state())
    total.absorb(WordCounter().state())  # a worker that indexed nothing
    expected, expected_meta = model_arrays(whole)
    found, found_meta = model_arrays(total)
    assert found_meta == expected_meta and total.tokens > 0
    for name in _ORDER_FREE:
        assert found[name].tolist() == expected[name].tolist(), name
    assert len(expected["pair_keys"]) > 10 and len(expected["delete_hashes"]) > 100


def test_a_parallel_build_counts_the_words_as_it_indexes_them(tmp_path: Path) -> None:
    articles = spelling_articles()
    build_index(articles, tmp_path / "ix", workers=2)
    generation = current_generation(tmp_path / "ix")
    assert generation is not None
    found, found_meta = read_model(generation / MODEL_NAME, mapped=False)
    recount = tmp_path / "recount"
    recount.mkdir()
    write_spelling_model(recount, [_texts(articles)])
    expected, expected_meta = read_model(recount / MODEL_NAME, mapped=False)
    assert found_meta == expected_meta
    for name in _ORDER_FREE:
        assert found[name].tolist() == expected[name].tolist(), name
    model = SpellingModel.open(generation)
    assert model is not None and model.count("hurricane") == 28
