"""Ranking: the optional recency boost, and the sort orders.

Relevance itself (BM25F, its parameters) is `search.relevance`. Ties in score
are broken by index order (document number), so within one index snapshot a
page boundary never repeats or skips an article; the date and views sorts end in
the article id for the same reason.

The recency boost multiplies a document's score by
``1 + RECENCY_WEIGHT * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)``, where the
age is counted back from the request time or the newest article in the index,
whichever is earlier (so an archive that ended years ago still has a "recent").
An exact title match on an old article still beats a weak match on a new one,
since the boost is at most ``1 + RECENCY_WEIGHT``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence, Set
from datetime import UTC, datetime

import numpy as np
from whoosh import collectors, sorting
from whoosh import query as wq
from whoosh.searching import Results, Searcher, TimeLimit

from search.deadline import Deadline
from search.relevance import DEFAULT_RANKING, RankingParams
from search.whoosh.weighting import WhooshBM25

#: At most this factor is added to the score of an article dated at the reference time.
RECENCY_WEIGHT = 0.5
RECENCY_HALF_LIFE_DAYS = 180.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def day_number(value: datetime) -> int:
    """Days since 1970-01-01 UTC."""
    return (value.astimezone(UTC) - _EPOCH).days


class RecencyBM25F(WhooshBM25):
    """Whoosh's weighting (`search.whoosh.weighting.relevance_model`) whose final score is
    multiplied by a recency factor per document."""

    use_final = True

    def __init__(
        self,
        days: Sequence[int] | np.ndarray,
        reference_day: int,
        params: RankingParams = DEFAULT_RANKING,
    ) -> None:
        super().__init__(B=params.default_b, K1=params.k1, **params.whoosh_b())
        self.days = days
        self.reference_day = reference_day

    def final(self, searcher: Searcher, docnum: int, score: float) -> float:
        """``score`` times the recency factor of ``docnum`` (1 when undated)."""
        day = self.days[docnum]
        if day < 0:
            return score
        age = max(0, self.reference_day - day)
        return score * (1.0 + RECENCY_WEIGHT * 0.5 ** (age / RECENCY_HALF_LIFE_DAYS))

    def factors(self, docs: np.ndarray) -> np.ndarray:
        """The recency factor of each of ``docs`` (1 when undated), as `final` applies."""
        days = np.asarray(self.days)[docs]
        age = np.maximum(0, self.reference_day - days)
        boost = 1.0 + RECENCY_WEIGHT * 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)
        return np.where(days < 0, 1.0, boost)


def recency_model(
    days: Sequence[int] | np.ndarray,
    newest_day: int,
    now: datetime,
    params: RankingParams = DEFAULT_RANKING,
) -> RecencyBM25F:
    """The recency-boosted weighting for a request made at ``now``."""
    reference = day_number(now) if newest_day < 0 else min(day_number(now), newest_day)
    return RecencyBM25F(days, reference, params)


def sort_facet(sort: str) -> sorting.FacetType | None:
    """Whoosh sort keys for a sort name; None means by score (relevance)."""
    tie_break = sorting.FieldFacet("id")
    dated_first = sorting.FieldFacet("dated", reverse=True)
    if sort == "newest":
        return sorting.MultiFacet(
            [dated_first, sorting.FieldFacet("date", reverse=True), tie_break]
        )
    if sort == "oldest":
        return sorting.MultiFacet([dated_first, sorting.FieldFacet("date"), tie_break])
    if sort == "views":
        return sorting.MultiFacet([sorting.FieldFacet("views", reverse=True), tie_break])
    return None


class AllowCollector(collectors.WrappingCollector):
    """Passes on only the documents in ``allow`` (global document numbers).

    Whoosh's own ``filter=`` wraps outside its collapse collector and so switches
    collapsing off; this one sits inside it.
    """

    def __init__(self, child: collectors.Collector, allow: Set[int]) -> None:
        super().__init__(child)
        self.allow = allow

    def matches(self) -> Iterator[int]:
        """The child's matches that are allowed (segment-relative numbers)."""
        allow, offset = self.allow, self.offset
        for sub_docnum in self.child.matches():
            if offset + sub_docnum in allow:
                yield sub_docnum


class DeadlineCollector(collectors.WrappingCollector):
    """Ends the collection (Whoosh's ``TimeLimit``) once ``deadline`` passes (recorded
    as a cut of the ranking); innermost, so the allow and collapse collectors around
    it still work."""

    def __init__(self, child: collectors.Collector, deadline: Deadline) -> None:
        super().__init__(child)
        self.deadline = deadline

    def matches(self) -> Iterator[int]:
        """The child's matches until the deadline (checked every 256 documents)."""
        for count, docnum in enumerate(self.child.matches()):
            if not count & 255 and self.deadline.stop_here("ranking"):
                raise TimeLimit
            yield docnum


def ranked(
    searcher: Searcher,
    query: wq.Query,
    limit: int | None,
    sort: str,
    allow: Set[int] | None = None,
    collapse_key: Callable[[int], int] | None = None,
    deadline: Deadline | None = None,
) -> Results:
    """The top ``limit`` (None: all) documents of ``query`` in ``sort`` order, only those in
    ``allow`` (when given), one per ``collapse_key`` value (0 = never collapsed): the
    same first documents whatever ``limit`` (ties to the lower document number).
    Past ``deadline``, the best found so far."""
    facet = sort_facet(sort)
    if facet is None:
        # Whoosh's matcher replacement and block-quality skipping trust each matcher's
        # maximum score, which is not a bound for every query under this weighting: with
        # ANDMAYBE they dropped matches scoring above ones kept, so a page of 7 and the
        # first 7 of a page of 14 differed (pages repeated and skipped articles).
        collector: collectors.Collector = (
            collectors.TopCollector(limit, usequality=False, replace=0)
            if limit is not None
            else collectors.UnlimitedCollector()
        )
    else:
        collector = searcher.collector(limit=limit, sortedby=facet)
    if deadline is not None:
        collector = DeadlineCollector(collector, deadline)
    if allow is not None:
        collector = AllowCollector(collector, allow)
    if collapse_key is not None:
        facet = sorting.FunctionFacet(lambda _searcher, docnum: collapse_key(docnum))
        collector = collectors.CollapseCollector(collector, facet, limit=1)
    try:
        searcher.search_with_collector(query, collector)
    except TimeLimit:
        pass  # the caller sees the deadline passed and says the results are partial
    return collector.results()
