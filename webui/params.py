"""HTTP query arguments to a `SearchRequest`, made from the one parameter table.

The parameters, their kinds and limits are `search.parameters.PARAMETERS`; this module
only reads Werkzeug's arguments. Every parser raises `search.InvalidParameter` naming
the parameter, which the web layer answers with a 400 in the one JSON error shape (or
an HTML message).
"""

from __future__ import annotations

from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from search import InvalidParameter, SearchRequest
from search.parameters import API_SEARCH, SEARCH, names_of, parse_request

#: Parameters of ``/search``, ``/api/search`` and ``/search.atom``.
SEARCH_PARAMS = names_of(SEARCH)
#: Parameters of ``/api/search``: those and the cursor.
API_SEARCH_PARAMS = SEARCH_PARAMS + names_of(API_SEARCH)


def reject_unknown(args: MultiDict[str, str], known: tuple[str, ...]) -> None:
    """Raise `InvalidParameter` naming the first parameter not in ``known`` (the API
    answers a misspelt or unsupported parameter, ``fields=`` or ``format=csv``, with a
    400 rather than ignoring it; the HTML page ignores them)."""
    for name in args:
        if name not in known:
            allowed = ", ".join(known) or "none"
            raise InvalidParameter(
                name, f"unknown parameter {name[:40]!r} (accepted: {allowed})", "unknown_parameter"
            )


def request_values(args: MultiDict[str, str]) -> dict[str, list[str]]:
    """Every argument's values, by name."""
    return {name: args.getlist(name) for name in args}


def request_to_search_request(
    args: MultiDict[str, str], now: datetime | None = None
) -> SearchRequest:
    """Build the `SearchRequest` for ``/search`` and ``/api/search`` arguments."""
    return parse_request(request_values(args), now or datetime.now(UTC))
