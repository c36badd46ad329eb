"""Layering rules: the core packages never import the web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["corpus", "indexer", "search"])
def test_core_packages_do_not_import_flask(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"no modules found in {package}/"
    offenders = [
        str(f.relative_to(REPO)) for f in files if {"flask", "werkzeug"} & imported_modules(f)
    ]
    assert offenders == []


def test_corpus_does_not_import_whoosh() -> None:
    offenders = [
        str(f.relative_to(REPO))
        for f in sorted((REPO / "corpus").rglob("*.py"))
        if "whoosh" in imported_modules(f)
    ]
    assert offenders == []


def test_webui_does_not_import_whoosh() -> None:
    offenders = [
        str(f.relative_to(REPO))
        for f in sorted((REPO / "webui").rglob("*.py"))
        if "whoosh" in imported_modules(f)
    ]
    assert offenders == []


def test_the_detector_sees_flask_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom flask import Flask\n", encoding="utf-8")
    assert "flask" in imported_modules(module)
