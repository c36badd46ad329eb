"""End to end: a real gunicorn serving a real on-disk index, over HTTP on loopback."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from servers import gunicorn

pytestmark = pytest.mark.slow


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


def test_gunicorn_serves_html_and_json(small_index: Path) -> None:
    with gunicorn(small_index) as base:
        status, content_type, body = get(f"{base}/api/search?q=election")
        assert status == 200 and content_type.startswith("application/json")
        payload = json.loads(body)
        assert payload["total"] == 2
        assert all("<mark>" in hit["snippet"] for hit in payload["results"])

        status, content_type, body = get(f"{base}/?q=election")
        assert status == 200 and content_type.startswith("text/html")
        page = BeautifulSoup(body, "html.parser")
        titles = [" ".join(h2.get_text().split()) for h2 in page.select("ol.hits h2")]
        assert set(titles) == {"Election results announced", "Voters queue for hours"}

        try:
            urllib.request.urlopen(f"{base}/api/search?per_page=0", timeout=10)
        except urllib.error.HTTPError as error:
            assert error.code == 400
            assert json.loads(error.read())["error"]["param"] == "per_page"
        else:
            pytest.fail("per_page=0 was accepted")


def test_workers_pick_up_a_rebuilt_index_without_restart(tmp_path: Path) -> None:
    import time

    from support import ARTICLES, build_from

    index_dir = build_from([ARTICLES], tmp_path / "ix")
    with gunicorn(index_dir, extra_env={"BROADSHEET_REFRESH_SECONDS": "0.2"}) as base:
        assert json.loads(get(f"{base}/api/search?q=zeppelin")[2])["total"] == 0
        extra = tmp_path / "extra.jsonl"
        extra.write_text(
            json.dumps({"id": "z1", "title": "Zeppelin returns", "body": "A zeppelin flew over."})
            + "\n",
            encoding="utf-8",
        )
        build_from([ARTICLES, extra], index_dir)
        deadline = time.monotonic() + 10
        totals = set()
        while time.monotonic() < deadline and totals != {1}:
            # Several requests so that every worker is asked.
            totals = {
                json.loads(get(f"{base}/api/search?q=zeppelin")[2])["total"] for _ in range(6)
            }
            time.sleep(0.2)
        assert totals == {1}
