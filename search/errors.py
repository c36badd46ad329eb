"""Errors the search layer raises; the web layer maps them to one JSON shape."""

from __future__ import annotations


class SearchError(Exception):
    """Base class of everything `search` raises on purpose."""

    code = "search_error"


class InvalidParameter(SearchError):
    """A request parameter has a value the search cannot use."""

    code = "invalid_parameter"

    def __init__(self, param: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.message = message
        if code is not None:
            self.code = code


class IndexUnavailable(SearchError):
    """No index has been built at the configured place, or it cannot be opened."""

    code = "index_unavailable"


class IndexDamaged(IndexUnavailable):
    """Reading the served index failed on its data (a corrupt block, a truncated file):
    answered like an unavailable index, naming the generation, never as a crash."""

    code = "index_damaged"

    def __init__(self, generation: str, cause: BaseException) -> None:
        super().__init__(
            f"index generation {generation} could not be read ({type(cause).__name__}: "
            f"{str(cause)[:200]}); it may be damaged: run `python -m indexer check` and "
            "rebuild it"
        )
        self.generation = generation
        self.cause = cause


class SearchTimedOut(SearchError):
    """A search ran out of its time budget before anything useful was found
    (answered 503; a search cut later answers what it found instead)."""

    code = "search_timeout"

    def __init__(self, step: str, seconds: float | None) -> None:
        limit = f"{seconds:g} s" if seconds is not None else "its time limit"
        super().__init__(
            f"the search took longer than {limit} (stopped during {step}); "
            "a narrower query is faster"
        )
        self.step = step
        self.seconds = seconds
