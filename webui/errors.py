"""One error handler: the JSON error shape under /api/, an HTML page elsewhere."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search import IndexUnavailable, InvalidParameter


def error_payload(code: str, message: str, param: str | None = None) -> dict:
    """The one JSON error shape."""
    return {"error": {"code": code, "message": message, "param": param}}


def _respond(
    status: int, code: str, message: str, param: str | None = None
) -> tuple[Response, int] | tuple[str, int]:
    if request.path.startswith("/api/"):
        return jsonify(error_payload(code, message, param)), status
    return render_template("error.html", status=status, message=message, param=param), status


def register(app: Flask) -> None:
    """Attach the handlers to ``app``."""

    @app.errorhandler(InvalidParameter)
    def invalid_parameter(error: InvalidParameter):  # noqa: ANN202
        return _respond(400, error.code, error.message, error.param)

    @app.errorhandler(IndexUnavailable)
    def index_unavailable(error: IndexUnavailable):  # noqa: ANN202
        return _respond(503, error.code, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # noqa: ANN202
        code = (error.name or "error").lower().replace(" ", "_")
        return _respond(error.code or 500, code, error.description or error.name)
