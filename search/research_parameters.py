"""The parameters of the research endpoints: timelines, characteristic terms, export.

Each table is made of `search.parameters.Parameter` rows like the search's own: the
search parameters an endpoint shares (``q``, the filters, ``op``, ``collapse`` and, for
an export, ``sort`` and ``recency``) are copied from `search.parameters.PARAMETERS`
with the endpoint added, then come the endpoint's own rows. `search.comparison`,
`search.terms` and `search.export` parse requests with them; `webui` and the OpenAPI
document name them.
"""

from __future__ import annotations

import dataclasses

from search.parameters import PARAMETERS, SEARCH, Parameter

#: ``/api/timeline`` and the results page's timeline: its own rows below, and the
#: search parameters named in `TIMELINE_SHARED` (the filters, ``op`` and ``collapse``).
TIMELINE = "timeline"
TIMELINE_SHARED = ("op", *(p.name for p in PARAMETERS if p.is_filter), "collapse")
#: Interval names (`search.timeline.INTERVALS`) and answer formats of the timeline.
TIMELINE_INTERVALS = ("day", "week", "month", "year")
TIMELINE_FORMATS = ("json", "csv")
MAX_COMPARED = 5
TIMELINE_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "q",
        "values",
        f"a query (Whoosh syntax, lenient); repeat q (up to {MAX_COMPARED}) to compare: "
        "one series per query; none: every article",
        default=(),
        endpoints=frozenset({TIMELINE}),
    ),
    *(
        dataclasses.replace(p, endpoints=p.endpoints | {TIMELINE})
        for p in PARAMETERS
        if p.name in TIMELINE_SHARED and SEARCH in p.endpoints
    ),
    Parameter(
        "interval",
        "choice",
        "length of one period (weeks are ISO weeks, from Monday); default: chosen from the "
        "date range (up to 92 days: day, up to 2 years: week, up to 20 years: month, "
        "else year)",
        choices=TIMELINE_INTERVALS,
        endpoints=frozenset({TIMELINE}),
    ),
    Parameter(
        "format",
        "choice",
        "json, or csv: one row per period, a count and a share column per query",
        default="json",
        choices=TIMELINE_FORMATS,
        endpoints=frozenset({TIMELINE}),
    ),
)


#: ``/api/terms``: the characteristic terms of a search's best matches (`search.terms`):
#: ``q``, the filters, ``op`` and ``collapse`` as for a search, then ``limit`` and ``sample``.
TERMS = "terms"
TERMS_LIMIT, TERMS_MAX_LIMIT = 20, 100
TERMS_SAMPLE, TERMS_MIN_SAMPLE, TERMS_MAX_SAMPLE = 150, 10, 1000
TERMS_PARAMETERS: tuple[Parameter, ...] = (
    *(
        dataclasses.replace(p, endpoints=p.endpoints | {TERMS})
        for p in PARAMETERS
        if (p.name == "q" or p.name in TIMELINE_SHARED) and SEARCH in p.endpoints
    ),
    Parameter(
        "limit",
        "integer",
        "how many terms to return, best first",
        default=TERMS_LIMIT,
        minimum=1,
        maximum=TERMS_MAX_LIMIT,
        endpoints=frozenset({TERMS}),
    ),
    Parameter(
        "sample",
        "integer",
        "how many of the best matches (by relevance) are analysed",
        default=TERMS_SAMPLE,
        minimum=TERMS_MIN_SAMPLE,
        maximum=TERMS_MAX_SAMPLE,
        endpoints=frozenset({TERMS}),
    ),
)


#: ``/api/export`` and ``python -m search export``: every match of a search as CSV or
#: JSONL (`search.export`): ``q``, the filters, ``op``, ``sort``, ``recency`` and
#: ``collapse`` as for a search, then ``format`` and ``fields``.
EXPORT = "export"
EXPORT_FORMATS = ("csv", "jsonl")
#: Columns an export may have, and those it has unless ``fields`` says otherwise.
EXPORT_FIELDS = (
    "id",
    "title",
    "date",
    "source",
    "url",
    "tags",
    "author",
    "views",
    "language",
    "body",
)
EXPORT_DEFAULT_FIELDS = ("id", "title", "date", "source", "url", "tags", "author", "views")


def _exported(parameter: Parameter) -> Parameter:
    """A search parameter as the export takes it: ``collapse`` is off by default (every
    matching article is a row)."""
    if parameter.name == "collapse":
        return dataclasses.replace(
            parameter,
            endpoints=frozenset({EXPORT}),
            default=False,
            description="1 lists one article per near-duplicate story (the one a search "
            "shows); default 0: every matching article",
        )
    return dataclasses.replace(parameter, endpoints=frozenset({EXPORT}))


EXPORT_PARAMETERS: tuple[Parameter, ...] = (
    *(
        _exported(p)
        for p in PARAMETERS
        if (p.name in ("q", "sort", "recency") or p.name in TIMELINE_SHARED)
        and SEARCH in p.endpoints
    ),
    Parameter(
        "format",
        "choice",
        "csv (UTF-8 with a byte-order mark, one header row, formula-like cells prefixed "
        "with ') or jsonl (one JSON object per line)",
        default="csv",
        choices=EXPORT_FORMATS,
        endpoints=frozenset({EXPORT}),
    ),
    Parameter(
        "fields",
        "text",
        "comma-separated columns, in order, from: " + ", ".join(EXPORT_FIELDS),
        default=",".join(EXPORT_DEFAULT_FIELDS),
        max_length=200,
        endpoints=frozenset({EXPORT}),
    ),
)
