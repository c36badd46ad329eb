"""JSON Schemas of the API's responses, for the OpenAPI document (`webui.openapi`)."""

from __future__ import annotations

from search.facet_specs import FACET_LIMIT, FACETS
from search.models import MAX_PER_PAGE, SORTS
from search.research_parameters import MAX_COMPARED, TIMELINE_INTERVALS

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
        "next_cursor": {
            **NULLABLE_STRING,
            "description": "pass as cursor= (with the same parameters, without page) for the "
            "page after this one, also past result 10,000; null on the last page. Valid for "
            "the index snapshot it came from: after a rebuild or update the API answers 400 "
            "cursor_expired (start again). The Whoosh backend only.",
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


_TERM = {
    "type": "object",
    "required": ["term", "kind", "score", "fg_count", "fg_size", "bg_count", "bg_size", "search"],
    "additionalProperties": False,
    "properties": {
        "term": {"type": "string", "description": "a word, or two words (a phrase), as written"},
        "kind": {"enum": ["word", "phrase"]},
        "score": {
            "type": "number",
            "minimum": 0,
            "description": "JLH significance: (fg% - bg%) * (fg% / bg%)",
        },
        "fg_count": {"type": "integer", "minimum": 0, "description": "sampled articles with it"},
        "fg_size": {"type": "integer", "minimum": 0, "description": "articles sampled"},
        "bg_count": {
            "type": "integer",
            "minimum": 0,
            "description": "articles of the archive with it (a phrase: with both words)",
        },
        "bg_size": {"type": "integer", "minimum": 0, "description": "articles in the archive"},
        "search": {"type": "string", "description": "the query narrowed to this term"},
    },
}

TERMS_RESPONSE = {
    "type": "object",
    "required": ["q", "sample_size", "matches", "terms", "notices"],
    "additionalProperties": False,
    "properties": {
        "q": {"type": "string"},
        "sample_size": {"type": "integer", "minimum": 0},
        "matches": {"type": "integer", "minimum": 0},
        "terms": {"type": "array", "items": _TERM},
        "notices": {"type": "array", "items": {"type": "string"}},
    },
}

EXPORT_ROW = {
    "type": "object",
    "description": "one line of a JSONL export: the fields asked for (fields=), in order",
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "date": DATE_TIME,
        "source": {"type": "string"},
        "url": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "author": {"type": "string"},
        "views": {"type": ["integer", "null"], "minimum": 0},
        "language": {"type": "string"},
        "body": {"type": "string"},
    },
}
