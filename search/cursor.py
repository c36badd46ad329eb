"""Cursor paging: an opaque token that says where the next page of a search starts.

Paging by ``page`` stops at result `search.models.MAX_WINDOW`; a client that walks
through every result follows ``next_cursor`` instead (as with Elasticsearch's
``search_after`` or Solr's ``cursorMark``). A cursor holds three things, base64url
encoded JSON: the index snapshot the answer came from (`SearchResponse.version`),
the position of the next page's first hit, and a fingerprint of the search (its
query, filters, sort and switches; not its page size). The ordering of one snapshot
is fixed (ties are broken by document number or id), so pages made from cursors of
one snapshot never repeat or skip an article. A cursor from another snapshot (the
index was rebuilt or updated meanwhile) is refused with ``cursor_expired``; one from
another search with ``invalid_cursor``: start again from the first page.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json

from search.errors import InvalidParameter
from search.models import SearchRequest, SearchResponse

__all__ = ["check_version", "decode_cursor", "fingerprint", "next_cursor", "request_at_cursor"]

#: What a cursor's position may be at most (a sanity bound on decoded numbers).
_LARGEST_POSITION = 10**12
#: Request fields that do not change which articles are listed, nor their order.
_PAGE_FIELDS = ("page", "per_page", "start", "snippets", "facets")


def fingerprint(request: SearchRequest) -> str:
    """A short digest of what ``request`` lists and in which order (not the page)."""
    described = {
        field.name: getattr(request, field.name)
        for field in dataclasses.fields(request)
        if field.name not in _PAGE_FIELDS
    }
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _encode(version: str, position: int, request: SearchRequest) -> str:
    payload = {"v": version, "p": position, "f": fingerprint(request)}
    raw = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def next_cursor(response: SearchResponse) -> str | None:
    """The cursor of the page after ``response``'s, or None: no page follows, the
    backend has no snapshot token, or the counts are incomplete (a search cut short)."""
    request = response.request
    following = request.first + len(response.hits)
    if not response.version or not response.total_exact or not response.hits:
        return None
    if following >= response.total:
        return None
    return _encode(response.version, following, request)


def decode_cursor(cursor: str, request: SearchRequest) -> tuple[str, int]:
    """The snapshot version and position ``cursor`` holds; `InvalidParameter`
    (``invalid_cursor``) when it is not a cursor of this search."""
    padded = cursor.strip() + "=" * (-len(cursor.strip()) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        version, position, digest = payload["v"], payload["p"], payload["f"]
    except (ValueError, UnicodeError, binascii.Error, KeyError, TypeError):
        raise InvalidParameter(
            "cursor", "cursor is not a cursor Broadsheet made", "invalid_cursor"
        ) from None
    if not isinstance(version, str) or not isinstance(position, int) or isinstance(position, bool):
        raise InvalidParameter("cursor", "cursor is not a cursor Broadsheet made", "invalid_cursor")
    if not 0 <= position <= _LARGEST_POSITION:
        raise InvalidParameter("cursor", "cursor is not a cursor Broadsheet made", "invalid_cursor")
    if digest != fingerprint(request):
        raise InvalidParameter(
            "cursor",
            "cursor belongs to another search (query, filters, sort or switches differ); "
            "send the same parameters as the search it came from",
            "invalid_cursor",
        )
    return version, position


def request_at_cursor(request: SearchRequest, cursor: str) -> tuple[SearchRequest, str]:
    """``request`` starting where ``cursor`` says, and the snapshot version the answer
    must come from (see `check_version`)."""
    version, position = decode_cursor(cursor, request)
    return dataclasses.replace(request, start=position, page=1), version


def check_version(response: SearchResponse, version: str) -> None:
    """Raise `InvalidParameter` (``cursor_expired``) when ``response`` came from
    another index snapshot than the cursor's."""
    if response.version != version:
        raise InvalidParameter(
            "cursor",
            "the index changed since this cursor was made (rebuilt or updated); start "
            "again from the first page",
            "cursor_expired",
        )
