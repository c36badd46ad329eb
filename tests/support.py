"""What the tests share: where the test data is, small index builders, readers of what a
server answers, and the hostile query pieces. A plain module (not a test module, not
conftest) so that no test module imports another: fixtures live in conftest.py, helpers here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from corpus import Article, ReadReport, read_paths
from indexer import build_index
from search import SearchResponse

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
DATA = TESTS / "data"
SHARED = REPO.parent / "shared"
ARTICLES = DATA / "articles.jsonl"
SEED = SHARED / "seeds" / "000_04c64ecf05235352.txt"
#: Articles with hostile markup and more elections, added to the 12 for the web UI tests.
EXTRA = DATA / "webui" / "extra.jsonl"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when that data is not beside the repo."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def build_from(paths: list[Path], index_dir: Path) -> Path:
    """Read ``paths`` and build an index at ``index_dir``; return ``index_dir``."""
    report = ReadReport()
    build_index(read_paths(paths, report), index_dir)
    return index_dir


def extra_articles() -> Iterator[Article]:
    """tests/data/webui/extra.jsonl as Articles, built directly: the corpus readers strip
    markup, and these tests need stored text that contains ``<script>`` and tags."""
    for line in EXTRA.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        record["date"] = datetime.fromisoformat(record["date"].replace("Z", "+00:00"))
        record["tags"] = tuple(record["tags"])
        yield Article(**record)


def build_webui_index(index_dir: Path) -> Path:
    """Index the 12 test articles plus the extra ones (hostile markup, more elections)."""
    build_index([*read_paths([ARTICLES], ReadReport()), *extra_articles()], index_dir)
    return index_dir


def assert_consistent_page(response: SearchResponse, known_ids: set[str]) -> None:
    """A search answer (for any query, however hostile) is a consistent first page: as
    many distinct hits as the total allows, all of them articles of the index, snippets
    whose only markup is ``<mark>``, and JSON that says the same total and ids. An
    answer the time limit cut (a busy machine) says so instead of holding a full page."""
    ids = [hit.id for hit in response.hits]
    if response.total_exact:
        assert len(ids) == min(response.total, response.request.per_page)
    else:
        assert len(ids) <= response.request.per_page
        assert any("stopped" in notice for notice in response.notices), response.notices
    assert len(set(ids)) == len(ids) and set(ids) <= known_ids
    for hit in response.hits:
        assert "<" not in re.sub(r"</?mark>", "", hit.snippet), hit.snippet
    payload = json.loads(json.dumps(response.to_json_dict()))
    assert payload["total"] == response.total
    assert [hit["id"] for hit in payload["results"]] == ids


def article_ids(path: Path) -> set[str]:
    """The ids in a JSONL file of articles."""
    return {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()}


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format, or None."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(3))
    return None


#: Pieces of query syntax, hostile and ordinary, that the query fuzzers combine.
HOSTILE_QUERY_PIECES = [
    "(",
    ")",
    '"',
    ":",
    "!",
    "*",
    "?",
    "~",
    "^",
    "[",
    "]",
    "{",
    "}",
    "\\",
    "-",
    "+",
    "AND",
    "OR",
    "NOT",
    "ANDNOT",
    "ANDMAYBE",
    "http://x",
    "title:",
    "tag:",
    "date:",
    "after:",
    "before:",
    "date:[",
    "date:[to",
    'date:"',
    "date:2023-13",
    "date:0000",
    "date:99999",
    "volcano",
    "the",
    "a*",
    "*",
    "?*",
    "~5",
    '"a b"~99999999999',
    "x^99999",
    "title:(",
    "foo:bar",
    "\x00",
    "🌋",
    "שלום",
    "مرحبا",
    "\u202e",
    "%s",
    "'",
    "''",
    "<script>",
    "&amp;",
    "NOT NOT",
    "(((",
    ")))",
    "-(",
    '-"',
    "+-",
    "1e308",
    "/",
    "//",
    "#",
    "\t",
    "\n",
]


_FILLER_TOPICS = [
    "The orchestra played a new symphony for the festival audience in the old hall.",
    "Farmers reported a wheat harvest above forecasts after a mild and wet spring.",
    "The football club signed a young striker before the transfer window closed.",
    "Engineers tested a battery that charges electric buses within ten minutes.",
    "The museum opened an exhibition of medieval maps and navigation instruments.",
    "Voters in the district chose a new mayor after a long and bitter campaign.",
]


def terms_archive() -> Iterator[Article]:
    """40 filler articles and 12 about a port strike with planted characteristic terms
    ("dockworkers", "Rotterdam", "container terminal"): tests of `search.terms`."""
    for number in range(40):
        text = _FILLER_TOPICS[number % len(_FILLER_TOPICS)]
        common = (
            "Officials said the hall stayed closed for another day and would stay shut, "
            "as the report entered its final draft."
        )
        yield Article(
            id=f"f{number}", title=f"Report {number}", body=f"{text} {common} Item {number}."
        )
    for number in range(12):
        yield Article(
            id=f"s{number}",
            title=f"Port strike day {number}",
            body=(
                "The strike by dockworkers in Rotterdam entered another day and the "
                "container terminal stayed closed. Dockworkers said the container "
                f"terminal would stay shut. Report {number}."
            ),
        )


EXPORT_NOW = datetime(2024, 6, 1, tzinfo=UTC)
SAME_MOMENT = datetime(2023, 5, 5, 12, 0, tzinfo=UTC)
STORY = (
    "The harbour authority closed the northern quay after a crane collapsed onto a cargo "
    "ship during the night shift, and dock workers were sent home while inspectors "
    "examined the damaged berth and the cranes beside it for cracks."
)
HOSTILE_TITLES = {
    "cell-formula": '=HYPERLINK("http://x","click") harbour',
    "cell-plus": "+44 harbour hotline",
    "cell-at": "@SUM(A1) harbour",
    "cell-minus": "-harbour dues rise",
    "cell-quote": 'Harbour "quote", comma; and more',
}


def export_archive() -> list[Article]:
    """An archive for export, sorting and cursor tests: articles sharing one timestamp
    (ties broken by id), undated ones, equal and unknown view counts, three copies of one
    story (near-duplicates), and titles a spreadsheet would run as formulas."""
    articles = []
    for number in range(40):
        date: datetime | None = EXPORT_NOW - timedelta(days=3 * number)
        if number % 9 == 0:
            date = None  # undated: listed last by either date order
        elif number % 4 == 0:
            date = SAME_MOMENT  # ties on date: broken by id
        articles.append(
            Article(
                id=f"a{(number * 7) % 40:02d}",  # ids not in index order
                title=f"Harbour report {number}" if number % 2 else f"Budget note {number}",
                body=("harbour ships quay " * (1 + number % 5)) + f"budget item {number}.",
                date=date,
                tags=("Ports",) if number % 3 else ("Ports", "Money"),
                source="Daily Ledger" if number % 2 else "Morning Post",
                url=f"https://example.org/{number}",
                views=None if number % 5 == 0 else (number % 4) * 100,
            )
        )
    for letter in "xyz":
        articles.append(
            Article(
                id=f"copy-{letter}",
                title="Crane collapses at harbour",
                body=STORY,
                date=datetime(2024, 1, 2, 9, tzinfo=UTC),
                source=f"Wire {letter.upper()}",
                views=10,
            )
        )
    for article_id, title in HOSTILE_TITLES.items():
        articles.append(
            Article(
                id=article_id,
                title=title,
                body="A harbour notice.\nSecond line, with a comma.",
                date=datetime(2022, 2, 2, tzinfo=UTC),
                author="-",
                views=5,
            )
        )
    return articles
