"""/api/openapi.json is OpenAPI 3.1 and describes real responses of every route.

jsonschema is not a dependency, so `check` implements the part of JSON Schema
2020-12 the document uses (type, enum, properties, required, additionalProperties,
items, prefixItems, min/maxItems, minimum, maximum, pattern, format date-time, $ref).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from test_webui import build_webui_index

from webui import create_app
from webui.openapi import openapi_document

TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def check(value: Any, schema: dict, root: dict, path: str = "$") -> list[str]:
    """Problems of ``value`` against ``schema`` (refs resolved in ``root``); [] = valid."""
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return check(value, target, root, path)
    problems: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_is_type(value, name) for name in names):
            return [f"{path}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if schema.get("format") == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{path}: {value!r} is not a date-time")
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: {value} > {schema['maximum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{path}: missing {name!r}")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                problems += check(item, properties[name], root, f"{path}.{name}")
            elif extra is False:
                problems.append(f"{path}: undocumented property {name!r}")
            elif isinstance(extra, dict):
                problems += check(item, extra, root, f"{path}.{name}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1e9):
            problems.append(f"{path}: wrong number of items ({len(value)})")
        prefix = schema.get("prefixItems", [])
        for index, item in enumerate(value):
            sub = prefix[index] if index < len(prefix) else schema.get("items")
            if sub is not None:
                problems += check(item, sub, root, f"{path}[{index}]")
    return problems


def response_schema(document: dict, route: str, status: int, media: str) -> dict:
    """The schema the document gives for ``route``'s ``status`` response."""
    response = document["paths"][route]["get"]["responses"][str(status)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"][media]["schema"]


@pytest.fixture(scope="module")
def wclient(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A client over the extended test index."""
    index_dir: Path = build_webui_index(tmp_path_factory.mktemp("openapi") / "ix")
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()


@pytest.fixture(scope="module")
def document(wclient) -> dict:  # noqa: ANN001
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


def test_every_app_api_route_is_documented(wclient, document: dict) -> None:  # noqa: ANN001
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
    ],
)
def test_real_responses_match_the_document(
    wclient,
    document: dict,
    url: str,
    route: str,
    status: int,
    media: str,  # noqa: ANN001
) -> None:
    response = wclient.get(url)
    assert response.status_code == status and response.mimetype == media
    schema = response_schema(document, route, status, media)
    assert check(response.get_json(), schema, document) == []


def test_unavailable_index_matches_the_document(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    document = openapi_document()
    response = client.get("/api/search?q=x")
    schema = response_schema(document, "/api/search", 503, "application/json")
    assert response.status_code == 503 and check(response.get_json(), schema, document) == []


def test_the_checker_catches_mistakes() -> None:
    document = openapi_document()
    schema = {"$ref": "#/components/schemas/Hit"}
    assert check({"id": 1}, schema, document)
    good = {
        "id": "a", "title": "t", "url": "", "date": None, "source": "", "author": "",
        "tags": [], "views": None, "score": 1.0, "snippet": "",
    }  # fmt: skip
    assert check(good, schema, document) == []
    assert check({**good, "surprise": 1}, schema, document)
    assert check({**good, "date": "yesterday"}, schema, document)
    assert check(["q", [1]], {"$ref": "#/components/schemas/Suggestions"}, document)
