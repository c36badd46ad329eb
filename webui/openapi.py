"""The OpenAPI 3.1 document served at ``/api/openapi.json``.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1). ``tests/test_api_openapi.py``
validates real responses of every route against them, so a field added to a
response must be described here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from search.parameters import (
    API_SEARCH,
    MONTH_PATTERN,
    PARAMETERS,
    SEARCH,
    SUGGEST,
    SWITCH_OFF,
    SWITCH_ON,
    Parameter,
    parameters_of,
)
from search.research_parameters import (
    EXPORT,
    EXPORT_PARAMETERS,
    MAX_COMPARED,
    TERMS,
    TERMS_PARAMETERS,
    TIMELINE,
    TIMELINE_PARAMETERS,
)
from webui.openapi_schemas import (
    ARTICLE,
    ERROR,
    EXPORT_ROW,
    FACET_VALUE,
    HIT,
    SEARCH_RESPONSE,
    SUGGESTIONS,
    TERMS_RESPONSE,
    TIMELINE_RESPONSE,
)


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
                    "parameters": query_parameters(SEARCH) + query_parameters(API_SEARCH),
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
            "/api/terms": {
                "get": {
                    "operationId": "terms",
                    "summary": "Words and phrases characteristic of the best matches",
                    "description": "The sample is the best matches by relevance (at most "
                    "sample); each term is scored by JLH against the whole archive (see "
                    "search/terms.py). Stop words, numbers and the query's own words are "
                    "left out. The Typesense backend has no document frequencies: 400 "
                    "unsupported_query.",
                    "parameters": query_parameters(TERMS, TERMS_PARAMETERS),
                    "responses": {
                        "200": _json("TermsResponse", "the terms, best first"),
                        **ERRORS,
                    },
                }
            },
            "/api/export": {
                "get": {
                    "operationId": "export",
                    "summary": "Every matching article, as a CSV or JSONL download",
                    "description": "The query as typed with its filters (no spelling "
                    "correction, no relaxing), no cap on rows, in the search's order; "
                    "near-duplicates included unless collapse=1, so with collapse=0 the "
                    "rows equal /api/search's total. Streamed; X-Total-Count gives the "
                    "row count. CSV: UTF-8 with a byte-order mark, one header row, "
                    "RFC 4180 quoting, tags joined with '; ', a cell starting with =, +, "
                    "-, @, tab or CR (not a number) prefixed with an apostrophe. JSONL: "
                    "one object per line. The Typesense backend: 400 unsupported_query.",
                    "parameters": query_parameters(EXPORT, EXPORT_PARAMETERS),
                    "responses": {
                        "200": {
                            "description": "the file (Content-Disposition: attachment, "
                            "named after the query and the day)",
                            "headers": {
                                "X-Total-Count": {
                                    "description": "rows in the file",
                                    "schema": {"type": "integer", "minimum": 0},
                                }
                            },
                            "content": {
                                "text/csv": {"schema": {"type": "string"}},
                                "application/x-ndjson": {
                                    "schema": {"$ref": "#/components/schemas/ExportRow"}
                                },
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
                "TermsResponse": TERMS_RESPONSE,
                "ExportRow": EXPORT_ROW,
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
