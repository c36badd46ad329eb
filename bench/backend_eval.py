"""Ranking quality of the OpenSearch backend on the five judged collections.

    python -m bench.backend_eval --nodes 127.0.0.1:9200,127.0.0.1:9201,127.0.0.1:9202

Each collection of ``../shared/data/ir-collections`` is rebuilt through the OpenSearch
writer behind its own alias (``eval-<name>``) and its queries are run as `make eval` runs
them on Whoosh (`search.eval_suite.evaluate_collection`: the baselines' query rule,
``op=or``, no collapsing, the top 1,000). The table is MAP, nDCG@10, P@10 and R@100 per
collection and their mean. The cluster is not started here (`make opensearch-up`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.corpora import REPO
from corpus import ReadReport, read_paths
from search.eval_suite import COLLECTIONS, evaluate_collection, mean_row

SUITE = REPO.parent / "shared" / "data" / "ir-collections"


def main(argv: list[str] | None = None) -> int:
    """Rebuild, evaluate and print each collection, then the mean."""
    from indexer.opensearch.writer import OpenSearchWriter
    from search.opensearch.backend import OpenSearchSearchService

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", required=True, help="host:port,... of the cluster")
    parser.add_argument("--suite", type=Path, default=SUITE)
    args = parser.parse_args(argv)
    results = []
    for name in COLLECTIONS:
        folder, alias = args.suite / name, f"eval-{name}"
        writer = OpenSearchWriter(args.nodes, alias)
        try:
            writer.rebuild(read_paths([folder / "corpus.jsonl.gz"], ReadReport()))
        finally:
            writer.close()
        result = evaluate_collection(
            folder, folder, lambda _folder, alias=alias: OpenSearchSearchService(args.nodes, alias)
        )
        print(name, {key: round(value, 4) for key, value in result.means.items()}, flush=True)
        results.append(result)
    print("mean", {key: round(value, 4) for key, value in mean_row(results).items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
