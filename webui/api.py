"""JSON API under ``/api/``: search, single articles, suggestions and the OpenAPI document.

Every answer is JSON, errors included (`webui.errors`); GET is open to any origin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from search.cursor import check_version, next_cursor, request_at_cursor
from search.errors import InvalidParameter
from search.parameters import SUGGEST, names_of, parse_arguments
from webui import SERVICE_KEY
from webui.openapi import openapi_document
from webui.ops import note_search_time
from webui.params import (
    API_SEARCH_PARAMS,
    reject_unknown,
    request_to_search_request,
    request_values,
)
from webui.urls import public_base_url

bp = Blueprint("api", __name__, url_prefix="/api")

#: Suggestions returned by /api/suggest at most.
SUGGEST_LIMIT = 10
RELATED_LIMIT = 5


@bp.get("/search")
def search() -> Response:
    """Search; see README "JSON API" and /api/openapi.json for the contract."""
    reject_unknown(request.args, API_SEARCH_PARAMS)
    service = current_app.extensions[SERVICE_KEY]
    asked = request_to_search_request(request.args)
    cursor = request.args.get("cursor", "").strip()
    if cursor:
        if "page" in request.args:
            raise InvalidParameter(
                "page", "page and cursor cannot be combined: the cursor says where to go on"
            )
        asked, version = request_at_cursor(asked, cursor)
        response = service.search(asked)
        check_version(response, version)
    else:
        response = service.search(asked)
    note_search_time(response.took_ms)
    data = response.to_json_dict()
    data["next_cursor"] = next_cursor(response)
    return jsonify(data)


def article_json(article: Any, related: tuple[Any, ...]) -> dict[str, Any]:
    """The ``/api/articles/<id>`` shape: the article (without its server-side origin)
    and its related articles as search hits."""
    data: dict[str, Any] = article.to_json_dict()
    data.pop("origin", None)
    data["related"] = [hit.to_json_dict() for hit in related]
    return data


@bp.get("/articles/<article_id:article_id>")
def article(article_id: str) -> Response:
    """One stored article with its related articles; 404 in the JSON error shape."""
    reject_unknown(request.args, ())
    service = current_app.extensions[SERVICE_KEY]
    found = service.get_article(article_id)
    if found is None:
        abort(404, description=f"no article with id {article_id!r}")
    return jsonify(article_json(found, service.related(article_id, RELATED_LIMIT)))


@bp.get("/suggest")
def suggest() -> Response:
    """Autocomplete in the OpenSearch suggestions format: ``[query, [completions...]]``."""
    reject_unknown(request.args, names_of(SUGGEST))
    prefix = parse_arguments(request_values(request.args), datetime.now(UTC), SUGGEST)["q"]
    service = current_app.extensions[SERVICE_KEY]
    completions = service.suggest(prefix, SUGGEST_LIMIT) if prefix.strip() else []
    response = jsonify([prefix, completions])
    response.mimetype = "application/x-suggestions+json"
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(public_base_url()))


@bp.after_request
def allow_cross_origin(response: Response) -> Response:
    """Integrations may call the read-only API from any origin."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response
