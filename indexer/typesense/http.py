"""A small Typesense HTTP client with node failover, on httpx.

Broadsheet uses a dozen endpoints of Typesense's REST API. The official ``typesense``
client (2.x) targets servers v30+ and emits a DeprecationWarning on every collection
access against the 0.24 API used here, which the test suite (warnings are errors)
cannot take; this client does just what Broadsheet needs:

- every request tries the nodes in turn, starting with the next one round-robin;
  a node that fails to connect (or answers 503) is skipped for `RETRY_AFTER` seconds;
- errors become `TypesenseError` subclasses: `NotFound` (404), `BadRequest` (400,
  409, 422), `Unreachable` (no node answered).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import httpx

from indexer.errors import IndexerError

#: Seconds a node that failed is skipped before being tried again.
RETRY_AFTER = 2.0


class TypesenseError(IndexerError, RuntimeError):
    """Typesense answered with an error, or could not be reached."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class NotFound(TypesenseError):
    """404: no such collection, alias or document."""


class BadRequest(TypesenseError):
    """400/409/422: Typesense refused the request (syntax, conflict, bad value)."""


class Unreachable(TypesenseError):
    """No node answered (all down, or no Raft leader yet)."""


def _error_for(status: int, message: str) -> TypesenseError:
    if status == 404:
        return NotFound(message, status)
    if status in (400, 409, 422):
        return BadRequest(message, status)
    return TypesenseError(message, status)


class TypesenseHttp:
    """Requests to a list of nodes (``[{"host", "port", "protocol"}]``), failing over."""

    def __init__(self, nodes: list[dict[str, Any]], api_key: str, timeout: float = 5.0) -> None:
        self.nodes = [f"{node['protocol']}://{node['host']}:{node['port']}" for node in nodes]
        self._http = httpx.Client(headers={"X-TYPESENSE-API-KEY": api_key}, timeout=timeout)
        self._skip_until = [0.0] * len(self.nodes)
        self._next = itertools.count()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _order(self) -> list[int]:
        with self._lock:
            start = next(self._next) % len(self.nodes)
        order = [(start + offset) % len(self.nodes) for offset in range(len(self.nodes))]
        now = time.monotonic()
        fresh = [index for index in order if self._skip_until[index] <= now]
        return fresh + [index for index in order if index not in fresh]

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        content: str | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON (or text for JSONL answers)."""
        last_error = "no node configured"
        for index in self._order():
            url = self.nodes[index] + path
            try:
                response = self._http.request(
                    method, url, params=_params(params), json=json_body, content=content
                )
            except httpx.TransportError as error:
                self._skip_until[index] = time.monotonic() + RETRY_AFTER
                last_error = f"{self.nodes[index]}: {error.__class__.__name__}: {error}"
                continue
            if response.status_code == 503:
                self._skip_until[index] = time.monotonic() + RETRY_AFTER
                last_error = f"{self.nodes[index]}: 503 {response.text[:200]}"
                continue
            if response.status_code >= 400:
                try:
                    message = response.json().get("message", response.text)
                except ValueError:
                    message = response.text
                raise _error_for(response.status_code, f"{response.status_code} {message}")
            if "json" in response.headers.get("content-type", ""):
                return response.json()
            return response.text
        raise Unreachable(f"no Typesense node answered ({last_error})")

    # -- the endpoints Broadsheet uses ---------------------------------------------

    def health(self, node: int) -> bool:
        """``GET /health`` of one node (no failover)."""
        try:
            return bool(self._http.get(self.nodes[node] + "/health", timeout=1.0).json()["ok"])
        except (httpx.HTTPError, ValueError, KeyError):
            return False

    def create_collection(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``POST /collections``."""
        answer: dict[str, Any] = self.request("POST", "/collections", json_body=schema)
        return answer

    def collection(self, name: str) -> dict[str, Any]:
        """``GET /collections/NAME`` (an alias works too)."""
        answer: dict[str, Any] = self.request("GET", f"/collections/{_seg(name)}")
        return answer

    def collections(self) -> list[dict[str, Any]]:
        """``GET /collections``."""
        answer: list[dict[str, Any]] = self.request("GET", "/collections")
        return answer

    def drop_collection(self, name: str) -> None:
        """``DELETE /collections/NAME``; no error when it does not exist."""
        try:
            self.request("DELETE", f"/collections/{_seg(name)}")
        except NotFound:
            pass

    def alias_target(self, alias: str) -> str | None:
        """The collection an alias points at, or None."""
        try:
            target: str = self.request("GET", f"/aliases/{_seg(alias)}")["collection_name"]
            return target
        except NotFound:
            return None

    def upsert_alias(self, alias: str, collection: str) -> None:
        """``PUT /aliases/ALIAS`` (atomic switch)."""
        self.request("PUT", f"/aliases/{_seg(alias)}", json_body={"collection_name": collection})

    def import_documents(
        self, collection: str, documents: Iterable[dict[str, Any]], action: str = "upsert"
    ) -> list[dict[str, Any]]:
        """``POST /collections/NAME/documents/import`` (JSONL); one result per document."""
        body = "\n".join(json.dumps(document, ensure_ascii=False) for document in documents)
        text = self.request(
            "POST",
            f"/collections/{_seg(collection)}/documents/import",
            params={"action": action},
            content=body,
        )
        if isinstance(text, list | dict):
            text = json.dumps(text)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def document(self, collection: str, document_id: str) -> dict[str, Any]:
        """``GET /collections/NAME/documents/ID``."""
        path = f"/collections/{_seg(collection)}/documents/{_seg(document_id)}"
        answer: dict[str, Any] = self.request("GET", path)
        return answer

    def delete_document(self, collection: str, document_id: str) -> None:
        """``DELETE /collections/NAME/documents/ID``."""
        self.request("DELETE", f"/collections/{_seg(collection)}/documents/{_seg(document_id)}")

    def delete_by_filter(self, collection: str, filter_by: str) -> int:
        """``DELETE /collections/NAME/documents?filter_by=...``; the number deleted."""
        answer = self.request(
            "DELETE", f"/collections/{_seg(collection)}/documents", params={"filter_by": filter_by}
        )
        return int(answer.get("num_deleted", 0))

    def multi_search(self, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``POST /multi_search``: one result (or ``{"error", "code"}``) per search."""
        body = {"searches": searches}
        results: list[dict[str, Any]] = self.request("POST", "/multi_search", json_body=body)[
            "results"
        ]
        return results


def _seg(value: str) -> str:
    return quote(value, safe="")


def _params(params: dict[str, Any] | None) -> dict[str, str] | None:
    if params is None:
        return None
    return {
        key: ("true" if value is True else "false" if value is False else str(value))
        for key, value in params.items()
    }
