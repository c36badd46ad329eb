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
