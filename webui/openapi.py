"""The OpenAPI 3.1 document served at ``/api/openapi.json``.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1). ``tests/test_api_openapi.py``
validates real responses of every route against them, so a field added to a
response must be described here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from search.facet_specs import FACET_LIMIT, FACETS
from search.models import MAX_PER_PAGE, SORTS
from search.parameters import (
    MAX_COMPARED,
    MONTH_PATTERN,
    PARAMETERS,
    SEARCH,
    SUGGEST,
    SWITCH_OFF,
    SWITCH_ON,
    TIMELINE,
    TIMELINE_INTERVALS,
    TIMELINE_PARAMETERS,
    Parameter,
    parameters_of,
)

#: How each facet order reads in the document.
ORDER_WORDS = {
    "count": f"the {FACET_LIMIT} largest counts first",
    "newest": "every value, newest first",
    "chronological": "every value, oldest first, empty months included",
}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME = {"type": ["string", "null"], "format": "date-time", "description": "ISO 8601, UTC"}

HIT = {
    "type": "object",
    "required": [
        "id",
        "title",
        "url",
        "date",
        "source",
        "author",
        "tags",
        "views",
        "score",
        "snippet",
    ],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "title_html": {
            "type": "string",
            "description": "HTML: the title escaped, what the query matched in it in <mark>",
        },
        "url": {"type": "string", "description": "the original article's address"},
        "date": DATE_TIME,
        "source": {"type": "string"},
        "author": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "views": {"type": ["integer", "null"], "minimum": 0},
        "score": {"type": "number"},
        "snippet": {
            "type": "string",
            "description": "HTML: the article text escaped, matches wrapped in <mark>",
        },
        "duplicates": {
            "type": "integer",
            "minimum": 0,
            "description": "similar stories collapsed into this hit",
        },
        "duplicate_ids": {"type": "array", "items": {"type": "string"}},
        "missing": {
            "type": "array",
            "items": {"type": "string"},
            "description": "when the search was relaxed: the query's words and phrases "
            "this hit lacks, as typed (empty otherwise)",
        },
    },
}

FACET_VALUE = {
    "type": "object",
    "required": ["value", "count", "selected"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "string"},
        "count": {"type": "integer", "minimum": 0},
        "selected": {"type": "boolean"},
    },
}

SEARCH_RESPONSE = {
    "type": "object",
    "required": [
        "query",
        "total",
        "page",
        "per_page",
        "took_ms",
        "results",
        "facets",
        "suggestion",
    ],
    "additionalProperties": False,
    "properties": {
        "query": {"type": "string"},
        "total": {"type": "integer", "minimum": 0},
        "total_exact": {"type": "boolean", "description": "false when total is an estimate"},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "pages": {"type": "integer", "minimum": 1},
        "took_ms": {"type": "number", "minimum": 0},
        "relaxed": {
            "type": "boolean",
            "description": "true when no article had all the words and any word was used",
        },
        "notices": {"type": "array", "items": {"type": "string"}},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "facets": {
            "type": "object",
            "description": "each facet's values: "
            + "; ".join(f"{facet.name} ({ORDER_WORDS[facet.order]})" for facet in FACETS),
            "properties": {
                facet.name: {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/FacetValue"},
                    "description": f"{facet.description}: select with {facet.param}=",
                }
                for facet in FACETS
            },
            "additionalProperties": False,
        },
        "suggestion": {
            **NULLABLE_STRING,
            "description": "did-you-mean: a spelling correction of the query that finds more "
            "articles, or null",
        },
        "corrected_query": {
            **NULLABLE_STRING,
            "description": "when the query as typed found nothing, the confident spelling "
            "correction whose results these are (show: Showing results for <corrected_query>. "
            "Search instead for <query>, with correct=0); null otherwise",
        },
        "sort": {
            "enum": list(SORTS),
            "description": "the order the results are in: the requested one, except that a "
            "search without words lists the newest first",
        },
        "sorts": {
            "type": "array",
            "items": {"enum": list(SORTS)},
            "description": "the orders that mean something here (relevance needs words, views "
            "needs articles with a view count)",
        },
        "newest_date": {
            "type": ["string", "null"],
            "format": "date",
            "description": "the day of the archive's newest article",
        },
        "query_dates": {
            "type": "array",
            "description": "date expressions typed in the query (after:2008) and the "
            "inclusive UTC range each resolved to (after: and before: exclude the named span)",
            "items": {
                "type": "object",
                "required": ["text", "from", "to", "negated"],
                "additionalProperties": False,
                "properties": {
                    "text": {"type": "string"},
                    "from": NULLABLE_STRING,
                    "to": NULLABLE_STRING,
                    "negated": {"type": "boolean"},
                },
            },
        },
    },
}

ARTICLE = {
    "type": "object",
    "required": ["id", "title", "body", "date", "tags", "source", "url", "author", "views"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "body": {"type": "string", "description": "plain text (not HTML)"},
        "date": DATE_TIME,
        "tags": {"type": "array", "items": {"type": "string"}},
        "source": {"type": "string"},
        "url": {"type": "string"},
        "author": {"type": "string"},
        "views": {"type": ["integer", "null"], "minimum": 0},
        "language": {"type": "string", "description": "BCP 47 tag, or empty"},
        "related": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
    },
}

SUGGESTIONS = {
    "type": "array",
    "description": "OpenSearch suggestions: the query, then completions",
    "prefixItems": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    "minItems": 2,
    "maxItems": 2,
}

_PERIOD = {
    "type": "object",
    "required": ["period", "label", "start", "end", "total"],
    "additionalProperties": False,
    "properties": {
        "period": {
            "type": "string",
            "description": "2023-07-03 (day), 2023-W27 (ISO week), 2023-07 (month), 2023 (year)",
        },
        "label": {"type": "string"},
        "start": {"type": "string", "format": "date", "description": "first day"},
        "end": {"type": "string", "format": "date", "description": "last day"},
        "total": {
            "type": "integer",
            "minimum": 0,
            "description": "every dated article of the period (within from/to)",
        },
    },
}
_SERIES = {
    "type": "object",
    "required": ["q", "label", "total", "undated", "counts", "shares", "notices"],
    "additionalProperties": False,
    "properties": {
        "q": {"type": "string"},
        "label": {"type": "string", "description": "the query, or All articles for none"},
        "total": {
            "type": "integer",
            "minimum": 0,
            "description": "every match (stories when collapse): the sum of counts plus undated",
        },
        "undated": {"type": "integer", "minimum": 0, "description": "matches without a date"},
        "counts": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "shares": {
            "type": "array",
            "items": {"type": "number", "minimum": 0},
            "description": "count / total per period (0 where the period has no article)",
        },
        "notices": {"type": "array", "items": {"type": "string"}},
    },
}
TIMELINE_RESPONSE = {
    "type": "object",
    "required": ["interval", "interval_chosen", "collapse", "from", "to", "periods", "series"],
    "additionalProperties": False,
    "properties": {
        "interval": {"enum": list(TIMELINE_INTERVALS)},
        "interval_chosen": {
            "type": "boolean",
            "description": "true when no interval was asked and it was chosen from the range",
        },
        "collapse": {
            "type": "boolean",
            "description": "near-duplicate copies of a story counted once (in the period of "
            "its earliest match)",
        },
        "from": {"type": ["string", "null"], "format": "date"},
        "to": {"type": ["string", "null"], "format": "date"},
        "periods": {"type": "array", "items": _PERIOD},
        "series": {"type": "array", "minItems": 1, "maxItems": MAX_COMPARED, "items": _SERIES},
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "param"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "examples": ["invalid_parameter", "not_found"]},
                "message": {"type": "string"},
                "param": {**NULLABLE_STRING, "description": "the parameter at fault"},
            },
        }
    },
}


def _value_schema(parameter: Parameter) -> dict[str, Any]:
    """The JSON Schema of one value of ``parameter``, limits from the table."""
    kind = parameter.kind
    if kind in ("integer", "years"):
        schema: dict[str, Any] = {"type": "integer"}
        bounds = {"minimum": parameter.minimum, "maximum": parameter.maximum}
        schema.update({key: value for key, value in bounds.items() if value is not None})
    elif kind == "choice":
        schema = {"type": "string", "enum": list(parameter.choices)}
    elif kind == "switch":
        schema = {"type": "string", "enum": [*SWITCH_ON, *SWITCH_OFF]}
    elif kind == "months":
        schema = {"type": "string", "pattern": MONTH_PATTERN}
    else:
        schema = {"type": "string", "maxLength": parameter.max_length}
    if parameter.examples:
        schema["examples"] = list(parameter.examples)
    return schema


def query_parameter(parameter: Parameter) -> dict[str, Any]:
    """The OpenAPI query parameter object of one row of the parameter table."""
    schema = _value_schema(parameter)
    if parameter.repeatable:
        schema = {"type": "array", "items": schema}
    elif parameter.kind == "switch":
        schema["default"] = SWITCH_ON[0] if parameter.default else SWITCH_OFF[0]
    elif parameter.default not in (None, ""):
        schema["default"] = parameter.default
    described: dict[str, Any] = {
        "name": parameter.name,
        "in": "query",
        "schema": schema,
        "description": parameter.description,
    }
    if parameter.repeatable:
        described.update({"style": "form", "explode": True})
    return described


def query_parameters(
    endpoint: str, table: Iterable[Parameter] = PARAMETERS
) -> list[dict[str, Any]]:
    """The OpenAPI parameters of ``endpoint``, in table order."""
    return [query_parameter(parameter) for parameter in parameters_of(endpoint, table)]


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "503": {"$ref": "#/components/responses/Unavailable"},
}


def _json(schema_name: str, description: str, media: str = "application/json") -> dict[str, Any]:
    return {
        "description": description,
        "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


def openapi_document(server_url: str = "") -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``server_url`` is this server's base URL."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Broadsheet API",
            "version": "1.0.0",
            "description": "Read-only search over a news archive. Every error answers "
            '{"error": {"code", "message", "param"}}. GET is allowed from any origin.',
        },
        "servers": [{"url": server_url or "/"}],
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Ranked, faceted, paged search",
                    "parameters": query_parameters(SEARCH),
                    "responses": {"200": _json("SearchResponse", "one page of hits"), **ERRORS},
                }
            },
            "/api/timeline": {
                "get": {
                    "operationId": "timeline",
                    "summary": "Matches and all articles per period, for up to "
                    f"{MAX_COMPARED} queries",
                    "description": "The search filters apply to every query. Periods "
                    "with no match are listed (a continuous axis from from to to, else "
                    "from the archive's oldest to its newest dated article). On the "
                    "Typesense backend only month and year intervals are available "
                    "(day and week: 400 unsupported_query) and collapse has no effect.",
                    "parameters": query_parameters(TIMELINE, TIMELINE_PARAMETERS),
                    "responses": {
                        "200": {
                            "description": "one series per query (format=csv: one row per "
                            "period, count and share columns per query)",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/TimelineResponse"}
                                },
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        **ERRORS,
                    },
                }
            },
            "/api/articles/{id}": {
                "get": {
                    "operationId": "getArticle",
                    "summary": "One article in full, with related articles",
                    "description": "An id that holds ~, starts with /, or has an empty, . or "
                    ".. path segment is written ~ followed by the id with ~ as ~7E and / as "
                    "~2F (/news/x: ~~2Fnews~2Fx); any other is written as it is. Then "
                    "percent-encoded as usual.",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": _json("Article", "the article"),
                        "404": {"$ref": "#/components/responses/NotFound"},
                        "503": {"$ref": "#/components/responses/Unavailable"},
                    },
                }
            },
            "/api/suggest": {
                "get": {
                    "operationId": "suggest",
                    "summary": "Autocomplete (OpenSearch suggestions format)",
                    "parameters": query_parameters(SUGGEST),
                    "responses": {
                        "200": _json(
                            "Suggestions",
                            "the query and up to 10 completions",
                            "application/x-suggestions+json",
                        ),
                        "400": {"$ref": "#/components/responses/BadRequest"},
                        "503": {"$ref": "#/components/responses/Unavailable"},
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "SearchResponse": SEARCH_RESPONSE,
                "Hit": HIT,
                "FacetValue": FACET_VALUE,
                "Article": ARTICLE,
                "Suggestions": SUGGESTIONS,
                "Error": ERROR,
                "TimelineResponse": TIMELINE_RESPONSE,
            },
            "responses": {
                name: _json("Error", description)
                for name, description in [
                    ("BadRequest", "a parameter is malformed or outside its limits"),
                    ("NotFound", "no such article or route"),
                    (
                        "Unavailable",
                        "the index cannot be opened or read (index_unavailable, "
                        "index_damaged), or the search ran out of its time limit "
                        "before matching anything (search_timeout)",
                    ),
                ]
            },
        },
    }
