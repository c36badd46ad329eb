"""A seeded synthetic news corpus: Zipfian vocabulary, names, tags, sources and dates.

Article ``i`` depends only on ``(seed, i)``, so the corpus of 10,000 articles is a
prefix of the corpus of 200,000: growth measurements compare like with like, and
a query set derived from the small corpus stays meaningful for the large ones.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from corpus.article import Article

DEFAULT_SEED = 20_250_101
VOCABULARY_SIZE = 30_000
ZIPF_EXPONENT = 1.07

#: The most frequent words of English news text, most frequent first (Zipf's head).
FUNCTION_WORDS = (
    "the of to and a in that for is on said was with he it as at by from his be have "
    "has are an not but were they this had its been which will their who would after "
    "more also year new two up people than over first about government last one into "
    "percent could time other some years million state when can told out most week "
    "under while against before there during three since officials"
).split()
_ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pr tr st sp ch sh th pl cl".split()
_VOWELS = "a e i o u ai ea ou io".split()
_CODAS = ["", "", "n", "r", "s", "l", "t", "nd", "rt", "st", "ck", "m"]
_SUFFIXES = ["", "", "", "s", "ed", "ing", "er", "ion", "ly", "ment"]
SOURCES_COUNT = 24
TAGS_COUNT = 400
PEOPLE_COUNT = 3_000
EPOCH = datetime(1995, 1, 1, tzinfo=UTC)
SPAN_DAYS = 30 * 365


def _pseudo_word(rng: random.Random) -> str:
    """A pronounceable word of 1-3 syllables with a common suffix."""
    syllables = rng.choice((1, 1, 2, 2, 2, 3))
    stem = "".join(
        rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
    )
    return stem + rng.choice(_SUFFIXES)


def _distinct_words(rng: random.Random, count: int, exclude: set[str]) -> list[str]:
    """``count`` new distinct words of 3+ letters, none in ``exclude``."""
    words: list[str] = []
    seen = set(exclude)
    while len(words) < count:
        word = _pseudo_word(rng)
        if len(word) >= 3 and word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _zipf_cumulative(count: int, exponent: float) -> list[float]:
    """Cumulative Zipf weights for ``random.choices``."""
    return list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, count + 1)))


class SyntheticCorpus:
    """Deterministic generator; `articles(n)` yields the first ``n`` articles."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        """Draw the vocabulary, names, tags and sources from the seed."""
        self.seed = seed
        rng = random.Random(seed)
        content = _distinct_words(rng, VOCABULARY_SIZE - len(FUNCTION_WORDS), set(FUNCTION_WORDS))
        content.sort(key=len)  # shorter words are the more frequent ones (Zipf's brevity law)
        self.vocabulary = FUNCTION_WORDS + content
        self.word_weights = _zipf_cumulative(len(self.vocabulary), ZIPF_EXPONENT)
        self.title_words = content  # titles skip function words
        self.title_weights = _zipf_cumulative(len(content), ZIPF_EXPONENT)
        first = [w.capitalize() for w in _distinct_words(rng, 400, set(self.vocabulary))]
        last = [w.capitalize() for w in _distinct_words(rng, 900, set(self.vocabulary))]
        self.people = [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(PEOPLE_COUNT)]
        self.people_weights = _zipf_cumulative(PEOPLE_COUNT, 1.0)
        self.tags = [
            " ".join(w.capitalize() for w in rng.sample(content[200:3000], rng.choice((1, 2))))
            for _ in range(TAGS_COUNT)
        ]
        self.tag_weights = _zipf_cumulative(TAGS_COUNT, 1.1)
        self.sources = [
            f"The {rng.choice(content[:2000]).capitalize()} {kind}"
            for kind in itertools.islice(
                itertools.cycle(("Times", "Herald", "Post", "Wire", "Gazette", "Tribune")),
                SOURCES_COUNT,
            )
        ]
        self.source_weights = _zipf_cumulative(SOURCES_COUNT, 1.2)

    def _sentence(self, rng: random.Random) -> str:
        """One sentence: Zipfian words, sometimes a person."""
        words = rng.choices(self.vocabulary, cum_weights=self.word_weights, k=rng.randint(8, 26))
        if rng.random() < 0.35:
            person = rng.choices(self.people, cum_weights=self.people_weights)[0]
            words.insert(rng.randrange(len(words) + 1), person)
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def article(self, index: int) -> Article:
        """The article number ``index`` (0-based) of this seed."""
        rng = random.Random(self.seed * 1_000_003 + index)
        title_words = rng.choices(
            self.title_words, cum_weights=self.title_weights, k=rng.randint(5, 10)
        )
        if rng.random() < 0.3:
            person = rng.choices(self.people, cum_weights=self.people_weights)[0]
            title_words.insert(rng.randrange(len(title_words) + 1), person)
        title = " ".join(dict.fromkeys(title_words))
        title = title[0].upper() + title[1:]
        paragraphs = []
        # Log-normal body length: median about 230 words, a long tail of features.
        target = int(min(4000, max(40, rng.lognormvariate(5.45, 0.6))))
        words = 0
        while words < target:
            sentences = [self._sentence(rng) for _ in range(rng.randint(1, 4))]
            paragraph = " ".join(sentences)
            words += paragraph.count(" ") + 1
            paragraphs.append(paragraph)
        tags = tuple(
            dict.fromkeys(
                rng.choices(self.tags, cum_weights=self.tag_weights, k=rng.choice((1, 1, 2, 3, 4)))
            )
        )
        source = rng.choices(self.sources, cum_weights=self.source_weights)[0]
        # Later years carry more articles, as news archives do.
        day = int(SPAN_DAYS * (rng.random() ** 0.7))
        date = EPOCH + timedelta(days=day, seconds=rng.randrange(86_400))
        return Article(
            id=f"syn-{index}",
            title=title,
            body="\n\n".join(paragraphs),
            date=date,
            tags=tags,
            source=source,
            url=f"https://news.example/syn/{index}",
            author=rng.choices(self.people, cum_weights=self.people_weights)[0],
            views=int(rng.paretovariate(1.2) * 100),
            origin=f"synthetic:{self.seed}#{index}",
            language="en",
        )

    def articles(self, count: int) -> Iterator[Article]:
        """The first ``count`` articles."""
        for index in range(count):
            yield self.article(index)
