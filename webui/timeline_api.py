"""``GET /api/timeline``: matches per period for up to five queries, as JSON or CSV.

The parameters are `search.research_parameters.TIMELINE_PARAMETERS` (``q`` repeated, the search
filters, ``interval``, ``format``); the shapes are described in `search.comparison` and
in the OpenAPI document. Errors are the one JSON error shape (`webui.errors`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, jsonify, request

from search.comparison import compare, parse_comparison
from search.parameters import names_of
from search.research_parameters import TIMELINE, TIMELINE_PARAMETERS
from webui import SERVICE_KEY
from webui.api import allow_cross_origin
from webui.params import reject_unknown, request_values

bp = Blueprint("timeline_api", __name__, url_prefix="/api")
bp.after_request(allow_cross_origin)

#: Parameters of ``/api/timeline``.
TIMELINE_PARAMS = names_of(TIMELINE, TIMELINE_PARAMETERS)


@bp.get("/timeline")
def timeline() -> Response:
    """One series per query: matches, all articles and their share per period."""
    reject_unknown(request.args, TIMELINE_PARAMS)
    now = datetime.now(UTC)
    asked = parse_comparison(request_values(request.args), now)
    comparison = compare(current_app.extensions[SERVICE_KEY], asked, now)
    if asked.format == "csv":
        name = comparison.filename(now.date().isoformat())
        return Response(
            comparison.to_csv(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return jsonify(comparison.to_json_dict())
