"""Score the HTML reader against pages with known answers (``shared/data/html-samples`` layout).

Each page folder holds ``source.html``, ``expected.html`` (the article body) and
``expected-metadata.json`` (``title``, ``publishedTime`` ...). Measures:

* title exact match (after whitespace normalisation), over all pages;
* published-date day match (the UTC calendar day), over pages whose metadata has
  a ``publishedTime``;
* body token F1: word tokens (CJK characters one by one), case-folded, multiset
  overlap between the extracted body and the text of ``expected.html``;
* pages per second of `corpus.html_reader.parse_html_page` (decoding included).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus.article import normalize_text
from corpus.dates import parse_date
from corpus.decode import decode_markup
from corpus.html_reader import parse_html_page
from corpus.html_text import element_text, make_soup
from corpus.report import ReadReport

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Case-folded word tokens; each CJK character is a token of its own."""
    return _TOKEN.findall(text.casefold())


def token_f1(predicted: str, expected: str) -> float:
    """Multiset token F1 of ``predicted`` against ``expected`` (1.0 when both are empty)."""
    pred, gold = Counter(tokens(predicted)), Counter(tokens(expected))
    if not pred and not gold:
        return 1.0
    overlap = sum((pred & gold).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(pred.values())
    recall = overlap / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


@dataclass(slots=True)
class PageScore:
    """How one page fared."""

    name: str
    title_ok: bool
    date_ok: bool | None
    body_f1: float
    title: str = ""
    expected_title: str = ""
    date: str | None = None
    expected_date: str | None = None


@dataclass(slots=True)
class EvaluationResult:
    """Rates over all pages, plus each page's score."""

    pages: int = 0
    title_exact_rate: float = 0.0
    date_day_match_rate: float = 0.0
    pages_with_expected_date: int = 0
    body_token_f1: float = 0.0
    pages_per_second: float = 0.0
    seconds: float = 0.0
    details: list[PageScore] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def evaluate_folder(folder: Path) -> EvaluationResult:
    """Read every ``*/source.html`` under ``folder`` and score it against its expectations."""
    cases = sorted(p.parent for p in folder.glob("*/source.html"))
    result = EvaluationResult(pages=len(cases))
    if not cases:
        return result
    inputs = [(case, (case / "source.html").read_bytes()) for case in cases]
    started = time.perf_counter()
    articles = []
    for case, data in inputs:
        report = ReadReport()
        text = decode_markup(data, str(case), report)
        articles.append(parse_html_page(text, str(case), report) if text is not None else None)
    result.seconds = time.perf_counter() - started
    result.pages_per_second = len(cases) / result.seconds if result.seconds else 0.0
    date_hits = 0
    for (case, _), article in zip(inputs, articles, strict=True):
        meta = json.loads((case / "expected-metadata.json").read_text(encoding="utf-8"))
        expected_body = element_text(
            make_soup((case / "expected.html").read_text(encoding="utf-8"))
        )
        expected_title = normalize_text(meta.get("title") or "")
        title = article.title if article else ""
        expected_date = parse_date(meta.get("publishedTime")) if meta.get("publishedTime") else None
        date_ok = None
        if expected_date is not None:
            result.pages_with_expected_date += 1
            date_ok = bool(article and article.date and article.date.date() == expected_date.date())
            date_hits += date_ok
        result.details.append(
            PageScore(
                name=case.name,
                title_ok=normalize_text(title) == expected_title,
                date_ok=date_ok,
                body_f1=token_f1(article.body if article else "", expected_body),
                title=title,
                expected_title=expected_title,
                date=article.date.isoformat() if article and article.date else None,
                expected_date=expected_date.isoformat() if expected_date else None,
            )
        )
    result.title_exact_rate = sum(d.title_ok for d in result.details) / len(cases)
    if result.pages_with_expected_date:
        result.date_day_match_rate = date_hits / result.pages_with_expected_date
    result.body_token_f1 = sum(d.body_f1 for d in result.details) / len(cases)
    return result


def format_result(result: EvaluationResult, *, verbose: bool = False) -> str:
    """A short human-readable summary (one line per page when ``verbose``)."""
    lines = []
    if verbose:
        for d in result.details:
            lines.append(
                f"{d.name:16} title={'ok ' if d.title_ok else 'BAD'} "
                f"date={'-  ' if d.date_ok is None else ('ok ' if d.date_ok else 'BAD')} "
                f"f1={d.body_f1:.3f}  {d.title!r}"
                + ("" if d.title_ok else f" != {d.expected_title!r}")
            )
    lines.append(f"pages: {result.pages}")
    lines.append(f"title exact-match rate: {result.title_exact_rate:.3f}")
    lines.append(
        f"published-date day-match rate: {result.date_day_match_rate:.3f} "
        f"(over {result.pages_with_expected_date} pages with an expected date)"
    )
    lines.append(f"mean body token F1: {result.body_token_f1:.3f}")
    lines.append(f"throughput: {result.pages_per_second:.1f} pages/s ({result.seconds:.2f} s)")
    return "\n".join(lines)
