"""Broadsheet leaves Whoosh as it is, and refuses to run on a Whoosh it does not support.

Each check runs in a fresh interpreter: every Whoosh module is imported and every
module and class attribute is remembered; then `indexer`, `search` and `webui` are
imported and used (an index built in-process and by worker processes, searched
through `search.SearchService` and through the web app), and every attribute must
still be the very same object. A faked Whoosh version must stop the import of
each package with a message naming the version found and the one needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO / "tests" / "data" / "articles.jsonl"

_SNAPSHOT_AND_USE = r"""
import importlib, json, pkgutil, sys, warnings
from pathlib import Path

warnings.simplefilter("ignore")
import whoosh

for info in pkgutil.walk_packages(whoosh.__path__, "whoosh."):
    try:
        importlib.import_module(info.name)
    except Exception:  # optional extras (e.g. whoosh.support.* needing other packages)
        pass


def snapshot():
    found = {}
    for name, module in list(sys.modules.items()):
        if name != "whoosh" and not name.startswith("whoosh."):
            continue
        for attr, value in list(vars(module).items()):
            found[f"{name}:{attr}"] = value
            if isinstance(value, type) and value.__module__ == name:
                for member, member_value in list(vars(value).items()):
                    found[f"{name}:{attr}.{member}"] = member_value
    return found


before = snapshot()
modules = sorted({key.split(":")[0] for key in before})

from corpus import ReadReport, read_paths
from indexer import build_index
from search import SearchRequest, SearchService
from webui import create_app

work = Path(sys.argv[1])
articles = list(read_paths([sys.argv[2]], ReadReport()))
hits = {}
if __name__ == "__main__":
    for workers in (1, 2):
        index_dir = work / f"index-{workers}"
        build_index(articles, index_dir, workers=workers)
        service = SearchService(index_dir)
        hits[workers] = service.search(SearchRequest(q="budget")).total
        service.close()
    app = create_app({"INDEX_DIR": str(work / "index-1"), "TESTING": True})
    status = app.test_client().get("/api/search?q=budget").status_code

    after = snapshot()
    changed = sorted(key for key, value in before.items() if after.get(key, before) is not value)
    # __slotnames__: the copyreg cache pickle fills in on a class it pickles (Python's own).
    added = sorted(
        key for key in set(after) - set(before)
        if key.split(":")[0] in set(modules) and not key.endswith(".__slotnames__")
    )
    print(json.dumps({"modules": modules, "attributes": len(before), "changed": changed,
                      "added": added, "hits": hits, "status": status}))
"""


def _python(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("BROADSHEET_INDEX_DIR", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_using_broadsheet_changes_no_whoosh_attribute(tmp_path: Path) -> None:
    script = tmp_path / "use_broadsheet.py"
    script.write_text(_SNAPSHOT_AND_USE, encoding="utf-8")
    done = _python([str(script), str(tmp_path), str(ARTICLES)], tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["modules"]) > 50  # every Whoosh module was looked at
    assert result["attributes"] > 5000
    assert result["hits"]["1"] > 0 and result["hits"]["1"] == result["hits"]["2"]
    assert result["status"] == 200
    assert result["changed"] == []
    assert result["added"] == []


@pytest.mark.parametrize("package", ["indexer", "search", "webui"])
def test_an_unsupported_whoosh_stops_the_import(tmp_path: Path, package: str) -> None:
    code = f"import whoosh\nwhoosh.__version__ = (2, 7, 4)\nimport {package}\n"
    done = _python(["-c", code], tmp_path)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("indexer.whoosh.version.UnsupportedWhoosh: ")
    assert "needs Whoosh 2.7.5" in last and "found Whoosh 2.7.4" in last
    assert "pip install -r requirements.txt" in last


def test_the_supported_whoosh_imports(tmp_path: Path) -> None:
    done = _python(
        ["-c", "import webui, indexer.whoosh.version as v; print(v.SUPPORTED_WHOOSH)"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "((2, 7, 5),)"
