"""The indices behind the OpenSearch alias a search service reads.

A rebuild moves the alias to new indices (one per year, `indexer.opensearch.schema`),
and an operator may close a year's index to save memory. `AliasIndices` looks up
which indices are behind the alias and which of them are open at most every
`ALIAS_TTL` seconds, and answers what a read should address: the alias itself, or
its open indices while some are closed (OpenSearch refuses a search that reaches a
closed index), or only the years a search's date bounds reach.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from indexer.opensearch.schema import index_years
from search.models import SearchRequest
from search.opensearch.query import OpenSearchQuery
from search.opensearch.requests import wanted_years

#: Seconds the alias' indices are remembered before they are looked up again.
ALIAS_TTL = 5.0


class AliasIndices:
    """The open and closed indices behind ``alias``, remembered `ALIAS_TTL` seconds.

    ``call`` is the service's transport (`OpenSearchSearchService.call`: OpenSearch's
    errors as Broadsheet's); the remembered lookup is one tuple, replaced whole, so
    threads may share it.
    """

    def __init__(self, alias: str, client: Any, call: Callable[..., Any]) -> None:
        self.alias = alias
        self._client = client
        self._call = call
        self._seen: tuple[float, tuple[str, ...], tuple[str, ...]] = (0.0, (), ())

    def _lookup(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The open and the closed indices behind the alias (remembered `ALIAS_TTL` s)."""
        checked, opened, closed = self._seen
        if (opened or closed) and time.monotonic() - checked < ALIAS_TTL:
            return opened, closed
        found = sorted(self._call("alias lookup", self._client.indices.get_alias, name=self.alias))
        rows = self._call(
            "index lookup",
            self._client.cat.indices,
            index=",".join(found),
            params={"h": "index,status", "format": "json", "expand_wildcards": "all"},
        )
        shut = {row["index"] for row in rows if row.get("status") == "close"}
        opened = tuple(name for name in found if name not in shut)
        closed = tuple(name for name in found if name in shut)
        self._seen = (time.monotonic(), opened, closed)
        return opened, closed

    def forget(self) -> None:
        """Look the alias' indices up again on the next read (after a rebuild, or a
        year closed or opened)."""
        self._seen = (0.0, (), ())

    def opened(self) -> tuple[str, ...]:
        """The open indices behind the alias (a year closed to save memory is left out)."""
        return self._lookup()[0]

    def readable(self) -> str:
        """What reads address: the alias, or its open indices while some are closed."""
        opened, closed = self._lookup()
        return ",".join(opened) if closed and opened else self.alias

    def closed_notices(self) -> tuple[str, ...]:
        """A notice naming the closed years behind the alias (none when all are open)."""
        closed = self._lookup()[1]
        if not closed:
            return ()
        years = sorted(years_label(index_years(name)) for name in closed)
        return (
            f"The articles of these years are in closed (archived) indices and were not "
            f"searched: {', '.join(years)}; reopen them to search them.",
        )

    def for_search(self, request: SearchRequest, query: OpenSearchQuery) -> str:
        """The indices a search needs: those of the years its date bounds reach, and
        its year selection when no facet is counted (undated articles only when
        nothing names years)."""
        needed = wanted_years(request, query, use_selection=not request.facets)
        if needed is None:
            return self.readable()
        chosen = [name for name in self.opened() if needed(index_years(name))]
        # None at all: the alias still answers (nothing matches, with the right shape).
        return ",".join(chosen) if chosen else self.readable()


def years_label(years: tuple[int, int] | None) -> str:
    """``2021``, ``1990-1999`` or ``undated``: the years of an index, as notices name them."""
    if years is None:
        return "undated"
    first, last = years
    return f"{first:04d}" if first == last else f"{first:04d}-{last:04d}"


__all__ = ["ALIAS_TTL", "AliasIndices", "years_label"]
