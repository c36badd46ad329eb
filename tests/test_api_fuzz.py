"""Property-based fuzz of every parameter of every route (issue 21, item 17).

hypothesis draws requests (derandomized: the same ones every run) to the search API
and page, the Atom feed, autocomplete, the article API and page, and the other
routes: any value for any parameter, with extra weight on what broke before (Unicode
digits that ``str.isdigit`` passes and ``int`` refuses, relative and absolute dates at
the ends of the years 1-9999, time zones that push a moment past them, date
expressions inside the query). Every answer: no 5xx; under /api/, every 4xx in the one
JSON error shape.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import Answer, api_error_problem, url_path

from search.parameters import names_of
from support import DATA, build_from
from webui import create_app

CORPUS = DATA / "search" / "corpus.jsonl"
SEARCH_ROUTES = ("/api/search", "/search", "/", "/search.atom")
#: Every parameter of the search endpoints (from the one table, so a new one is fuzzed
#: too) and one the API must refuse.
PARAMS = (*names_of("search"), "unknown")
EDGE_VALUES = (
    "\u00b2",
    "\u2460",
    "\u0661\u0669\u0669\u0669",
    "\uff11\uff12",
    "1_0",
    "+5",
    "-0",
    "0x1f",
    "9" * 5000,
    "NaN",
    "0001",
    "9999",
    "10000",
    "0000-01",
    "9999-12",
    "0001-01",
    "last 9999 years",
    "past 9999 months",
    "last 0 days",
    "this year",
    "today",
    "yesterday",
    "9999 days ago",
    "0001-01-01T00:00+05:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:00-05:00",
    "9999-12-31T23:59:59.999999-12:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01",
    "9999-12-31",
)
DATE_OPERATORS = ("date", "after", "before", "since", "until", "-date", "NOT date")


def zone() -> st.SearchStrategy[str]:
    """``Z``, ``+HH:MM`` or ``-HH:MM`` (up to 14 hours), or nothing."""
    offset = st.tuples(st.sampled_from("+-"), st.integers(0, 14), st.integers(0, 59)).map(
        lambda z: f"{z[0]}{z[1]:02d}:{z[2]:02d}"
    )
    return st.one_of(st.just(""), st.just("Z"), offset)


def dates() -> st.SearchStrategy[str]:
    """Dates and moments at and near the ends of the years 1-9999, and relative ones."""
    year = st.one_of(st.integers(0, 3), st.integers(9997, 10000), st.integers(1, 9999))
    day = st.tuples(year, st.integers(0, 13), st.integers(0, 32)).map(
        lambda d: f"{d[0]:04d}-{d[1]:02d}-{d[2]:02d}"
    )
    moment = st.tuples(day, st.integers(0, 24), st.integers(0, 60), zone()).map(
        lambda m: f"{m[0]}T{m[1]:02d}:{m[2]:02d}{m[3]}"
    )
    relative = st.tuples(
        st.sampled_from(("last", "past", "previous")),
        st.integers(0, 99999),
        st.sampled_from(("day", "days", "week", "month", "year", "years")),
    ).map(lambda r: f"{r[0]} {r[1]} {r[2]}")
    return st.one_of(day, moment, relative, year.map(str), st.sampled_from(EDGE_VALUES))


def printable() -> st.SearchStrategy[str]:
    """Any text a URL can carry (no lone surrogates)."""
    return st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


def values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(EDGE_VALUES),
        dates(),
        printable(),
        st.integers(-(10**20), 10**20).map(str),
    )


def queries() -> st.SearchStrategy[str]:
    """Query text with date expressions (quoted, bare or ranges) among words."""
    expression = st.tuples(
        st.sampled_from(DATE_OPERATORS),
        st.one_of(
            dates(),
            dates().map(lambda d: f'"{d}"'),
            st.tuples(dates(), dates()).map(lambda r: f"[{r[0]} to {r[1]}]"),
        ),
    ).map(lambda e: f"{e[0]}:{e[1]}")
    words = st.sampled_from(("election", "budget", "climate", "*", "x*", "OR", '"a b"'))
    return st.lists(st.one_of(expression, words, printable()), max_size=5).map(" ".join)


@st.composite
def requests(draw: st.DrawFn) -> str:
    """One request path (already percent-encoded)."""
    kind = draw(st.sampled_from(("search", "search", "search", "suggest", "article", "other")))
    if kind == "search":
        route = draw(st.sampled_from(SEARCH_ROUTES))
        params = draw(st.lists(st.tuples(st.sampled_from(PARAMS), values()), max_size=5))
        if draw(st.booleans()):
            params.append(("q", draw(queries())))
        return url_path(route, params)
    if kind == "suggest":
        return url_path("/api/suggest", [("q", draw(st.one_of(printable(), values())))])
    if kind == "article":
        route = draw(st.sampled_from(("/api/articles/", "/articles/")))
        article_id = draw(st.one_of(printable(), st.sampled_from(("climate-phrase", "..", "."))))
        return route + quote(article_id, safe="")
    return draw(
        st.sampled_from(
            ("/api/openapi.json", "/opensearch.xml", "/healthz", "/api/nope", "/api/articles/")
        )
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    index_dir = build_from([CORPUS], tmp_path_factory.mktemp("fuzz") / "index")
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()


def problems(path: str, client: FlaskClient) -> list[str]:
    response = client.get(path)
    answer = Answer(response.status_code, {"content-type": response.content_type}, response.data)
    found = []
    if answer.status >= 500:
        found.append(f"status {answer.status}: {answer.body[:200]!r}")
    if path.startswith("/api/") and answer.status >= 400:
        shape = api_error_problem(answer)
        if shape:
            found.append(f"error shape: {shape}")
    return found


@settings(
    max_examples=1000,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(path=requests())
def test_no_parameter_of_any_route_gives_a_5xx(client: FlaskClient, path: str) -> None:
    assert not problems(path, client), path


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/search?q=a&year=%C2%B2", 400),
        ("/api/search?q=a&year=%E2%91%A0", 400),
        ("/api/search?q=before%3A0001", 200),
        ("/api/search?q=date%3A%22last%209999%20years%22", 200),
        ("/api/search?from=last%209999%20years", 400),
        ("/api/search?q=date%3A0001-01-01T00%3A00%3A00%2B05%3A00", 200),
        ("/api/search?from=0001-01-01T00%3A00%2B05%3A00", 400),
        ("/api/search?to=9999-12-31T23%3A00-05%3A00", 400),
        ("/search.atom?to=9999-12-31T23%3A00-05%3A00", 400),
        ("/search?from=last%209999%20years", 400),
    ],
)
def test_the_reported_roots_are_answered(client: FlaskClient, path: str, status: int) -> None:
    """The roots the review's fuzz found: 400 for a parameter, a notice for the query."""
    assert not problems(path, client), path
    response = client.get(path)
    assert response.status_code == status, path
    if status == 200 and path.startswith("/api/"):
        notices = response.get_json()["notices"]
        assert any("was ignored" in notice for notice in notices)


def test_the_fuzz_reaches_every_route_and_parameter() -> None:
    routes: set[str] = set()
    names: set[str] = set()

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(path=requests())
    def collect(path: str) -> None:
        route, _, query = path.partition("?")
        if route.startswith(("/api/articles/", "/articles/")):
            route = route[: route.index("articles/") + len("articles/")]
        routes.add(route)
        names.update(pair.split("=")[0] for pair in query.split("&") if pair)

    collect()
    assert {*SEARCH_ROUTES, "/api/suggest", "/api/articles/", "/articles/"} <= routes
    assert set(PARAMS) <= names, set(PARAMS) - names
