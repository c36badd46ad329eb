"""HTML pages: the search page (every state in the URL) and the article page."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, abort, current_app, render_template, request

from search import InvalidParameter
from search.facet_specs import FACETS
from search.terms import TermsRequest
from webui import SERVICE_KEY, presenters, timeline_chart
from webui.export_api import EXPORT_PARAMS
from webui.ops import note_search_time
from webui.params import SEARCH_PARAMS, request_to_search_request
from webui.terms_api import TERMS_PARAMS

#: Characteristic terms listed in the results sidebar.
SIDEBAR_TERMS = 12

bp = Blueprint("views", __name__)

#: Related articles shown under an article.
RELATED_LIMIT = 5


bp.add_app_template_filter(presenters.web_url, "web_url")
bp.add_app_template_filter(presenters.article_date, "article_date")
bp.add_app_template_filter(presenters.day_label, "day_label")


@bp.app_context_processor
def template_helpers() -> dict[str, object]:
    """Helpers every template may use."""
    return {
        "search_url": presenters.search_url,
        "month_label": presenters.month_label,
        "split_facet": presenters.split_facet,
        "facets": FACETS,
        "filter_params": presenters.FILTER_PARAMS,
    }


@bp.get("/")
@bp.get("/search")
def search_page() -> str:
    """The search page; without ``q`` or filters it shows the newest articles.

    A page past the last (or past the deepest that paging reaches) says which pages
    exist and links to the last, instead of an error."""
    service = current_app.extensions[SERVICE_KEY]
    search_request = request_to_search_request(request.args)
    asked_page = search_request.page
    try:
        response = service.search(search_request)
    except InvalidParameter as error:
        if error.param != "page" or asked_page == 1:
            raise
        response = service.search(dataclasses.replace(search_request, page=1, snippets=False))
    note_search_time(response.took_ms)
    state = {name: request.args.getlist(name) for name in SEARCH_PARAMS if request.args.get(name)}
    terms_state = {name: values for name, values in state.items() if name in TERMS_PARAMS}
    # An export walks one fixed snapshot of the index (offered where the backend has one:
    # a versioned index, or a backend that says it exports) and lists what the query as
    # typed matches (not a correction, not any of its words).
    snapshots = bool(response.version) or bool(getattr(service, "exports", False))
    exportable = snapshots and response.total and not response.corrected_query
    export_state = {name: values for name, values in state.items() if name in EXPORT_PARAMS}
    terms = None
    if request.args.get("terms") == "1" and search_request.q.strip() and response.total:
        terms = service.terms(TermsRequest(search_request, limit=SIDEBAR_TERMS))
    return render_template(
        "search.html",
        response=response,
        args=request.args,
        asked_page=asked_page,
        past_end=asked_page > response.pages or (asked_page > 1 and not response.hits),
        state=state,
        chart=timeline_chart.page_chart(service, request.args, search_request),
        presets=presenters.date_presets(request.args, response.newest_date),
        jumps=presenters.date_jumps(request.args, response.facets.get("year", ())),
        query_range=presenters.query_date_range(response),
        has_filters=presenters.has_filters(request.args) or bool(response.query_dates),
        clear_url=presenters.clear_filters_url(request.args),
        terms=terms,
        terms_state=terms_state,
        export_state=export_state if exportable and not response.relaxed else None,
        sidebar_terms=SIDEBAR_TERMS,
    )


@bp.get("/articles/<article_id:article_id>")
def article_page(article_id: str) -> str:
    """One article in full, with links into the search and related articles. Reached
    from a search (``?q=...``, the search's state), it keeps the query in the search box,
    marks its words in the article and links back to those results."""
    service = current_app.extensions[SERVICE_KEY]
    article = service.get_article(article_id)
    if article is None:
        abort(404, description=f"There is no article with the id {article_id!r}.")
    paragraphs = presenters.paragraphs(article.body)
    query = request.args.get("q", "")[:1000]
    title_html, *paragraph_html = service.highlight((article.title, *paragraphs), query)
    state = {name: request.args.getlist(name) for name in SEARCH_PARAMS if request.args.get(name)}
    return render_template(
        "article.html",
        article=article,
        title_html=title_html,
        paragraphs=paragraph_html,
        related=service.related(article_id, RELATED_LIMIT),
        args=request.args,
        state=state,
        back_url=presenters.search_url(request.args) if state else None,
    )
