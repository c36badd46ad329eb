"""Wildcards and prefixes expanded from the lexicon held in memory
(`search.whoosh.lexicon`) stand for exactly the terms Whoosh's own walk of the lexicon
finds, most frequent first when there are too many, on an index of several segments."""

from __future__ import annotations

import random
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.writing import NO_MERGE

from indexer.whoosh.schema import build_schema
from search.deadline import Deadline
from search.whoosh import expansion, lexicon

WORDS = (
    "harbour harbours harbourside habit hab oil oiled oiling boil soil toil station nation "
    "ration motion lotion potion ship shipping shipment shipper mention tension pension "
    "quay quays key keys sea seas season seasonal reason treason s se sea seat"
).split()


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("lexicon")
    ix = whoosh_index.create_in(str(path), build_schema())
    rng = random.Random(5)
    for batch in range(3):
        writer = ix.writer()
        for n in range(60):
            words = [rng.choice(WORDS) for _ in range(rng.randint(3, 30))]
            writer.add_document(id=f"{batch}-{n}", title=" ".join(words[:4]), body=" ".join(words))
        writer.commit(mergetype=NO_MERGE)
    found = ix.reader()
    assert len(list(found.leaf_readers())) == 3
    yield found
    found.close()


@pytest.mark.parametrize(
    "node",
    [
        wq.Wildcard("body", "*tion"),
        wq.Wildcard("body", "s*a*"),
        wq.Wildcard("body", "?oil"),
        wq.Wildcard("title", "*ip*"),
        wq.Wildcard("body", "*zzz"),
        wq.Prefix("body", "s"),
        wq.Prefix("body", "harbour"),
        wq.Prefix("title", "q"),
        wq.Prefix("body", "zz"),
    ],
    ids=str,
)
@pytest.mark.parametrize("limit", [1, 3, 200])
def test_held_expansions_equal_the_walk(reader, monkeypatch, node: wq.Query, limit: int) -> None:
    held = expansion._expansions(reader, node, limit)
    assert lexicon.field_lexicon(reader, node.field()) is not None  # it was used
    with monkeypatch.context() as patched:
        patched.setattr(expansion, "field_lexicon", lambda *args: None)
        walked = expansion._expansions(reader, node, limit)
    assert held == walked


def test_reading_resumes_within_each_deadline(tmp_path: Path) -> None:
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = ix.writer()
    for n in range(9000):  # more than one read step (4,096 terms)
        writer.add_document(id=str(n), title="t", body=f"w{n}x")
    writer.commit()
    with ix.reader() as fresh:
        spent = Deadline(0.0)
        assert lexicon.field_lexicon(fresh, "body", spent) is None  # a step, then stop
        assert lexicon.field_lexicon(fresh, "body", spent) is None
        held = lexicon.field_lexicon(fresh, "body")
        assert held is not None and len(held.terms) == 9000
        node = wq.Wildcard("body", "w12*x")
        assert expansion._expansions(fresh, node, 500)[0] == sorted(
            f"w{n}x" for n in range(9000) if str(n).startswith("12")
        )


@given(
    pattern=st.text(alphabet="ab?*", max_size=8),
    words=st.lists(st.text(alphabet="abc", min_size=1, max_size=9), min_size=1, max_size=12),
)
@settings(max_examples=400, derandomize=True, database=None, deadline=None)
def test_the_wildcard_pattern_matches_the_lines_fnmatch_matches(
    pattern: str, words: list[str]
) -> None:
    """The atomic groups find what a glob finds: ``?`` one character, ``*`` any run."""
    text = "\n".join(words)
    starts = [sum(len(word) + 1 for word in words[:n]) for n in range(len(words))]
    found = [m.start() for m in lexicon.wildcard_regex(pattern).finditer(text)]
    pairs = zip(starts, words, strict=True)
    expected = [start for start, word in pairs if fnmatchcase(word, pattern)]
    assert sorted(set(found)) == sorted(set(expected))


def test_a_wildcard_of_many_stars_reads_a_lexicon_of_long_words_in_one_pass() -> None:
    """One ``[^\\n]*`` per star backtracked over every placing of the pieces: 8 stars
    over ten 40-letter lines took 21 s; 14 stars over 200 such lines would not end."""
    text = "\n".join(["a" * 40] * 200 + ["a" * 38 + "cb"])
    matched = lexicon.wildcard_regex("*a" * 14 + "*b").findall(text)
    assert matched == ["a" * 38 + "cb"]
