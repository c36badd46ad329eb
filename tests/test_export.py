"""Export (``/api/export``, ``python -m search export``) and cursor paging (``/api/search``).

An archive made for it: articles sharing one timestamp (ties broken by id), undated
ones, equal and unknown view counts, three copies of one story (near-duplicates), and
cells a spreadsheet would run as formulas.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from corpus.article import Article
from indexer import build_index
from search import SearchRequest, SearchService
from search.cli import cli
from search.csv_cells import neutral_cell
from search.export import export_chunks, parse_fields
from search.models import MAX_WINDOW
from search.parameters import validate
from support import HOSTILE_TITLES, SAME_MOMENT, export_archive
from webui import create_app

NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("export") / "index"
    build_index(export_archive(), index_dir)
    return index_dir


@pytest.fixture()
def svc(archive: Path):
    service = SearchService(archive)
    yield service
    service.close()


@pytest.fixture()
def web(archive: Path) -> FlaskClient:
    return create_app({"TESTING": True, "INDEX_DIR": str(archive)}).test_client()


def _exported_ids(svc: SearchService, request: SearchRequest) -> list[str]:
    stream = svc.export(request, NOW)
    try:
        return [article.id for article in stream]
    finally:
        stream.close()


def _paged_ids(svc: SearchService, request: SearchRequest, per_page: int = 7) -> list[str]:
    found: list[str] = []
    page = 1
    while True:
        asked = SearchRequest(**{**_fields(request), "page": page, "per_page": per_page})
        response = svc.search(asked, NOW)
        found += [hit.id for hit in response.hits]
        if page * per_page >= response.total:
            return found
        page += 1


def _fields(request: SearchRequest) -> dict[str, object]:
    return {name: getattr(request, name) for name in request.__dataclass_fields__}


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest", "views"])
@pytest.mark.parametrize("collapse", [False, True])
@pytest.mark.parametrize(
    "q",
    [
        "harbour",
        "",
        "harbour OR budget",
        "harbour -quay",
        '"harbour quay"~3',
        "harb*",
        "harbour ANDMAYBE budget",  # ranked by Whoosh's collector, not the fast scorer
    ],
)
def test_export_lists_what_the_pages_list_in_the_same_order(
    svc: SearchService, q: str, sort: str, collapse: bool
) -> None:
    request = SearchRequest(q=q, sort=sort, collapse=collapse, correct=False)
    exported = _exported_ids(svc, request)
    assert exported == _paged_ids(svc, request)
    assert len(exported) == len(set(exported)) > 0


def test_export_rows_equal_the_search_total(svc: SearchService) -> None:
    every = SearchRequest(q="harbour", collapse=False)
    assert len(_exported_ids(svc, every)) == svc.search(every, NOW).total
    stories = SearchRequest(q="harbour", collapse=True)
    collapsed = _exported_ids(svc, stories)
    assert len(collapsed) == svc.search(stories, NOW).total
    copies = {"copy-x", "copy-y", "copy-z"}
    assert len(copies & set(collapsed)) == 1 and copies <= set(_exported_ids(svc, every))


def test_date_ties_are_broken_by_id_and_undated_come_last(svc: SearchService) -> None:
    stream = svc.export(SearchRequest(q="", sort="newest"), NOW)
    rows = list(stream)
    stream.close()
    tied = [a.id for a in rows if a.date == SAME_MOMENT]
    assert len(tied) > 2 and tied == sorted(tied)
    dated = [a.date for a in rows if a.date is not None]
    assert dated == sorted(dated, reverse=True)
    undated = [a.id for a in rows if a.date is None]
    assert undated and [a.id for a in rows[-len(undated) :]] == sorted(undated)


def test_filters_narrow_the_export(svc: SearchService) -> None:
    request = SearchRequest(q="harbour", sources=("Morning Post",), tags=("Money",))
    rows = list(svc.export(request, NOW))
    assert rows and all(a.source == "Morning Post" and "Money" in a.tags for a in rows)


def test_csv_is_spreadsheet_safe(web: FlaskClient) -> None:
    response = web.get("/api/export?q=harbour&fields=id,title,author,views,body,tags")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert 'filename="broadsheet-harbour-' in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["id", "title", "author", "views", "body", "tags"]
    assert len(rows) - 1 == int(response.headers["X-Total-Count"])
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id["cell-formula"][1] == "'" + HOSTILE_TITLES["cell-formula"]
    assert by_id["cell-plus"][1] == "'+44 harbour hotline"
    assert by_id["cell-at"][1] == "'@SUM(A1) harbour"
    assert by_id["cell-minus"][1] == "'-harbour dues rise"
    assert by_id["cell-minus"][2] == "'-"  # the author "-" too
    assert by_id["cell-quote"][1] == HOSTILE_TITLES["cell-quote"]  # quoted, not altered
    assert by_id["cell-quote"][4] == "A harbour notice.\nSecond line, with a comma."
    assert by_id["a02"][5] == "Ports; Money"
    assert "\r\n" in raw.decode("utf-8")


def test_neutral_cell_leaves_numbers_alone() -> None:
    assert neutral_cell("-3") == "-3" and neutral_cell("+1.5") == "+1.5"
    assert neutral_cell("=1+1") == "'=1+1" and neutral_cell("\tx") == "'\tx"
    assert neutral_cell("plain") == "plain" and neutral_cell("") == ""


def test_jsonl_keeps_types_and_unknowns(web: FlaskClient) -> None:
    response = web.get("/api/export?q=&format=jsonl&fields=id,date,views,tags&sort=oldest")
    assert response.mimetype == "application/x-ndjson"
    assert response.headers["Content-Disposition"].endswith('.jsonl"')
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(lines) == 48 and all(list(row) == ["id", "date", "views", "tags"] for row in lines)
    assert any(row["views"] is None for row in lines) and any(row["date"] is None for row in lines)
    assert lines[0]["date"] == "2022-02-02T00:00:00Z" or lines[0]["date"] < "2022-02-02"
    assert isinstance(lines[0]["tags"], list)


def test_export_defaults_to_every_article_and_collapse_is_optional(web: FlaskClient) -> None:
    every = web.get("/api/export?q=crane&format=jsonl").get_data(as_text=True).splitlines()
    assert len(every) == 3
    one = web.get("/api/export?q=crane&format=jsonl&collapse=1").get_data(as_text=True)
    assert len(one.splitlines()) == 1
    default_fields = list(json.loads(every[0]))
    assert default_fields == ["id", "title", "date", "source", "url", "tags", "author", "views"]


@pytest.mark.parametrize(
    ("url", "param", "code"),
    [
        ("/api/export?fields=id,secret", "fields", "invalid_parameter"),
        ("/api/export?fields=,", "fields", "invalid_parameter"),
        ("/api/export?format=xml", "format", "invalid_parameter"),
        ("/api/export?page=3", "page", "unknown_parameter"),
        ("/api/export?from=2024&to=2020", "from", "invalid_date"),
        ("/api/export?sort=sideways", "sort", "invalid_parameter"),
    ],
)
def test_export_errors_are_the_one_json_shape(
    web: FlaskClient, url: str, param: str, code: str
) -> None:
    response = web.get(url)
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == param
    assert response.get_json()["error"]["code"] == code


def test_parse_fields_keeps_order_and_drops_repeats() -> None:
    assert parse_fields("Title, id,title") == ("title", "id")


def test_export_chunks_cover_every_row_once() -> None:
    articles = [Article(id=str(n), title=f"t{n}", body="b") for n in range(450)]
    chunks = list(export_chunks(articles, ("id",), "csv"))
    assert len(chunks) == 3  # 200 + 200 + 50 rows (the header rides with the first)
    rows = list(csv.reader(io.StringIO("".join(chunks).lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(450)]
    lines = "".join(export_chunks(articles, ("id", "title"), "jsonl")).splitlines()
    assert len(lines) == 450 and json.loads(lines[-1]) == {"id": "449", "title": "t449"}


def test_an_export_finishes_from_its_snapshot_while_the_index_is_rebuilt(
    tmp_path: Path,
) -> None:
    index_dir = tmp_path / "index"
    build_index(export_archive(), index_dir)
    service = SearchService(index_dir, refresh_seconds=0)
    try:
        stream = service.export(SearchRequest(q="", collapse=False), NOW)
        rows = [next(iter(stream))]
        build_index(export_archive()[:5], index_dir)  # a new generation replaces the served one
        build_index(export_archive()[:3], index_dir)  # and the old one is removed
        assert service.doc_count() == 3  # searches moved on
        rows += list(stream)
        stream.close()
        assert len(rows) == 48 and len({a.id for a in rows}) == 48
    finally:
        service.close()


def test_the_cli_exports_a_file(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "harbour.csv"
    args = ["export", "harbour", "--index", str(archive), "--format", "csv", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0][0] == "id" and f"{len(rows) - 1} articles exported" in result.output
    result = CliRunner().invoke(cli, ["export", "x", "--index", str(archive), "--fields", "nope"])
    assert result.exit_code == 2 and "fields" in result.output
    result = CliRunner().invoke(cli, ["export", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1


# -- cursor paging ------------------------------------------------------------------


def _walk(web: FlaskClient, query: str) -> list[str]:
    answer = web.get(f"/api/search?{query}").get_json()
    ids = [hit["id"] for hit in answer["results"]]
    while answer["next_cursor"]:
        answer = web.get(f"/api/search?{query}&cursor={answer['next_cursor']}").get_json()
        assert "error" not in answer, answer
        ids += [hit["id"] for hit in answer["results"]]
    return ids


@pytest.mark.parametrize(
    "query",
    [
        "q=harbour&per_page=5",
        "q=harbour&per_page=5&collapse=0",
        "q=&sort=oldest&per_page=7",
        "q=harbour+OR+budget&sort=views&per_page=9",
    ],
)
def test_cursor_pages_walk_every_result_once(web: FlaskClient, svc: SearchService, query: str):
    ids = _walk(web, query)
    total = web.get(f"/api/search?{query}").get_json()["total"]
    assert len(ids) == len(set(ids)) == total
    params = dict(pair.split("=") for pair in query.split("&"))
    request = SearchRequest(
        q=params["q"].replace("+", " "),
        sort=params.get("sort", "relevance"),
        collapse=params.get("collapse") != "0",
        correct=False,
    )
    assert ids == _exported_ids(svc, request)  # the export lists them in the same order


def test_a_cursor_page_may_change_its_size(web: FlaskClient) -> None:
    first = web.get("/api/search?q=harbour&per_page=4").get_json()
    second = web.get(f"/api/search?q=harbour&per_page=6&cursor={first['next_cursor']}")
    ids = [hit["id"] for hit in second.get_json()["results"]]
    whole = web.get("/api/search?q=harbour&per_page=10").get_json()["results"]
    assert ids == [hit["id"] for hit in whole[4:10]]


def test_a_cursor_must_belong_to_its_search(web: FlaskClient) -> None:
    cursor = web.get("/api/search?q=harbour&per_page=3").get_json()["next_cursor"]
    other = web.get(f"/api/search?q=budget&per_page=3&cursor={cursor}")
    assert other.status_code == 400
    assert other.get_json()["error"]["code"] == "invalid_cursor"
    for bad in ("x", "eyJ2IjoxfQ", cursor[:-3] + "AAA", "%00" * 3):
        answer = web.get(f"/api/search?q=harbour&cursor={bad}")
        assert answer.status_code == 400 and answer.get_json()["error"]["param"] == "cursor"
    both = web.get(f"/api/search?q=harbour&per_page=3&page=2&cursor={cursor}")
    assert both.status_code == 400 and both.get_json()["error"]["param"] == "page"


def test_a_cursor_expires_with_its_index_snapshot(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(export_archive(), index_dir)
    web = create_app(
        {"TESTING": True, "INDEX_DIR": str(index_dir), "REFRESH_SECONDS": 0}
    ).test_client()
    cursor = web.get("/api/search?q=harbour&per_page=3").get_json()["next_cursor"]
    assert web.get(f"/api/search?q=harbour&per_page=3&cursor={cursor}").status_code == 200
    build_index(export_archive()[:30], index_dir)
    expired = web.get(f"/api/search?q=harbour&per_page=3&cursor={cursor}")
    assert expired.status_code == 400
    assert expired.get_json()["error"]["code"] == "cursor_expired"


def test_the_last_page_has_no_cursor(web: FlaskClient) -> None:
    answer = web.get("/api/search?q=crane&per_page=5&collapse=0").get_json()
    assert answer["total"] == 3 and answer["next_cursor"] is None


def test_cursor_paging_is_not_held_to_the_window() -> None:
    validate(SearchRequest(start=MAX_WINDOW * 3, per_page=100))
    with pytest.raises(Exception, match="page"):
        validate(SearchRequest(page=MAX_WINDOW, per_page=100))
