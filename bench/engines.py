"""Engine adapters: how each engine builds an index and answers one benchmark query.

Every adapter has ``build(articles, index_dir)`` and ``open(index_dir)`` returning an
object whose ``search(query, variant) -> int`` runs one query and returns the total
number of matches. Variants: ``plain`` (top 10, stored fields), ``facets`` (+ tag,
source and year counts), ``snippets`` (+ 10 highlighted snippets), ``full`` (both).
Adapters import their engine lazily so a missing optional engine only skips itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from corpus import Article

VARIANTS = ("plain", "facets", "snippets", "full")
TOP = 10
FACET_SIZE = 20


class Searcher(Protocol):
    """What an opened engine offers the benchmark."""

    def search(self, query: str, variant: str) -> int:
        """Run ``query`` in ``variant``; return the number of matching articles."""
        ...


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """An engine of the benchmark: a name, its module, and what it needs installed."""

    name: str
    module: str
    label: str
    requires: str = ""

    def load(self) -> Any:
        """Import the adapter module."""
        return importlib.import_module(self.module)

    def build(self) -> Callable[[list[Article], Path], None]:
        """The adapter's build function."""
        return self.load().build

    def open(self, index_dir: Path) -> Searcher:
        """Open the built index for searching."""
        return self.load().open_index(index_dir)


ENGINES: dict[str, EngineSpec] = {
    spec.name: spec
    for spec in (
        EngineSpec("broadsheet", "bench.eng_broadsheet", "Broadsheet (in-process)"),
        EngineSpec("whoosh", "bench.eng_whoosh", "naive Whoosh 2.7.5"),
        EngineSpec("fts5", "bench.eng_fts5", "SQLite FTS5 (stdlib)"),
        EngineSpec("tantivy", "bench.eng_tantivy", "tantivy (Python bindings)", "tantivy"),
    )
}


def installable(spec: EngineSpec) -> str | None:
    """None when the engine can run here, else why not."""
    if not spec.requires:
        return None
    try:
        importlib.import_module(spec.requires)
    except ImportError as error:
        return f"not installable/installed: {error}"
    return None
