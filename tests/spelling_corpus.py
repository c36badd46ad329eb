"""A small corpus with known word and pair counts, for the spelling and autocomplete tests.

Counts that the tests rely on (title and body together):
"minister" far more often than "minster" (only in "York Minster") and "monster";
"prime minister" a frequent pair; "china" alone more frequent than "change", but
"climate change" far more frequent than "climate china"; "New York" written with
capitals while "new" alone is lower case; "hurricane" and "election" frequent;
"Kerry" a name in a few articles; one article (tag "Typos") misspells "hurricaine".
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from corpus.article import Article

DAY = datetime(2020, 3, 1, tzinfo=UTC)


#: Words that make each article's body its own story (no two are near-duplicates).
FILLER = (
    "harbour council storm market trade budget river bridge school festival vote rail "
    "strike court museum hospital farmer drought energy wind solar port ferry police fire "
    "mayor league final season coach factory export import bank"
).split()


def _article(number: int, title: str, body: str, tags: tuple[str, ...] = ()) -> Article:
    rng = random.Random(number)
    filler = " ".join(rng.choice(FILLER) + str(rng.randrange(1000)) for _ in range(30))
    return Article(id=f"s-{number:03d}", title=title, body=f"{body} {filler}", date=DAY, tags=tags)


def spelling_articles() -> list[Article]:
    """About 60 articles; see the module docstring for what they hold."""
    articles: list[Article] = []
    add = articles.append
    for i in range(12):
        add(
            _article(
                len(articles),
                f"Prime minister visits harbour {i}",
                "The prime minister said the budget would pass. The minister for trade agreed. "
                f"A new plan was announced on day {i}, and a new school opened.",
                ("Politics",),
            )
        )
    for i in range(10):
        add(
            _article(
                len(articles),
                f"Climate change report {i}",
                "Scientists warned that climate change is speeding up. "
                "China and India signed the climate change accord. China exports grew.",
                ("Environment",),
            )
        )
    for i in range(2):
        add(
            _article(
                len(articles),
                f"Climate China talks {i}",
                "The climate China talks ended. China said the talks were useful.",
            )
        )
    for i in range(8):
        add(
            _article(
                len(articles),
                f"Markets in New York {i}",
                "Shares rose in New York on Monday. New York traders bought a new stake in China.",
                ("Economy",),
            )
        )
    for i in range(8):
        add(
            _article(
                len(articles),
                f"Hurricane season {i}",
                "The hurricane hit the coast. The hurricane season began early this election "
                "year, and the election was delayed.",
                ("Weather",),
            )
        )
    for i in range(3):
        add(
            _article(
                len(articles),
                f"York Minster restored {i}",
                "York Minster reopened after repairs. A monster storm had damaged the roof.",
            )
        )
    for i in range(4):
        add(
            _article(
                len(articles),
                f"Senator Kerry campaigns {i}",
                "Senator Kerry spoke about the election and the hurricane relief.",
                ("Politics",),
            )
        )
    add(
        _article(
            len(articles),
            "Storm warning for the islands",
            "A hurricaine warning was issued on the islands.",
            ("Typos",),
        )
    )
    return articles
