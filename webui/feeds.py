"""Feeds and browser integration: an Atom feed for any search, OpenSearch description.

``/search.atom`` takes the search page's arguments and answers its newest hits
(at most ``FEED_MAX_ENTRIES``), linking back to the HTML search.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request

from search.models import SearchResponse
from webui import SERVICE_KEY
from webui.params import request_to_search_request
from webui.presenters import search_url
from webui.urls import external_url

bp = Blueprint("feeds", __name__)

ATOM_TYPE = "application/atom+xml"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
#: Characters XML 1.0 forbids even escaped (a NUL typed in the query, a control byte in
#: a stored title): removed from the feed, which would otherwise not parse.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def feed_updated(response: SearchResponse) -> datetime:
    """The feed's ``updated``: the newest hit's date, else now."""
    dates = [hit.date for hit in response.hits if hit.date is not None]
    return max(dates) if dates else datetime.now(UTC)


@bp.get("/search.atom")
def search_feed() -> Response:
    """Atom feed of a search: same arguments as the search page, newest first."""
    service = current_app.extensions[SERVICE_KEY]
    search_request = request_to_search_request(request.args)
    limit = int(current_app.config["FEED_MAX_ENTRIES"])
    search_request = dataclasses.replace(
        search_request,
        sort="newest",
        page=1,
        per_page=min(search_request.per_page if "per_page" in request.args else limit, limit),
    )
    response = service.search(search_request)
    feed_args = request.args.copy()
    feed_args.pop("sort", None)
    updated = feed_updated(response)
    body = render_template(
        "atom.xml",
        response=response,
        updated=updated,
        html_url=search_url(feed_args, _external=True, sort="newest"),
        self_url=search_url(feed_args, endpoint="feeds.search_feed", _external=True),
    )
    return Response(_XML_INVALID.sub("", body), mimetype=ATOM_TYPE)


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    """The OpenSearch description that lets browsers add Broadsheet as a search engine."""
    body = render_template("opensearch.xml")
    return Response(body, mimetype=OPENSEARCH_TYPE)


@bp.app_template_filter("rfc3339")
def rfc3339(value: datetime | None) -> str:
    """An aware datetime as RFC 3339 UTC (``2023-01-10T09:00:00Z``; the year always in
    four digits: ``strftime("%Y")`` writes the year 1 as ``1``)."""
    if value is None:
        return ""
    moment = value.astimezone(UTC)
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%SZ")


@bp.app_template_global("article_url")
def article_url(article_id: str) -> str:
    """Absolute URL of an article page (the Atom entry id and link)."""
    return external_url("views.article_page", article_id=article_id)


bp.add_app_template_global(external_url, "external_url")
