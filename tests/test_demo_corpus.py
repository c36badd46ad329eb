"""The shipped demo corpus: free of wiki conversion residue, made reproducibly from the
bundle candidate by corpus/demo/clean_demo.py, and described by its NOTICE."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from corpus.demo.clean_demo import (
    RESIDUE,
    clean_body,
    clean_records,
    read_records,
    residue_counts,
    write_records,
)

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "corpus" / "demo"
SHIPPED = DEMO / "wikinews_en_tosca.jsonl.gz"
CANDIDATE = (
    REPO.parent / "shared" / "data" / "bundle-candidate" / "wikinews-en-tosca"
) / "wikinews_en_tosca.jsonl.gz"


def test_shipped_corpus_has_no_conversion_residue() -> None:
    records = read_records(SHIPPED)
    assert len(records) == 5507
    counts = residue_counts(record["body"] for record in records)
    assert dict(counts) == {}, {
        name: [r["id"] for r in records if RESIDUE[name].search(r["body"])][:5] for name in counts
    }
    assert all(record["body"].strip() for record in records)


def test_residue_patterns_catch_what_the_issue_names() -> None:
    samples = {
        "infobox": "United States infobox The president said",
        "wiki table": 'Results |- | colspan="2" | Background:',
        "status template": "The vote is on Monday. publish Archive-unreviewed",
        "magic word": "__NOTOC__ The council met",
        "wiki link": "[[w:Jyllands-Posten|the paper]]",
        "template name": "OntarioProvincialElection2007 A resident of Owen Sound",
    }
    for name, text in samples.items():
        assert RESIDUE[name].search(text), name
    assert not residue_counts(["The council met on Monday. It will publish its report soon."])


def test_clean_body_removes_markup_and_keeps_the_prose() -> None:
    body = (
        "Economy and business United States infobox __NOTOC__ Stock markets fell on "
        '[[w:Wall Street|Wall Street]] today. {| style="border:1px" |- | colspan="2" | '
        "Background: |} [[Image:Floor.jpg|left|200px|thumb|Traders on the floor. ]] Prices "
        "rose later, w:Reuters said. *First item *Second item publish Archive-unreviewed"
    )
    cleaned = clean_body(body)
    assert not residue_counts([cleaned])
    assert cleaned.startswith("Stock markets fell on Wall Street today.")
    for words in ("Background:", "Traders on the floor.", "Prices rose later, Reuters said."):
        assert words in cleaned
    assert cleaned.endswith("First item\n\nSecond item")
    tokens = re.findall(r"\w+", cleaned)
    assert "publish" not in tokens and "infobox" not in cleaned.lower()


def test_notice_names_the_shipped_file_hash() -> None:
    digest = hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert digest in (DEMO / "NOTICE").read_text(encoding="utf-8")


def test_shipped_file_is_the_cleaned_candidate(tmp_path: Path) -> None:
    if not CANDIDATE.exists():
        pytest.skip(f"shared data not available: {CANDIDATE}")
    original = read_records(CANDIDATE)
    rebuilt = tmp_path / "demo.jsonl.gz"
    write_records(clean_records(original), rebuilt)
    assert rebuilt.read_bytes() == SHIPPED.read_bytes()
    shipped = read_records(SHIPPED)
    assert [r["id"] for r in shipped] == [r["id"] for r in original]
    for before, after in zip(original, shipped, strict=True):
        assert {k: v for k, v in before.items() if k != "body"} == {
            k: v for k, v in after.items() if k != "body"
        }
    assert residue_counts(r["body"] for r in original)["infobox"] > 180
