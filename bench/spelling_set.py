"""Make the misspelling test set of issue 15 (`search/eval/spelling_demo.tsv`), seeded.

Two steps, both reproducible:

``python -m bench.spelling_set common --codespell PATH/codespell_lib/data/dictionary.txt``
    samples `COMMON_PAIRS` pairs of codespell's ``dictionary.txt`` (CC BY-SA 3.0, derived
    from Wikipedia's "Lists of common misspellings") whose intended word occurs in the
    demo corpus at least `MIN_INTENDED_COUNT` times (both words of 5+ letters, the
    intended one no stop word: stop words are not searched), and writes
    ``search/eval/misspellings_common.tsv`` (see ``search/eval/NOTICE-misspellings.md``).
``python -m bench.spelling_set build``
    writes ``search/eval/spelling_demo.tsv``: the common pairs, typing errors made by a
    seeded generator (adjacent swaps, dropped, doubled and inserted letters, keyboard
    neighbours), two-word queries, correct words, names and phrases, and gibberish, each
    kind split half into ``dev`` (tuned on) and half into ``test`` (never tuned on).

Columns: ``part, kind, query, expected`` (``expected`` empty: no suggestion is right).
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import click
from rapidfuzz import process
from rapidfuzz.distance import OSA

from corpus.discover import read_paths
from corpus.report import ReadReport
from indexer.analysis import english_analyzer
from indexer.spelling_model import WordCounter

DEMO = Path("corpus/demo/wikinews_en_tosca.jsonl.gz")
EVAL = Path("search/eval")
COMMON_FILE = EVAL / "misspellings_common.tsv"
SET_FILE = EVAL / "spelling_demo.tsv"
SEED = 15
COMMON_PAIRS = 170
MIN_INTENDED_COUNT = 5
#: How many items of each generated kind.
SIZES = {"typo": 120, "name": 40, "pair": 60, "correct": 80, "gibberish": 30}
#: The issue's own examples (issue 15): kept in the dev part.
ISSUE_EXAMPLES = (
    ("common", "hurricaine", "hurricane"),
    ("common", "electon", "election"),
    ("common", "recieve", "receive"),
    ("common", "untill", "until"),
    ("typo", "climte", "climate"),
    ("common", "goverment", "government"),
    ("common", "definately", "definitely"),
    ("pair", "presidnet bush", "president bush"),
    ("pair", "climat chnage", "climate change"),
    ("pair", "prime minster", "prime minister"),
    ("pair", "unitd nations", "united nations"),
    ("gibberish", "zzzz", ""),
    ("gibberish", "asdfgh", ""),
)
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
MASHES = ("qwrtp", "hjkl", "sdfsdf", "zxcvb", "lkjhg", "mnbvc", "jjjj", "qqqq", "xkcdq", "fghfgh")
STOP = frozenset(english_analyzer().items[2].stops)


def neighbours() -> dict[str, str]:
    """Letters next to each letter on a QWERTY keyboard (same row and the rows beside)."""
    where = {c: (r, i) for r, row in enumerate(KEYBOARD_ROWS) for i, c in enumerate(row)}
    near: dict[str, str] = {}
    for letter, (row, col) in where.items():
        near[letter] = "".join(
            other
            for other, (r, c) in where.items()
            if other != letter and abs(r - row) <= 1 and abs(c - col) <= 1 + (r != row)
        )
    return near


NEAR = neighbours()


def typo(word: str, rng: random.Random) -> str:
    """One typing error in ``word``: swap, drop, double, neighbour or inserted neighbour."""
    i = rng.randrange(1, len(word) - 1)  # people rarely get the first letter wrong
    kind = rng.choice(("swap", "drop", "double", "near", "insert"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    near = NEAR.get(word[i], "") or "e"
    if kind == "near":
        return word[:i] + rng.choice(near) + word[i + 1 :]
    return word[:i] + rng.choice(near) + word[i:]


class CorpusWords:
    """Lowercase word counts, written forms and pair counts of the demo corpus."""

    def __init__(self, path: Path) -> None:
        counter = WordCounter()
        batch: list[str] = []
        for article in read_paths([path], ReadReport()):
            batch += (article.title, article.body)
        counter.add(batch)
        self.counts: Counter[str] = Counter()
        forms: dict[str, Counter[str]] = {}
        for word, count in zip(counter.cased_words, counter.unigrams().tolist(), strict=True):
            self.counts[word.lower()] += count
            forms.setdefault(word.lower(), Counter())[word] += count
        self.display = {word: form.most_common(1)[0][0] for word, form in forms.items()}
        keys, counts = counter.pairs()
        self.pairs: Counter[tuple[str, str]] = Counter()
        for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
            first = counter.cased_words[key >> 32].lower()
            second = counter.cased_words[key & 0xFFFFFFFF].lower()
            self.pairs[first, second] += count

    def plain(self, minimum: int, length: int = 5) -> list[str]:
        """Lowercase alphabetic words seen ``minimum`` times, not stop words, not names."""
        return sorted(
            word
            for word, count in self.counts.items()
            if count >= minimum
            and len(word) >= length
            and word.isascii()
            and word not in STOP
            and self.display[word].islower()
        )

    def names(self, minimum: int) -> list[str]:
        """Words mostly written with a capital (names), seen ``minimum`` times."""
        return sorted(
            word
            for word, count in self.counts.items()
            if count >= minimum
            and len(word) >= 5
            and word.isascii()
            and self.display[word][:1].isupper()
            and not self.display[word].isupper()
            and word not in STOP
        )


def fresh_typo(word: str, words: CorpusWords, rng: random.Random) -> str:
    """A typo of ``word`` that is no word of the corpus (at most 20 tries)."""
    for _ in range(20):
        wrong = typo(word, rng)
        if wrong != word and words.counts[wrong] == 0:
            return wrong
    return ""


def make_common(codespell: Path, words: CorpusWords, rng: random.Random) -> list[tuple[str, str]]:
    """Codespell pairs with one intended word that the corpus holds; one per intended word."""
    by_intended: dict[str, list[str]] = {}
    for line in codespell.read_text(encoding="utf-8").splitlines():
        wrong, _, right = line.partition("->")
        options = [part.strip() for part in right.split(",") if part.strip()]
        if len(options) != 1 or not (wrong.isalpha() and wrong.islower() and len(wrong) >= 5):
            continue
        intended = options[0]
        if not (intended.isalpha() and intended.islower() and len(intended) >= 5):
            continue
        if intended in STOP:  # never searched: a correction to it finds nothing more
            continue
        if words.counts[intended] >= MIN_INTENDED_COUNT and words.counts[wrong] <= 1:
            by_intended.setdefault(intended, []).append(wrong)
    intended = sorted(by_intended)
    weights = [words.counts[word] ** 0.5 for word in intended]
    chosen: dict[str, str] = {}
    while len(chosen) < min(COMMON_PAIRS, len(intended)):
        word = rng.choices(intended, weights)[0]
        if word not in chosen:
            chosen[word] = rng.choice(sorted(by_intended[word]))
    return sorted((wrong, word) for word, wrong in chosen.items())


def make_set(words: CorpusWords, common: list[tuple[str, str]], rng: random.Random) -> list:
    """Every (kind, query, expected) item, issue examples included."""
    items: dict[str, list[tuple[str, str]]] = {kind: [] for kind in ("common", *SIZES)}
    items["common"] = list(common)
    plain = words.plain(10)
    for word in rng.sample(plain, len(plain)):
        if len(items["typo"]) == SIZES["typo"]:
            break
        wrong = fresh_typo(word, words, rng)
        if wrong:
            items["typo"].append((wrong, word))
    names = words.names(10)
    for name in rng.sample(names, len(names)):
        if len(items["name"]) == SIZES["name"]:
            break
        wrong = fresh_typo(name, words, rng)
        if wrong:
            items["name"].append((wrong.capitalize(), words.display[name]))
    frequent = sorted(
        pair
        for pair, count in words.pairs.items()
        if count >= 10 and all(len(w) >= 4 and w.isascii() and w not in STOP for w in pair)
    )
    for first, second in rng.sample(frequent, len(frequent)):
        if len(items["pair"]) == SIZES["pair"]:
            break
        wrong = [first, second]
        for position in {rng.randrange(2), rng.randrange(2)}:
            wrong[position] = fresh_typo(wrong[position], words, rng)
        if all(wrong):
            items["pair"].append((" ".join(wrong), f"{first} {second}"))
    correct = rng.sample(words.plain(3, 4), SIZES["correct"] // 2)
    correct += [words.display[name] for name in rng.sample(words.names(3), SIZES["correct"] // 4)]
    correct += [" ".join(pair) for pair in rng.sample(frequent, SIZES["correct"] // 4)]
    items["correct"] = [(query, "") for query in correct]
    gibberish = list(MASHES)
    known = [word for word, count in words.counts.items() if count >= 2]
    while len(gibberish) < SIZES["gibberish"]:
        text = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randrange(4, 9)))
        near = process.extractOne(text, known, scorer=OSA.distance, score_cutoff=1)
        if near is None and text not in gibberish:  # not one typo away from a word
            gibberish.append(text)
    items["gibberish"] = [(text, "") for text in gibberish]
    rows = [("dev", kind, query, expected) for kind, query, expected in ISSUE_EXAMPLES]
    taken = {query for _, query, _ in ISSUE_EXAMPLES}
    for kind, pairs in items.items():
        pairs = [pair for pair in pairs if pair[0] not in taken]
        taken.update(query for query, _ in pairs)
        rng.shuffle(pairs)
        half = len(pairs) // 2
        rows += [("dev", kind, *pair) for pair in pairs[:half]]
        rows += [("test", kind, *pair) for pair in pairs[half:]]
    return rows


@click.group()
def cli() -> None:
    """Make the misspelling test set of issue 15."""


@cli.command("common")
@click.option("--codespell", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--corpus", type=click.Path(exists=True, path_type=Path), default=DEMO)
def common_command(codespell: Path, corpus: Path) -> None:
    """Sample the common misspellings from codespell's dictionary.txt."""
    pairs = make_common(codespell, CorpusWords(corpus), random.Random(SEED))
    lines = [
        "# Misspelling<TAB>intended word: a sample of codespell's dictionary.txt (CC BY-SA 3.0,",
        "# derived from Wikipedia's Lists of common misspellings); see NOTICE-misspellings.md.",
        *(f"{wrong}\t{right}" for wrong, right in pairs),
    ]
    COMMON_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo(f"wrote {len(pairs)} pairs to {COMMON_FILE}")


@cli.command("build")
@click.option("--corpus", type=click.Path(exists=True, path_type=Path), default=DEMO)
def build_command(corpus: Path) -> None:
    """Write the whole test set (common pairs, generated typos, controls)."""
    common = [
        tuple(line.split("\t"))
        for line in COMMON_FILE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    rows = make_set(CorpusWords(corpus), common, random.Random(SEED))
    header = [
        "# Misspelling test set of issue 15 (made by `python -m bench.spelling_set build`).",
        "# part<TAB>kind<TAB>query<TAB>expected (empty: no suggestion is right)",
    ]
    SET_FILE.write_text("\n".join(header + ["\t".join(row) for row in rows]) + "\n", "utf-8")
    kinds = Counter((part, kind) for part, kind, _, _ in rows)
    click.echo(f"wrote {len(rows)} queries to {SET_FILE}: {dict(sorted(kinds.items()))}")


if __name__ == "__main__":
    sys.exit(cli())
