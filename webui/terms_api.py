"""``GET /api/terms``: the words and phrases characteristic of a search's best matches.

The parameters are `search.research_parameters.TERMS_PARAMETERS` (``q``, the search filters,
``op``, ``collapse``, ``limit``, ``sample``); the shape is
`search.terms.SignificantTerms.to_json_dict` and the OpenAPI document's
``TermsResponse``. Errors are the one JSON error shape (`webui.errors`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, jsonify, request

from search.parameters import names_of
from search.research_parameters import TERMS, TERMS_PARAMETERS
from search.terms import parse_terms_request
from webui import SERVICE_KEY
from webui.api import allow_cross_origin
from webui.params import reject_unknown, request_values

bp = Blueprint("terms_api", __name__, url_prefix="/api")
bp.after_request(allow_cross_origin)

#: Parameters of ``/api/terms``.
TERMS_PARAMS = names_of(TERMS, TERMS_PARAMETERS)


@bp.get("/terms")
def terms() -> Response:
    """The characteristic terms of the search's best matches, best first."""
    reject_unknown(request.args, TERMS_PARAMS)
    now = datetime.now(UTC)
    asked = parse_terms_request(request_values(request.args), now)
    found = current_app.extensions[SERVICE_KEY].terms(asked, now)
    return jsonify(found.to_json_dict())
