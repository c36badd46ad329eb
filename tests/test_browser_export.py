"""The results page's Download link in a real headless Chromium over a real gunicorn:
the browser saves the CSV, whose rows are the articles the page counts."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from browser_helpers import severe_console_messages, wait_for
from servers import gunicorn
from support import build_webui_index

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn over the extended test index."""
    folder = tmp_path_factory.mktemp("export")
    with gunicorn(build_webui_index(Path(folder) / "ix"), workers=1) as base:
        yield base


def _saved(folder: Path) -> list[Path]:
    """Finished downloads in ``folder`` (Chromium writes ``.crdownload`` until done)."""
    return [p for p in folder.iterdir() if not p.name.endswith(".crdownload")]


def test_the_download_link_saves_every_matching_article(
    browser: WebDriver, base_url: str, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    browser.get(base_url + "/?q=election")
    link = browser.find_element("css selector", ".download a.export-csv")
    promised = int(link.find_element("xpath", "..").text.split("all ")[1].split(" ")[0])
    link.click()
    wait_for(browser, lambda _: _saved(downloads), timeout=30)
    (saved,) = _saved(downloads)
    assert saved.name.startswith("broadsheet-election-") and saved.suffix == ".csv"
    text = saved.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows[0][:3] == ["id", "title", "date"]
    assert len(rows) - 1 == promised > 1
    with urllib.request.urlopen(base_url + "/api/search?q=election&collapse=0") as answer:
        assert json.load(answer)["total"] == len(rows) - 1
    assert severe_console_messages(browser) == []
