"""A query of plain words is built without the parser's tagging passes
(`search.whoosh.fields_query.plain_words_query`): it must equal what Whoosh's
parser, with Broadsheet's plugins, makes of the same text, for both operators."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from indexer.whoosh.schema import build_schema
from search.relevance import DEFAULT_FIELD_BOOSTS
from search.whoosh import query as query_module
from search.whoosh.fields_query import plain_words_query
from search.whoosh.query import parse_query, query_parser

SCHEMA = build_schema()
#: Stop words, repeats, digits, capitals, accents, non-Latin letters, operators' look-alikes.
VOCABULARY = [
    "the", "a", "of", "and", "or", "not", "to", "in", "it",
    "central", "bank", "banks", "banking", "Bank", "BANK", "rates", "rate", "raised",
    "oil", "Oil", "opec", "1987", "2023", "3rd", "x", "i", "ab", "déjà", "vu", "Zürich",
    "москва", "東京", "and", "AND", "OR", "NOT", "Or", "nOT", "andnot", "ANDNOTE",
    "retrieval", "retrieve", "retrieved", "running", "ran", "runs",
]  # fmt: skip


def _by_parser(text: str, op: str) -> wq.Query:
    return query_parser(SCHEMA, op).parse(text)


@pytest.mark.parametrize("op", ["and", "or"])
@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=40))
def test_plain_words_build_what_the_parser_builds(op: str, words: list[str]) -> None:
    text = " ".join(words)
    parser = query_parser(SCHEMA, op)
    fast = plain_words_query(text, parser, DEFAULT_FIELD_BOOSTS)
    if {"AND", "OR", "NOT"} & set(words):
        assert fast is None  # operators are the parser's
        return
    assert fast is not None
    assert fast == _by_parser(text, op), text


@pytest.mark.parametrize(
    "text",
    [
        '"central bank"',
        "title:oil",
        "oil*",
        "oil -opec",
        "+oil opec",
        "(oil opec)",
        "oil^2",
        "oil~",
        "u.s. dollar",
        "don't",
        "oil_price",
        "oil, opec",
        "oil AND opec",
    ],
)
def test_anything_but_plain_words_goes_to_the_parser(text: str) -> None:
    parser = query_parser(SCHEMA, "and")
    assert plain_words_query(text, parser, DEFAULT_FIELD_BOOSTS) is None


def test_a_long_query_that_is_almost_plain_words_is_told_apart_at_once() -> None:
    """The fuzz found a query of repeated words and one word with ``_`` that the old
    plain-words pattern backtracked on for minutes (doubling with each word). Forty
    words would not finish at all with that pattern; the one it has now reads them
    in one pass."""
    parser = query_parser(SCHEMA, "and")
    for tail in ("corrected_query", "oil*", "(opec)", "a:b", '"x"'):
        text = "election " * 40 + tail
        assert plain_words_query(text, parser, DEFAULT_FIELD_BOOSTS) is None
    assert plain_words_query("election " * 40, parser, DEFAULT_FIELD_BOOSTS) is not None


def test_parse_query_uses_the_fast_path_and_keeps_its_notices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    long_text = (
        "the central bank said it would raise interest rates to defend the currency after "
        "the trade deficit widened and inflation rose faster than analysts had expected"
    )
    expected = _by_parser(long_text, "or")
    calls: list[str] = []
    real = query_module.QueryParser.parse

    def counted(self: object, text: str, *args: object, **kwargs: object) -> wq.Query:
        calls.append(text)
        return real(self, text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(query_module.QueryParser, "parse", counted)
    assert parse_query(long_text, SCHEMA, "or").query == expected
    assert calls == []
    only_stop_words = parse_query("the of and", SCHEMA, "and")
    assert only_stop_words.query is wq.NullQuery
    assert any("no words to look for" in notice for notice in only_stop_words.notices)
    assert parse_query('"central bank"', SCHEMA, "and").query != wq.NullQuery
    assert calls == ['"central bank"']
