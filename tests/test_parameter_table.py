"""The parameter and facet tables drive the API, the page, the CLI, OpenAPI and validation.

Every row of `search.parameters.PARAMETERS` and `search.facet_specs.FACETS` must show
up, with the same limits, in each place made from them; a row added to a table shows
up in each generator (checked with a table holding one more parameter).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.datastructures import MultiDict

from indexer.typesense.schema import COLLECTION_FIELDS
from indexer.whoosh.schema import build_schema
from search import InvalidParameter, SearchRequest, validate
from search.cli import cli
from search.cli_options import request_options
from search.facet_specs import FACET_NAMES, FACETS
from search.parameters import API_SEARCH, PARAMETERS, SEARCH, SUGGEST, Parameter, parameters_of
from search.parameters import parse_arguments as parse_table
from search.research_parameters import EXPORT, EXPORT_PARAMETERS
from webui.openapi import openapi_document, query_parameters
from webui.params import request_to_search_request

NOW = datetime(2024, 3, 14, tzinfo=UTC)
#: A value each kind refuses (None: every value is accepted).
BAD_VALUE = {
    "integer": "x",
    "choice": "sideways",
    "switch": "maybe",
    "date": "not a date",
    "years": "20x5",
    "months": "2023-13",
    "values": None,
    "text": None,
}
#: A value each kind accepts, and the `SearchRequest` field's value for it.
GOOD_VALUE = {
    "integer": ("2", 2),
    "switch": ("0", False),
    "years": ("2023", (2023,)),
    "months": ("2023-07", ("2023-07",)),
    "values": ("Gold", ("Gold",)),
    "text": ("gold", "gold"),
}


def _openapi_parameters(endpoint_path: str) -> dict[str, dict]:
    operation = openapi_document()["paths"][endpoint_path]["get"]
    return {parameter["name"]: parameter for parameter in operation["parameters"]}


def _cli_options() -> dict[str, list[str]]:
    """The ``python -m search query`` options: destination -> flags."""
    command = cli.commands["query"]
    return {p.name: p.opts + p.secondary_opts for p in command.params if p.name}


@pytest.mark.parametrize("parameter", parameters_of(SEARCH), ids=lambda p: p.name)
def test_every_search_parameter_is_in_openapi_with_its_limits(parameter: Parameter) -> None:
    documented = _openapi_parameters("/api/search")[parameter.name]
    schema = documented["schema"]
    items = schema["items"] if parameter.repeatable else schema
    assert (schema["type"] == "array") == parameter.repeatable
    assert items.get("minimum") == parameter.minimum
    assert items.get("maximum") == parameter.maximum
    if parameter.choices:
        assert items["enum"] == list(parameter.choices)
        assert schema["default"] == parameter.default
    assert documented["description"] == parameter.description


def test_openapi_lists_exactly_the_table() -> None:
    searched = [p.name for p in parameters_of(SEARCH) + parameters_of(API_SEARCH)]
    assert list(_openapi_parameters("/api/search")) == searched
    exported = [p.name for p in parameters_of(EXPORT, EXPORT_PARAMETERS)]
    assert list(_openapi_parameters("/api/export")) == exported
    suggest = _openapi_parameters("/api/suggest")
    assert [(name, p["schema"]["maxLength"]) for name, p in suggest.items()] == [
        (p.name, p.max_length) for p in parameters_of(SUGGEST)
    ]


@pytest.mark.parametrize("parameter", parameters_of(SEARCH), ids=lambda p: p.name)
def test_every_search_parameter_is_a_cli_option(parameter: Parameter) -> None:
    options = _cli_options()
    if parameter.name == "q":
        assert options["text"] == ["text"]  # the query is the command's argument
        return
    flags = options[parameter.name]
    assert f"--{parameter.name.replace('_', '-')}" in flags
    if parameter.cli_off:
        assert parameter.cli_off in flags


@pytest.mark.parametrize("parameter", parameters_of(SEARCH), ids=lambda p: p.name)
def test_every_search_parameter_is_parsed_and_checked_on_the_web(parameter: Parameter) -> None:
    bad = BAD_VALUE[parameter.kind]
    if bad is not None:
        with pytest.raises(InvalidParameter) as caught:
            request_to_search_request(MultiDict([(parameter.name, bad)]), now=NOW)
        assert caught.value.param == parameter.name
    if parameter.kind in GOOD_VALUE:
        raw, expected = GOOD_VALUE[parameter.kind]
        parsed = request_to_search_request(MultiDict([(parameter.name, raw)]), now=NOW)
        assert getattr(parsed, parameter.field) == expected


def test_the_api_accepts_every_parameter_and_refuses_others(client: FlaskClient) -> None:
    for parameter in parameters_of(SEARCH):
        assert client.get("/api/search", query_string={parameter.name: ""}).status_code == 200
    answer = client.get("/api/search?fields=title")
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "unknown_parameter"


@pytest.mark.parametrize(
    ("field", "value", "param"),
    [
        ("per_page", 101, "per_page"),
        ("page", 0, "page"),
        ("sort", "sideways", "sort"),
        ("op", "xor", "op"),
        ("years", (0,), "year"),
        ("months", ("2023-13",), "month"),
        ("months", ("0000-01",), "month"),
    ],
)
def test_validate_checks_the_table_limits(field: str, value: object, param: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate(dataclasses.replace(SearchRequest(), **{field: value}))
    assert caught.value.param == param


@pytest.mark.parametrize(
    ("month", "valid"),
    [("2023-12", True), ("0001-01", True), ("2023-13", False), ("2023-00", False)]
    + [("0000-01", False), ("2023-7", False), ("2023-07-01", False)],
)
def test_the_month_rule_is_the_same_everywhere(month: str, valid: bool) -> None:
    schema = _openapi_parameters("/api/search")["month"]["schema"]
    assert Draft202012Validator(schema).is_valid([month]) is valid
    try:
        request_to_search_request(MultiDict([("month", month)]), now=NOW)
        validate(SearchRequest(months=(month,)))
        accepted = True
    except InvalidParameter as error:
        assert error.param == "month"
        accepted = False
    assert accepted is valid
    result = CliRunner().invoke(cli, ["query", "x", "--index", "/nonexistent", "--month", month])
    assert (result.exit_code == 2) is not valid  # 1 = no index: the month was accepted


def test_every_facet_is_counted_shown_selectable_and_documented(client: FlaskClient) -> None:
    payload = client.get("/api/search?q=").get_json()
    assert list(payload["facets"]) == list(FACET_NAMES)
    response_schema = openapi_document()["components"]["schemas"]["SearchResponse"]
    assert list(response_schema["properties"]["facets"]["properties"]) == list(FACET_NAMES)
    page = client.get("/?q=").get_data(as_text=True)
    search_names = {p.name for p in parameters_of(SEARCH)}
    cli_flags = {flag for flags in _cli_options().values() for flag in flags}
    for facet in FACETS:
        assert payload["facets"][facet.name], facet.name  # the test index has values of each
        assert f'id="facet-{facet.name}"' in page and f'name="{facet.param}"' in page
        assert facet.param in search_names and f"--{facet.param}" in cli_flags
        value = payload["facets"][facet.name][0]["value"]
        selected = client.get("/api/search", query_string={"q": "", facet.param: value})
        chosen = [v for v in selected.get_json()["facets"][facet.name] if v["selected"]]
        assert [v["value"] for v in chosen] == [value]


def test_every_facet_has_its_index_fields() -> None:
    whoosh_fields = set(build_schema().names())
    typesense_facets = {field["name"] for field in COLLECTION_FIELDS if field.get("facet")}
    for facet in FACETS:
        assert facet.index_field in whoosh_fields, facet.name
        assert facet.typesense_field in typesense_facets, facet.name


def test_a_parameter_added_to_the_table_shows_up_in_every_generator() -> None:
    extra = Parameter("lang", "values", "keep hits in any of these languages", field="langs")
    table = (*PARAMETERS, extra)
    assert "lang" in [p["name"] for p in query_parameters(SEARCH, table)]
    assert "lang" not in [p["name"] for p in query_parameters(SEARCH)]
    parsed = parse_table({"lang": ["en", "de", "en"]}, NOW, SEARCH, table)
    assert parsed["lang"] == ("en", "de")

    @request_options(SEARCH, table)
    def command(**chosen: object) -> None:
        """A command with the options of ``table``."""

    flags = {flag for p in command.__click_params__ for flag in p.opts}
    assert "--lang" in flags and "--per-page" in flags


def test_the_cli_runs_a_filtered_search(small_index: Path) -> None:
    args = ["query", "--index", str(small_index), "--json", "--no-collapse", "--per-page", "3"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert '"per_page": 3' in result.output
    result = CliRunner().invoke(cli, [*args, "--per-page", "101"])
    assert result.exit_code == 2 and "per_page" in result.output
