"""Count Broadsheet's accesses to Whoosh's private attributes (issue 16).

An access is ``expr._name`` (one leading underscore, not a dunder) in `corpus`,
`indexer`, `search` or `webui` where ``_name`` is a private name Whoosh defines
(``def _name``, ``class _Name``, ``x._name = ...`` or ``_name = ...`` anywhere in the
installed whoosh package) and Broadsheet's own code never defines. Names both define
(mostly Broadsheet's own attributes such as ``self._pos``) are counted separately.

Usage: ``.venv/bin/python -m bench.whoosh_private [REPO]`` (default: this checkout).
"""

from __future__ import annotations

import ast
import collections
import sys
from collections.abc import Iterable
from pathlib import Path

import whoosh

PACKAGES = ("corpus", "indexer", "search", "webui")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def defined_private_names(paths: Iterable[Path]) -> set[str]:
    """Private names that the modules at ``paths`` define (functions, classes, attributes)."""
    names: set[str] = set()
    for path in paths:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return {name for name in names if _private(name)}


def count_accesses(repo: Path) -> tuple[collections.Counter[str], int]:
    """(accesses to Whoosh-only private names per module, accesses to shared names)."""
    ours = [path for package in PACKAGES for path in sorted((repo / package).rglob("*.py"))]
    theirs = defined_private_names(Path(whoosh.__file__).parent.rglob("*.py"))
    only_whoosh = theirs - defined_private_names(ours)
    counts: collections.Counter[str] = collections.Counter()
    shared = 0
    for path in ours:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                if node.attr in only_whoosh:
                    counts[str(path.relative_to(repo))] += 1
                elif node.attr in theirs:
                    shared += 1
    return counts, shared


def main() -> None:
    """Print the counts for the checkout named on the command line (or this one)."""
    repo = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    counts, shared = count_accesses(repo)
    print(f"Whoosh-only private names: {sum(counts.values())} accesses in {len(counts)} modules")
    for module, count in counts.most_common():
        print(f"  {module}: {count}")
    print(f"names Whoosh and Broadsheet both define (not counted above): {shared}")


if __name__ == "__main__":
    main()
