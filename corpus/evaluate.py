"""Score the HTML reader against pages with known answers (``shared/data/html-samples`` layout).

Each page folder holds ``source.html``, ``expected.html`` (the article body) and
``expected-metadata.json`` (``title``, ``byline``, ``lang``, ``publishedTime`` ...).
Measures, each over the pages whose expectation has that field:

* body token F1: word tokens (CJK characters one by one), case-folded, multiset
  overlap between the extracted body and the text of ``expected.html`` (a page read
  as "no article" scores 0);
* title, exact (after whitespace normalisation) and lenient (see `titles_match`);
* published date, same day (the UTC calendar day of both instants);
* author, lenient (see `authors_match`) over pages with a ``byline``;
* pages read as "no article", and the share of articles with a language code;
* pages per second of `corpus.html_reader.read_html` (decoding included), on one core
  and on every core (a process pool, as the indexer reads files), after one untimed
  pass that warms imports and caches (the steady rate of a long run).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus.article import Article, normalize_text
from corpus.dates import parse_date
from corpus.html_reader import read_html
from corpus.html_text import element_text, make_soup
from corpus.report import ReadReport

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+", re.UNICODE)
_BYLINE_WORDS = frozenset({"by", "von", "par", "por", "di", "door", "and", "und", "et", "y"})
#: Token F1 at or above which two titles count as the same headline (lenient match).
LENIENT_TITLE_F1 = 0.8


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


def titles_match(predicted: str, expected: str) -> bool:
    """Lenient title match: same word tokens, or a token F1 of at least 0.8.

    Forgives case, punctuation, quotes and a short site or author part on one side
    (``Headline | Site`` against ``Headline``); a different or cut headline fails.
    """
    pred, gold = tokens(predicted), tokens(expected)
    if not gold:
        return not pred
    return pred == gold or token_f1(predicted, expected) >= LENIENT_TITLE_F1


def authors_match(predicted: str, expected: str) -> bool:
    """Lenient author match: every name token of the expected byline is in the answer.

    Connectives such as "By" and "and" are ignored, so ``By Erin Cunningham`` matches
    ``Erin Cunningham``; an answer with extra names (a co-author) still matches.
    """
    gold = [t for t in tokens(expected) if t not in _BYLINE_WORDS]
    pred = set(tokens(predicted))
    return bool(gold) and all(token in pred for token in gold)


@dataclass(slots=True)
class PageScore:
    """How one page fared."""

    name: str
    title_ok: bool
    title_lenient_ok: bool
    date_ok: bool | None
    author_ok: bool | None
    body_f1: float
    has_article: bool = True
    title: str = ""
    expected_title: str = ""
    date: str | None = None
    expected_date: str | None = None
    author: str = ""
    expected_author: str = ""
    language: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class EvaluationResult:
    """Rates over all pages, plus each page's score."""

    pages: int = 0
    body_token_f1: float = 0.0
    title_exact_rate: float = 0.0
    title_lenient_rate: float = 0.0
    date_day_match_rate: float = 0.0
    pages_with_expected_date: int = 0
    author_match_rate: float = 0.0
    pages_with_expected_author: int = 0
    pages_without_article: int = 0
    language_coverage: float = 0.0
    pages_per_second: float = 0.0
    seconds: float = 0.0
    #: CPU time of the one-core pass: unlike wall time, not inflated by other load.
    cpu_seconds: float = 0.0
    pages_per_second_all_cores: float = 0.0
    workers: int = 1
    details: list[PageScore] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def read_page(data: bytes, origin: str) -> tuple[Article | None, list[str]]:
    """Read one saved page the way the indexer does: its article (or None) and problems."""
    report = ReadReport()
    articles = list(read_html(data, origin, report))
    return (articles[0] if articles else None), [p.reason for p in report.problems]


def _read_for_timing(item: tuple[bytes, str]) -> bool:
    return read_page(*item)[0] is not None


def _warm_worker(inputs: list[tuple[bytes, str]]) -> None:
    for item in inputs:
        _read_for_timing(item)


def throughput_all_cores(inputs: list[tuple[bytes, str]], workers: int, rounds: int = 3) -> float:
    """Pages per second reading ``inputs`` ``rounds`` times over a pool of ``workers`` processes.

    Every worker first reads every page once, untimed (imports, parsers' caches), so the
    figure is the steady rate of a long indexing run.
    """
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_warm_worker, initargs=(inputs,)
    ) as pool:
        list(pool.map(_read_for_timing, inputs[:workers]))  # waits for every initializer
        started = time.perf_counter()
        for _ in range(rounds):
            list(pool.map(_read_for_timing, inputs, chunksize=1))
        seconds = time.perf_counter() - started
    return len(inputs) * rounds / seconds if seconds else 0.0


def _expected(case: Path) -> tuple[dict[str, Any], str]:
    meta = json.loads((case / "expected-metadata.json").read_text(encoding="utf-8"))
    body = element_text(make_soup((case / "expected.html").read_text(encoding="utf-8")))
    return meta, body


def score_page(case: Path, article: Article | None, problems: list[str]) -> PageScore:
    """Compare one page's article with its expectations."""
    meta, expected_body = _expected(case)
    expected_title = normalize_text(meta.get("title") or "")
    title = article.title if article else ""
    expected_date = parse_date(meta.get("publishedTime")) if meta.get("publishedTime") else None
    date_ok = None
    if expected_date is not None:
        date_ok = bool(article and article.date and article.date.date() == expected_date.date())
    expected_author = normalize_text(meta.get("byline") or "")
    author = article.author if article else ""
    return PageScore(
        name=case.name,
        title_ok=normalize_text(title) == expected_title,
        title_lenient_ok=titles_match(title, expected_title),
        date_ok=date_ok,
        author_ok=authors_match(author, expected_author) if expected_author else None,
        body_f1=token_f1(article.body if article else "", expected_body),
        has_article=article is not None,
        title=title,
        expected_title=expected_title,
        date=article.date.isoformat() if article and article.date else None,
        expected_date=expected_date.isoformat() if expected_date else None,
        author=author,
        expected_author=expected_author,
        language=article.language if article else "",
        problems=problems,
    )


def _rate(values: list[bool | None]) -> tuple[float, int]:
    known = [v for v in values if v is not None]
    return (sum(known) / len(known) if known else 0.0), len(known)


def evaluate_folder(folder: Path, *, workers: int | None = None) -> EvaluationResult:
    """Read every ``*/source.html`` under ``folder`` and score it against its expectations.

    ``workers`` processes (default: every CPU) give the all-cores throughput; 0 skips it.
    """
    cases = sorted(p.parent for p in folder.glob("*/source.html"))
    result = EvaluationResult(pages=len(cases))
    if not cases:
        return result
    inputs = [((case / "source.html").read_bytes(), str(case)) for case in cases]
    for data, origin in inputs:  # imports and caches warm, as in a long indexing run
        read_page(data, origin)
    started, cpu_started = time.perf_counter(), time.process_time()
    outputs = [read_page(data, origin) for data, origin in inputs]
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu_started
    result.pages_per_second = len(cases) / result.seconds if result.seconds else 0.0
    result.workers = (os.cpu_count() or 1) if workers is None else workers
    if result.workers:
        result.pages_per_second_all_cores = throughput_all_cores(inputs, result.workers)
    result.details = [
        score_page(case, article, problems)
        for case, (article, problems) in zip(cases, outputs, strict=True)
    ]
    details = result.details
    result.body_token_f1 = sum(d.body_f1 for d in details) / len(details)
    result.title_exact_rate = sum(d.title_ok for d in details) / len(details)
    result.title_lenient_rate = sum(d.title_lenient_ok for d in details) / len(details)
    result.date_day_match_rate, result.pages_with_expected_date = _rate(
        [d.date_ok for d in details]
    )
    result.author_match_rate, result.pages_with_expected_author = _rate(
        [d.author_ok for d in details]
    )
    result.pages_without_article = sum(not d.has_article for d in details)
    articles = [d for d in details if d.has_article]
    if articles:
        result.language_coverage = sum(bool(d.language) for d in articles) / len(articles)
    return result


def _page_line(d: PageScore) -> str:
    def mark(ok: bool | None) -> str:
        return "-  " if ok is None else ("ok " if ok else "BAD")

    line = (
        f"{d.name:16} title={mark(d.title_lenient_ok)} date={mark(d.date_ok)} "
        f"author={mark(d.author_ok)} f1={d.body_f1:.3f} lang={d.language or '-':6} {d.title!r}"
    )
    if not d.title_lenient_ok:
        line += f" != {d.expected_title!r}"
    if d.date_ok is False:
        line += f" date {d.date} != {d.expected_date}"
    if d.author_ok is False:
        line += f" author {d.author!r} != {d.expected_author!r}"
    if not d.has_article:
        line += f" NO ARTICLE {d.problems}"
    return line


def format_result(result: EvaluationResult, *, verbose: bool = False) -> str:
    """A short human-readable summary (one line per page when ``verbose``)."""
    lines = [_page_line(d) for d in result.details] if verbose else []
    lines += [
        f"pages: {result.pages}",
        f"body token F1 (mean): {result.body_token_f1:.3f}",
        f"title, lenient match: {result.title_lenient_rate:.3f} "
        f"(exact: {result.title_exact_rate:.3f})",
        f"published date, same day: {result.date_day_match_rate:.3f} "
        f"(over {result.pages_with_expected_date} pages with an expected date)",
        f"author, lenient match: {result.author_match_rate:.3f} "
        f"(over {result.pages_with_expected_author} pages with an expected byline)",
        f"pages read as no article: {result.pages_without_article}",
        f"articles with a language code: {result.language_coverage:.3f}",
        f"throughput, one core: {result.pages_per_second:.1f} pages/s ({result.seconds:.2f} s; "
        f"{result.pages / result.cpu_seconds if result.cpu_seconds else 0:.1f} pages per CPU "
        "second)",
    ]
    if result.workers:
        lines.append(
            f"throughput, {result.workers} processes: "
            f"{result.pages_per_second_all_cores:.1f} pages/s"
        )
    return "\n".join(lines)
