"""Query sets: ~100 realistic news queries per corpus, derived deterministically, stored.

A query file (``bench/queries/<name>.tsv``) has one ``kind<TAB>query`` a line; kinds
are ``term`` (one word), ``terms`` (2-3 words from one headline), ``phrase`` (a
quoted headline bigram) and ``name`` (a capitalised two-word name from the bodies,
half of them quoted). ``python -m bench.queries`` (re)writes the stored files.
Queries hold only lowercase letters, digits, spaces and double quotes, so each
engine's query language reads them the same way (all words required).
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from corpus import Article

QUERY_DIR = Path(__file__).resolve().parent / "queries"
_WORD = re.compile(r"[A-Za-z][a-z]{2,}")
_NAME = re.compile(r"\b([A-Z][a-z]{2,}) ([A-Z][a-z]{2,})\b")
_STOP = frozenset(
    "the of to and a in that for is on said was with he it as at by from his be have has are "
    "an not but were they this had its been which will their who would after more also new "
    "up than over about into could other some when can out most under while against before "
    "there during since what says say may one two three year years percent pct mln dlrs vs "
    "cts shr net revs qtr inc corp".split()
)
SAMPLE_ARTICLES = 5_000
MIX = {"term": 30, "terms": 30, "phrase": 20, "name": 20}


def derive(articles: Iterable[Article], seed: int = 7) -> list[tuple[str, str]]:
    """Derive the ``(kind, query)`` list from the first articles of a corpus."""
    rng = random.Random(seed)
    sample = [a for _, a in zip(range(SAMPLE_ARTICLES), articles, strict=False)]
    df: Counter[str] = Counter()
    names: Counter[str] = Counter()
    for article in sample:
        words = {w.lower() for w in _WORD.findall(f"{article.title} {article.body}")}
        df.update(words)
        for first, last in _NAME.findall(article.body):
            if first.lower() not in _STOP and last.lower() not in _STOP:
                names[f"{first} {last}".lower()] += 1
    low, high = max(3, len(sample) // 500), max(4, len(sample) // 8)
    useful = {w for w, n in df.items() if low <= n <= high and w not in _STOP}
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(kind: str, query: str) -> None:
        """Keep a query once, and only if short."""
        if query not in seen and len(query) <= 60:
            seen.add(query)
            out.append((kind, query))

    singles = sorted(useful)
    rng.shuffle(singles)
    for word in singles[: MIX["term"]]:
        add("term", word)
    order = list(range(len(sample)))
    rng.shuffle(order)
    bigrams: list[str] = []
    for index in order:
        title = [w.lower() for w in _WORD.findall(sample[index].title)]
        good = list(dict.fromkeys(w for w in title if w in useful))
        if len(good) >= 2 and sum(1 for k, _ in out if k == "terms") < MIX["terms"]:
            add("terms", " ".join(rng.sample(good, rng.choice((2, 2, 3)) if len(good) > 2 else 2)))
        bigrams.extend(
            f"{a} {b}"
            for a, b in zip(title, title[1:], strict=False)
            if a in useful and b in useful
        )
    for pair, _ in Counter(bigrams).most_common(MIX["phrase"] * 3)[: MIX["phrase"]]:
        add("phrase", f'"{pair}"')
    frequent_names = [n for n, c in names.most_common(200) if c >= 3]
    rng.shuffle(frequent_names)
    for number, name in enumerate(frequent_names[: MIX["name"]]):
        add("name", f'"{name}"' if number % 2 else name)
    return out


def path_for(name: str) -> Path:
    """Where the stored query set ``name`` lives."""
    return QUERY_DIR / f"{name}.tsv"


def load(name: str) -> list[tuple[str, str]]:
    """The ``(kind, query)`` list of stored query set ``name`` (or of a ``.tsv`` path)."""
    rows = []
    path = Path(name) if name.endswith(".tsv") else path_for(name)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, query = line.split("\t", 1)
            rows.append((kind, query))
    return rows


def save(name: str, rows: list[tuple[str, str]], origin: str) -> Path:
    """Store ``rows`` as query set ``name``."""
    QUERY_DIR.mkdir(exist_ok=True)
    path = path_for(name)
    header = f"# {len(rows)} queries derived by bench.queries from {origin}; kind<TAB>query\n"
    path.write_text(header + "".join(f"{k}\t{q}\n" for k, q in rows), encoding="utf-8")
    return path


def split_query(query: str) -> list[str]:
    """Split into bare words and quoted phrases (quotes kept on phrases)."""
    return re.findall(r'"[^"]+"|\S+', query)


def to_fts5(query: str) -> str:
    """FTS5 MATCH text: every word and phrase quoted (so no word is read as an operator)."""
    parts = []
    for part in split_query(query):
        inner = part.strip('"').replace('"', " ")
        parts.append(f'"{inner}"')
    return " AND ".join(parts)


def to_all_required(query: str) -> str:
    """Whoosh/tantivy text with every word and phrase required (``+``)."""
    return " ".join(f"+{part}" for part in split_query(query))


def main(argv: list[str]) -> int:
    """``python -m bench.queries [reuters|demo|synthetic ...]``: (re)write stored sets."""
    from bench.corpora import CorpusSpec, available_specs, iter_articles

    names = argv or ["reuters", "demo", "synthetic"]
    specs, skipped = available_specs(names, [10_000])
    for name, reason in skipped:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    for spec in specs:
        source = CorpusSpec(spec.queries, spec.kind, spec.size, spec.queries)
        rows = derive(iter_articles(source))
        print(f"{save(spec.queries, rows, spec.name)}: {len(rows)} queries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
