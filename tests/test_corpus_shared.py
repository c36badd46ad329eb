"""Readers on the shared data beside the repo (skipped cleanly when it is absent)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from corpus import ReadReport, read_paths
from corpus.evaluate import evaluate_folder, token_f1
from support import shared_path


def test_seed_file() -> None:
    seed = shared_path("seeds", "000_04c64ecf05235352.txt")
    report = ReadReport()
    [article] = list(read_paths([seed], report))
    assert article.date == datetime(2023, 7, 12, 3, 58, tzinfo=UTC)
    assert article.views == 4946
    assert article.tags
    paragraphs = article.body.split("\n\n")
    assert paragraphs[0] != paragraphs[1]  # the lede, printed twice by the scraper, kept once
    assert article.body.count(paragraphs[0]) == 1
    assert not any(p.startswith("Tags") for p in paragraphs)


def test_token_f1() -> None:
    assert token_f1("a b c", "a b c") == 1.0
    assert token_f1("", "a") == 0.0
    assert token_f1("中文", "中文字") == pytest.approx(0.8)


def test_html_samples_quality_floor() -> None:
    result = evaluate_folder(shared_path("data", "html-samples"))
    assert result.pages == 24
    assert result.title_exact_rate >= 0.8
    assert result.date_day_match_rate >= 0.8
    assert result.body_token_f1 >= 0.85


def test_qq_page_with_wrong_declared_charset() -> None:
    page = shared_path("data", "html-samples", "qq", "source.html")
    [article] = list(read_paths([page], ReadReport()))
    assert article.title.startswith("DeepMind新电脑已可利用记忆自学")


@pytest.mark.slow
def test_reuters_collection() -> None:
    folder = shared_path("data", "reuters21578")
    report = ReadReport()
    articles = list(read_paths(sorted(folder.glob("reut2-*.sgm*")), report))
    assert len(articles) > 20_000
    assert sum(a.date is not None for a in articles) > 20_000
    assert len({tag for a in articles for tag in a.tags}) > 200
    assert len(report.problems) < 10
