"""One error handler: the JSON error shape under /api/, an HTML page elsewhere.

Status codes: 400 for a parameter that is malformed, unknown or out of its limits
(alone or together with another: ``from`` after ``to``), 404 for unknown ids and routes,
405 for methods other than GET, 503 while no index can be opened or read (a damaged
generation is named and logged) and for a search that ran out of its time limit
before finding anything.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

from search import IndexDamaged, IndexUnavailable, InvalidParameter, SearchTimedOut


def error_payload(code: str, message: str, param: str | None = None) -> dict[str, Any]:
    """The one JSON error shape."""
    return {"error": {"code": code, "message": message, "param": param}}


def wants_json() -> bool:
    """True for API paths (and feeds' machine clients never get an HTML page there)."""
    return request.path.startswith("/api/")


#: What an error handler returns: a JSON or HTML body with its status.
ErrorAnswer = tuple[Response, int] | tuple[str, int]


def _respond(status: int, code: str, message: str, param: str | None = None) -> ErrorAnswer:
    if wants_json():
        response = jsonify(error_payload(code, message, param))
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response, status
    if request_ctx.url_adapter is None:  # an untrusted Host: no URL can be built
        return Response(f"{status} {message}\n", status, mimetype="text/plain"), status
    return render_template(
        "error.html", status=status, message=message, param=param, args=request.args
    ), status


def register(app: Flask) -> None:
    """Attach the handlers to ``app``."""

    @app.errorhandler(InvalidParameter)
    def invalid_parameter(error: InvalidParameter) -> ErrorAnswer:
        return _respond(400, error.code, error.message, error.param)

    @app.errorhandler(IndexUnavailable)
    def index_unavailable(error: IndexUnavailable) -> ErrorAnswer:
        if isinstance(error, IndexDamaged):
            app.logger.error(
                "%s on %s",
                error,
                request.path,
                exc_info=(type(error.cause), error.cause, error.cause.__traceback__),
            )
        return _respond(503, error.code, str(error))

    @app.errorhandler(SearchTimedOut)
    def timed_out(error: SearchTimedOut) -> ErrorAnswer:
        app.logger.warning("%s: %s", request.full_path[:300], error)
        return _respond(503, error.code, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ErrorAnswer:
        code = (error.name or "error").lower().replace(" ", "_")
        return _respond(error.code or 500, code, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ErrorAnswer:
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return http_error(error)
        app.logger.exception("unhandled error on %s", request.path)
        return _respond(500, "internal_error", "Something went wrong on our side.")
