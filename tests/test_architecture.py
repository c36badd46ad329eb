"""Layering rules: the core packages never import the web framework; only a backend's packages
import its engine; no test module imports another or conftest."""

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


def full_imports(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports (``from a.b import c`` gives ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


#: Whoosh's text-analysis packages (tokenizers, stop lists, stemmers): a text library that
#: holds no index, used by the analyzers every backend shares (`indexer.analysis`,
#: `search.snippets`, the Typesense snippet analyzer). The rest of Whoosh is the engine.
WHOOSH_TEXT_LIBRARY = ("whoosh.analysis", "whoosh.lang")
WHOOSH_HOMES = ("indexer/whoosh/", "search/whoosh/")


def whoosh_engine_users(root: Path = REPO) -> list[str]:
    """Modules outside the Whoosh packages that import Whoosh's engine."""
    offenders = []
    for package in ("corpus", "indexer", "search", "webui"):
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith(WHOOSH_HOMES):
                continue
            engine = [
                name
                for name in full_imports(path)
                if (name == "whoosh" or name.startswith("whoosh."))
                and not name.startswith(WHOOSH_TEXT_LIBRARY)
            ]
            if engine:
                offenders.append(f"{relative}: {', '.join(sorted(engine))}")
    return offenders


def test_only_the_whoosh_packages_import_the_whoosh_engine() -> None:
    """One home per backend (issue 16): Whoosh's index, codec, query, reading and
    searching code is imported only under ``indexer/whoosh/`` and ``search/whoosh/``."""
    assert (REPO / "indexer" / "whoosh" / "schema.py").exists()
    assert whoosh_engine_users() == []


def test_the_detector_sees_whoosh_engine_imports(tmp_path: Path) -> None:
    (tmp_path / "search" / "whoosh").mkdir(parents=True)
    (tmp_path / "search" / "neutral.py").write_text(
        "from whoosh.analysis import Analyzer\nimport whoosh.query as wq\n", encoding="utf-8"
    )
    (tmp_path / "search" / "whoosh" / "engine.py").write_text(
        "from whoosh.searching import Searcher\n", encoding="utf-8"
    )
    assert whoosh_engine_users(tmp_path) == ["search/neutral.py: whoosh.query"]


def test_webui_does_not_import_whoosh_at_all() -> None:
    offenders = [
        str(f.relative_to(REPO))
        for f in sorted((REPO / "webui").rglob("*.py"))
        if "whoosh" in imported_modules(f)
    ]
    assert offenders == []


def test_the_backends_do_not_import_each_other() -> None:
    """The Whoosh, Typesense and OpenSearch packages share only backend-neutral code."""
    packages = {
        "whoosh": ("indexer/whoosh/", "search/whoosh/"),
        "typesense": ("indexer/typesense/", "search/typesense/"),
        "opensearch": ("indexer/opensearch/", "search/opensearch/"),
    }
    crossings = []
    for name, homes in packages.items():
        others = tuple(
            home.rstrip("/").replace("/", ".")
            for other, dirs in packages.items()
            if other != name
            for home in dirs
        )
        for home in homes:
            for path in sorted((REPO / home).glob("*.py")):
                crossings += [
                    f"{path.relative_to(REPO).as_posix()}: {module}"
                    for module in sorted(full_imports(path))
                    if module.startswith(others)
                ]
    assert crossings == []


def test_the_detector_sees_flask_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom flask import Flask\n", encoding="utf-8")
    assert "flask" in imported_modules(module)


def is_test_module(name: str) -> bool:
    """Whether a dotted module name is a test module (``test_*``) or a conftest."""
    last = name.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def imported_test_modules(path: Path) -> set[str]:
    """The test modules and conftests that ``path`` imports, wherever in it (a name
    imported from a module counts too: ``from tests import test_api``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
            names.update(alias.name for alias in node.names)
    return {name for name in names if is_test_module(name)}


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    """Shared helpers live in tests/support.py and the other helper modules, shared
    fixtures in conftest.py (which pytest loads itself): a test module that imports
    another ties the two together and collects the imported fixtures and tests twice.
    The helper modules are held to the same rule, so no import reaches a test module
    through them."""
    files = [path for path in sorted((REPO / "tests").glob("*.py")) if path.name != "conftest.py"]
    assert len(files) > 50
    offenders = {
        str(f.relative_to(REPO)): sorted(modules)
        for f in files
        if (modules := imported_test_modules(f))
    }
    assert offenders == {}


def test_the_detector_sees_imports_of_test_modules(tmp_path: Path) -> None:
    module = tmp_path / "test_m.py"
    module.write_text(
        "import os\nfrom support import DATA\nfrom pytest import fixture\n"
        "def f():\n    from conftest import REPO\n"
        "import test_webui\nfrom test_browser import browser\nfrom . import test_api\n"
        "from tests.test_search import x\n",
        encoding="utf-8",
    )
    assert imported_test_modules(module) == {
        "conftest",
        "test_webui",
        "test_browser",
        "test_api",
        "tests.test_search",
    }


def test_only_the_typesense_packages_talk_to_typesense() -> None:
    """One home per backend (issue 16): the HTTP client Typesense is reached with is
    imported only under ``indexer/typesense/`` and ``search/typesense/``, and the rest of
    the code reaches those packages only through the backend switch and the CLI."""
    homes = {REPO / "indexer" / "typesense", REPO / "search" / "typesense"}
    gates = {
        REPO / "search" / "backends.py",
        REPO / "indexer" / "backends.py",
        REPO / "indexer" / "cli.py",
    }
    engine_users, reachers = [], []
    for package in ("corpus", "indexer", "search", "webui"):
        for path in sorted((REPO / package).rglob("*.py")):
            if path.parent in homes:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            modules = {
                alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.Import)
                for alias in node.names
            } | {
                node.module
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
            }
            if any(m.split(".")[0] in ("httpx", "typesense") for m in modules):
                engine_users.append(str(path.relative_to(REPO)))
            if path not in gates and any(
                m.startswith(("indexer.typesense", "search.typesense")) for m in modules
            ):
                reachers.append(str(path.relative_to(REPO)))
    assert engine_users == []
    assert reachers == []


def opensearch_reach(root: Path = REPO) -> tuple[list[str], list[str]]:
    """Modules outside the OpenSearch packages that import the OpenSearch client, and
    those that import the OpenSearch packages without being the backend switches or the
    indexer CLI."""
    homes = ("indexer/opensearch/", "search/opensearch/")
    gates = {"search/backends.py", "indexer/backends.py", "indexer/cli.py"}
    engine_users, reachers = [], []
    for package in ("corpus", "indexer", "search", "webui"):
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith(homes):
                continue
            modules = full_imports(path)
            if any(m.split(".")[0] == "opensearchpy" for m in modules):
                engine_users.append(relative)
            if relative not in gates and any(
                m.startswith(("indexer.opensearch", "search.opensearch")) for m in modules
            ):
                reachers.append(relative)
    return engine_users, reachers


def test_only_the_opensearch_packages_talk_to_opensearch() -> None:
    """One home per backend (issue 20): the official client ``opensearchpy`` is imported
    only under ``indexer/opensearch/`` and ``search/opensearch/``, and the rest of the code
    reaches those packages only through the backend switches and the indexer CLI."""
    assert (REPO / "indexer" / "opensearch" / "writer.py").exists()
    assert opensearch_reach() == ([], [])


def test_the_opensearch_detector_sees_client_imports(tmp_path: Path) -> None:
    (tmp_path / "indexer" / "opensearch").mkdir(parents=True)
    (tmp_path / "indexer" / "opensearch" / "writer.py").write_text(
        "from opensearchpy import helpers\n", encoding="utf-8"
    )
    (tmp_path / "indexer" / "tool.py").write_text(
        "def f():\n    import opensearchpy.helpers\n", encoding="utf-8"
    )
    (tmp_path / "search" / "other.py").parent.mkdir(parents=True)
    (tmp_path / "search" / "other.py").write_text(
        "from indexer.opensearch.writer import rebuild\n", encoding="utf-8"
    )
    assert opensearch_reach(tmp_path) == (["indexer/tool.py"], ["search/other.py"])


def test_every_indexer_error_is_an_indexer_error() -> None:
    """One base (issue 16): every exception class the indexer defines derives from
    `IndexerError`, which the CLI catches once and turns into its exit status."""
    import importlib
    import inspect

    from indexer.errors import IndexerError

    defined = []
    for path in sorted((REPO / "indexer").rglob("*.py")):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                defined.append(value)
    assert len(defined) >= 10
    assert [cls.__qualname__ for cls in defined if not issubclass(cls, IndexerError)] == []
