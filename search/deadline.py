"""A request's time budget, checked cooperatively by every step whose work grows.

gunicorn's gthread workers are never killed for a slow request (the worker's main
loop keeps beating while a thread computes), so the only bound on a search is the
search itself. One `Deadline` is made per request (``BROADSHEET_SEARCH_TIME_LIMIT``
seconds from the moment the search starts computing) and passed down to each step
whose work depends on the query or the index: parsing and wildcard expansion,
matching, facet counting, ranking, snippets, did-you-mean, autocomplete and related
articles. Every loop among them asks the deadline now and then:

* a step that can answer with part of its work (a wildcard's expansions, phrase
  checks, the date and views sorts, snippets, suggestions) stops, and records its
  name with `stop_here`, so that the response says what was cut (``total_exact``
  false when counts or results are affected, and a notice);
* a step without which nothing useful can be answered (matching the query)
  raises `SearchTimedOut`, answered 503 in the JSON error shape.

Checks are cheap (one clock read), so loops check every item or every few hundred.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from search.errors import SearchTimedOut

__all__ = ["RESULT_STEPS", "Deadline"]

T = TypeVar("T")

#: Steps whose cut makes the total, the facets or the ranked results incomplete (the
#: others, such as snippets and suggestions, only make the answer plainer).
RESULT_STEPS = frozenset({"wildcard expansion", "matching", "phrase checks", "facets", "ranking"})


class Deadline:
    """A moment after which work stops, and the steps that were cut by it.

    ``seconds`` None means no limit. ``clock`` is the time source
    (``time.perf_counter``; a test may pass its own).
    """

    __slots__ = ("_clock", "_ends", "seconds", "stopped")

    def __init__(
        self, seconds: float | None, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._ends = None if seconds is None else clock() + max(0.0, seconds)
        #: Names of the steps that stopped early, in order, without repeats.
        self.stopped: list[str] = []

    @classmethod
    def unlimited(cls) -> Deadline:
        """A deadline that never passes."""
        return cls(None)

    def part(self, share: float) -> Deadline:
        """A deadline ending after ``share`` of the time left (never after this one),
        recording its cuts here too: a step that may take part of the budget, so that
        the steps after it still get the rest."""
        child = Deadline(None, self._clock)
        if self._ends is not None:
            now = self._clock()
            child._ends = now + max(0.0, self._ends - now) * share
            child.seconds = child._ends - now
        child.stopped = self.stopped
        return child

    def at_least(self, share: float) -> Deadline:
        """A deadline ending at this one, or ``share`` of this one's whole time from now
        if that is later (recording its cuts here too): for a step that must be given a
        chance even when the steps before it used the time up."""
        child = self.part(1.0)
        if self._ends is not None and self.seconds is not None:
            child._ends = max(self._ends, self._clock() + self.seconds * share)
            child.seconds = self.seconds  # (a timeout names the request's limit)
        return child

    def remaining(self) -> float:
        """Seconds left (infinite without a limit, 0 once passed)."""
        if self._ends is None:
            return float("inf")
        return max(0.0, self._ends - self._clock())

    def expired(self) -> bool:
        """True once the deadline has passed."""
        return self._ends is not None and self._clock() >= self._ends

    def stop_here(self, step: str) -> bool:
        """True (and ``step`` recorded as cut) once the deadline has passed: the
        caller stops and answers with what it has."""
        if not self.expired():
            return False
        self.cut(step)
        return True

    def cut(self, step: str) -> None:
        """Record that ``step`` stopped before finishing."""
        if step not in self.stopped:
            self.stopped.append(step)

    def check(self, step: str) -> None:
        """Raise `SearchTimedOut` naming ``step`` once the deadline has passed (for a
        step without which nothing useful can be answered)."""
        if self.expired():
            raise SearchTimedOut(step, self.seconds)

    def until(self, items: Iterable[T], step: str, every: int = 64) -> Iterator[T]:
        """``items`` until the deadline passes (asked before the first item and then
        every ``every`` items); a cut is recorded under ``step``."""
        for count, item in enumerate(items):
            if not count % every and self.stop_here(step):
                return
            yield item

    @property
    def results_cut(self) -> bool:
        """Whether a cut step left the total, facets or ranked results incomplete."""
        return any(step in RESULT_STEPS for step in self.stopped)
