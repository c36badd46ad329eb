"""JSON API: ``GET /api/search`` answers the same `SearchResponse` the HTML page renders."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from webui import SERVICE_KEY
from webui.params import request_to_search_request

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():  # noqa: ANN201
    """Search; see README "JSON API" for the contract."""
    service = current_app.extensions[SERVICE_KEY]
    response = service.search(request_to_search_request(request.args))
    return jsonify(response.to_json_dict())


@bp.after_request
def allow_cross_origin(response):  # noqa: ANN001, ANN201
    """Integrations may call the read-only API from any origin."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
