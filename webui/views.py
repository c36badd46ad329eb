"""HTML pages: the search page (every state in the URL) and the article page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, render_template, request

from webui import SERVICE_KEY, presenters
from webui.params import request_to_search_request

bp = Blueprint("views", __name__)

#: Related articles shown under an article.
RELATED_LIMIT = 5


bp.add_app_template_filter(presenters.web_url, "web_url")


@bp.app_context_processor
def template_helpers() -> dict[str, object]:
    """Helpers every template may use."""
    return {
        "search_url": presenters.search_url,
        "month_label": presenters.month_label,
    }


@bp.get("/")
@bp.get("/search")
def search_page() -> str:
    """The search page; without ``q`` or filters it shows the newest articles."""
    service = current_app.extensions[SERVICE_KEY]
    search_request = request_to_search_request(request.args)
    response = service.search(search_request)
    months = response.facets.get("month", ())
    return render_template(
        "search.html",
        response=response,
        args=request.args,
        timeline=presenters.build_timeline(months),
        presets=presenters.date_presets(request.args, datetime.now(UTC).date()),
        has_filters=presenters.has_filters(request.args),
        clear_url=presenters.clear_filters_url(request.args),
    )


@bp.get("/articles/<article_id:article_id>")
def article_page(article_id: str) -> str:
    """One article in full, with links into the search and related articles."""
    service = current_app.extensions[SERVICE_KEY]
    article = service.get_article(article_id)
    if article is None:
        abort(404, description=f"There is no article with the id {article_id!r}.")
    return render_template(
        "article.html",
        article=article,
        paragraphs=presenters.paragraphs(article.body),
        related=service.related(article_id, RELATED_LIMIT),
        args=request.args,
    )
