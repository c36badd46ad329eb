"""Web UI and JSON API: HTTP in, `search.SearchService` calls, HTML, JSON or Atom out.

Holds no search logic: views parse arguments (`webui.params`), call the service,
and render. Configuration (``create_app``): defaults, then ``BROADSHEET_*``
environment variables (``BROADSHEET_INDEX_DIR``, ``BROADSHEET_PUBLIC_URL``,
``BROADSHEET_TRUSTED_HOSTS``: see `webui.urls`), then the mapping passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from search.backends import service_from_config

SERVICE_KEY = "broadsheet.search"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask app; ``config`` overrides defaults and the environment."""
    app = Flask(__name__)
    app.config.from_mapping(
        BACKEND="whoosh",
        INDEX_DIR="var/index",
        REFRESH_SECONDS=2.0,
        PER_PAGE=10,
        JSON_SORT_KEYS=False,
        FEED_MAX_ENTRIES=50,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.config.from_prefixed_env("BROADSHEET")
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # DefaultJSONProvider's
    app.extensions[SERVICE_KEY] = service_from_config(app.config)

    from webui import (
        api,
        errors,
        export_api,
        feeds,
        http_cache,
        ops,
        security,
        terms_api,
        timeline_api,
        views,
    )
    from webui.urls import configure_urls

    configure_urls(app)  # before the routes: they use its article id converter

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(timeline_api.bp)
    app.register_blueprint(terms_api.bp)
    app.register_blueprint(export_api.bp)
    errors.register(app)
    security.register(app)
    ops.register(app)
    http_cache.register(app, SERVICE_KEY)
    return app
