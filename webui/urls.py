"""URLs: absolute ones from a configured public address, and article ids in paths.

**Absolute URLs** (Atom ids and links, the OpenSearch description, OpenAPI
``servers``) used to take the request's ``Host`` header verbatim, so anyone could
make the server hand out links to another site. Now:

* with ``BROADSHEET_PUBLIC_URL`` (``https://news.example.org``, or with a path
  prefix ``https://example.org/archive``) every absolute URL is built from it, and
  the ``Host`` header is never used for one;
* without it, the ``Host`` header must name one of ``BROADSHEET_TRUSTED_HOSTS``
  (comma-separated; ``.example.org`` allows its subdomains), by default
  `DEFAULT_TRUSTED_HOSTS`, the names a loopback-bound server is reached by (and
  what nginx's ``proxy_pass http://127.0.0.1:8000`` sends); a request naming any
  other host is a 400 (Flask's ``TRUSTED_HOSTS``).

**Article ids** are arbitrary text: ``/news/x``, ``../x`` or ``.`` in a URL path are
rewritten by browsers and servers (dot segments removed, slashes merged). An id
whose path segments are all plain (none empty, ``.`` or ``..``) and that holds no
``~`` is written as it is (``/articles/reuters-12``, ``/articles/news/2023/x``);
any other is written ``~`` followed by the id with ``~`` as ``~7E`` and ``/`` as
``~2F`` (``/news/x`` -> ``/articles/~~2Fnews~2Fx``), a single segment that no client
or server rewrites. Both then get the usual percent-encoding.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from werkzeug.routing import MapAdapter, PathConverter

__all__ = [
    "DEFAULT_TRUSTED_HOSTS",
    "ArticleIdConverter",
    "configure_urls",
    "decode_article_id",
    "encode_article_id",
    "external_url",
    "public_base_url",
]

DEFAULT_TRUSTED_HOSTS = ("localhost", "127.0.0.1")
_ADAPTER_KEY = "broadsheet.public_urls"
_ESCAPE = re.compile(r"~([0-9A-Fa-f]{2})")


def encode_article_id(article_id: str) -> str:
    """``article_id`` as a URL path part that every client and server keeps intact
    (before percent-encoding): itself when plain, else ``~`` + escaped."""
    if "~" not in article_id and all(part not in ("", ".", "..") for part in article_id.split("/")):
        return article_id
    return "~" + article_id.replace("~", "~7E").replace("/", "~2F")


def decode_article_id(value: str) -> str:
    """The article id a URL path part written by `encode_article_id` stands for."""
    if not value.startswith("~"):
        return value
    return _ESCAPE.sub(lambda match: chr(int(match[1], 16)), value[1:])


class ArticleIdConverter(PathConverter):
    """``<article_id:name>`` in a route: `encode_article_id` both ways."""

    def to_python(self, value: str) -> str:
        """The id from the path."""
        return decode_article_id(value)

    def to_url(self, value: str) -> str:
        """The path part for the id, percent-encoded."""
        return super().to_url(encode_article_id(value))


def _trusted_hosts(value: object) -> list[str]:
    if isinstance(value, str):
        return [name for name in re.split(r"[\s,]+", value) if name]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(name) for name in value]
    return []


def configure_urls(app: Flask) -> None:
    """Register the article id converter and apply ``PUBLIC_URL`` / ``TRUSTED_HOSTS``
    (before any route is added). Raises ValueError for a public URL that is not an
    absolute http(s) URL."""
    app.url_map.converters["article_id"] = ArticleIdConverter
    public = str(app.config.get("PUBLIC_URL") or "").strip()
    if public:
        parts = urlsplit(public)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(
                f"BROADSHEET_PUBLIC_URL must look like https://news.example.org, got {public!r}"
            )
        public = public.rstrip("/")
    app.config["PUBLIC_URL"] = public or None
    trusted = _trusted_hosts(app.config.get("TRUSTED_HOSTS"))
    if not trusted and not public:
        trusted = list(DEFAULT_TRUSTED_HOSTS)
    app.config["TRUSTED_HOSTS"] = trusted or None


def _public_adapter(app: Flask) -> MapAdapter | None:
    public = app.config.get("PUBLIC_URL")
    if not public:
        return None
    adapter = app.extensions.get(_ADAPTER_KEY)
    if adapter is None:
        parts = urlsplit(public)
        adapter = app.extensions[_ADAPTER_KEY] = app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
        )
    return adapter


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` (values not in the route become the query),
    on the public URL when one is configured, else on the (trusted) request host."""
    adapter = _public_adapter(current_app)
    if adapter is None:
        return url_for(endpoint, _external=True, **values)
    return adapter.build(endpoint, values, force_external=True)


def public_base_url() -> str:
    """This server's base URL (no trailing slash) for documents that name it."""
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")
