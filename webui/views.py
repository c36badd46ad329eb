"""HTML pages: the search page (every state in the URL) and a health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from search import IndexUnavailable
from webui import SERVICE_KEY
from webui.params import request_to_search_request

bp = Blueprint("views", __name__)


def search_url(args: MultiDict, **changes: object) -> str:
    """URL of the search page with ``args`` changed: a value of None removes the key.

    ``toggle=(name, value)`` adds or removes one value of a repeatable parameter.
    Any change but ``page`` goes back to page 1.
    """
    params = MultiDict(args)
    toggle = changes.pop("toggle", None)
    if toggle is not None:
        name, value = toggle
        values = params.getlist(name)
        params.setlist(
            name, [v for v in values if v != value] if value in values else [*values, value]
        )
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    if "page" not in changes:
        params.pop("page", None)
    return url_for("views.search_page", **{k: params.getlist(k) for k in params})


@bp.get("/")
@bp.get("/search")
def search_page():  # noqa: ANN201
    """The search page; without ``q`` or filters it shows the newest articles."""
    service = current_app.extensions[SERVICE_KEY]
    search_request = request_to_search_request(request.args)
    response = service.search(search_request)
    return render_template(
        "search.html", response=response, args=request.args, search_url=search_url
    )


@bp.get("/healthz")
def healthz():  # noqa: ANN201
    """200 with the article count when the index opens; 503 otherwise."""
    service = current_app.extensions[SERVICE_KEY]
    try:
        return jsonify({"status": "ok", "docs": service.doc_count()})
    except IndexUnavailable as error:
        return jsonify({"status": "unavailable", "error": str(error)}), 503
