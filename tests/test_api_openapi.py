"""/api/openapi.json is OpenAPI 3.1 and describes real responses of every route.

Responses are validated with `jsonschema` (JSON Schema 2020-12, formats checked)
against the schema at its place in the served document, so ``$ref``s resolve
as any OpenAPI tool would resolve them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from support import build_webui_index
from webui import create_app
from webui.openapi import openapi_document

DOCUMENT_URI = "urn:broadsheet:openapi"


def _pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) to ``parts``."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def validator_at(document: dict, pointer: str) -> Draft202012Validator:
    """A validator for the schema at ``pointer`` in ``document`` (its refs resolved there)."""
    registry = Registry().with_resource(DOCUMENT_URI, Resource(document, DRAFT202012))
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def problems(document: dict, pointer: str, value: Any) -> list[str]:
    """Every way ``value`` breaks the schema at ``pointer``; [] = valid."""
    errors = validator_at(document, pointer).iter_errors(value)
    return [f"{error.json_path}: {error.message}" for error in errors]


def response_pointer(document: dict, route: str, status: int, media: str) -> str:
    """Where the document gives the schema of ``route``'s ``status`` response."""
    response = document["paths"][route]["get"]["responses"][str(status)]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        return _pointer("components", "responses", name, "content", media, "schema")
    return _pointer("paths", route, "get", "responses", str(status), "content", media, "schema")


def schema_pointer(name: str) -> str:
    """Where the document keeps component schema ``name``."""
    return _pointer("components", "schemas", name)


@pytest.fixture(scope="module")
def wclient(tmp_path_factory: pytest.TempPathFactory):
    """A client over the extended test index."""
    index_dir: Path = build_webui_index(tmp_path_factory.mktemp("openapi") / "ix")
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()


@pytest.fixture(scope="module")
def document(wclient: FlaskClient) -> dict:
    """The served document."""
    response = wclient.get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def test_document_is_openapi_3_1(document: dict) -> None:
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] and document["info"]["version"]
    assert set(document["paths"]) == {
        "/api/search",
        "/api/articles/{id}",
        "/api/suggest",
        "/api/openapi.json",
        "/api/timeline",
        "/api/terms",
        "/api/export",
    }
    for route, item in document["paths"].items():
        operation = item["get"]
        assert operation["operationId"] and operation["responses"], route
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in {"query", "path"} and "schema" in parameter
    # every $ref resolves
    refs = re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(document))
    for ref in refs:
        target: Any = document
        for part in ref.split("/"):
            target = target[part]


def test_every_app_api_route_is_documented(wclient: FlaskClient, document: dict) -> None:
    rules = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in wclient.application.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    rules = {rule.replace("{article_id}", "{id}") for rule in rules}
    assert rules == set(document["paths"])


def test_search_params_match_what_the_app_accepts(document: dict) -> None:
    names = {p["name"] for p in document["paths"]["/api/search"]["get"]["parameters"]}
    assert {
        "q",
        "page",
        "per_page",
        "sort",
        "tag",
        "source",
        "year",
        "month",
        "from",
        "to",
    } <= names


@pytest.mark.parametrize(
    ("url", "route", "status", "media"),
    [
        ("/api/search?q=election&per_page=3", "/api/search", 200, "application/json"),
        ("/api/search?q=&tag=Politics&month=2023-12", "/api/search", 200, "application/json"),
        ("/api/search?q=elecion", "/api/search", 200, "application/json"),
        ("/api/search?q=zzzz", "/api/search", 200, "application/json"),
        ("/api/search?q=shipping+zeppelin", "/api/search", 200, "application/json"),
        ("/api/search?per_page=999", "/api/search", 400, "application/json"),
        ("/api/articles/w-election-3", "/api/articles/{id}", 200, "application/json"),
        ("/api/articles/t-undated", "/api/articles/{id}", 200, "application/json"),
        ("/api/articles/none", "/api/articles/{id}", 404, "application/json"),
        ("/api/suggest?q=elec", "/api/suggest", 200, "application/x-suggestions+json"),
        ("/api/suggest?q=", "/api/suggest", 200, "application/x-suggestions+json"),
        ("/api/openapi.json", "/api/openapi.json", 200, "application/json"),
        ("/api/export?fields=title,nope", "/api/export", 400, "application/json"),
        ("/api/export?format=xlsx", "/api/export", 400, "application/json"),
        ("/api/export?page=2", "/api/export", 400, "application/json"),
        ("/api/search?q=election&cursor=nonsense", "/api/search", 400, "application/json"),
    ],
)
def test_real_responses_match_the_document(
    wclient,
    document: dict,
    url: str,
    route: str,
    status: int,
    media: str,
) -> None:
    response = wclient.get(url)
    assert response.status_code == status and response.mimetype == media
    pointer = response_pointer(document, route, status, media)
    assert problems(document, pointer, response.get_json()) == []


def test_export_lines_and_cursor_pages_match_the_document(
    wclient: FlaskClient, document: dict
) -> None:
    fields = "id,title,date,source,url,tags,author,views,language,body"
    response = wclient.get(f"/api/export?format=jsonl&fields={fields}")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == int(response.headers["X-Total-Count"]) > 10
    pointer = response_pointer(document, "/api/export", 200, "application/x-ndjson")
    for line in lines:
        assert problems(document, pointer, json.loads(line)) == []
    first = wclient.get("/api/search?per_page=4").get_json()
    following = wclient.get(f"/api/search?per_page=4&cursor={first['next_cursor']}")
    pointer = response_pointer(document, "/api/search", 200, "application/json")
    assert problems(document, pointer, following.get_json()) == []
    assert following.get_json()["page"] == 2


def test_unavailable_index_matches_the_document(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    document = openapi_document()
    response = client.get("/api/search?q=x")
    pointer = response_pointer(document, "/api/search", 503, "application/json")
    assert response.status_code == 503
    assert problems(document, pointer, response.get_json()) == []


def test_the_validation_catches_mistakes() -> None:
    document = openapi_document()
    hit = schema_pointer("Hit")
    assert problems(document, hit, {"id": 1})
    good = {
        "id": "a", "title": "t", "url": "", "date": None, "source": "", "author": "",
        "tags": [], "views": None, "score": 1.0, "snippet": "",
    }  # fmt: skip
    assert problems(document, hit, good) == []
    assert problems(document, hit, {**good, "surprise": 1})
    assert problems(document, hit, {**good, "date": "yesterday"})
    assert problems(document, hit, {**good, "views": -1})
    assert problems(document, schema_pointer("Suggestions"), ["q", [1]])
    response = response_pointer(document, "/api/search", 200, "application/json")
    assert problems(document, response, {"query": "x"})  # refs resolve: required fields


def test_the_document_is_a_valid_json_schema_everywhere() -> None:
    document = openapi_document()
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for item in document["paths"].values():
        for parameter in item["get"].get("parameters", []):
            Draft202012Validator.check_schema(parameter["schema"])
