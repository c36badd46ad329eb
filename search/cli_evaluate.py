"""``python -m search evaluate|tune|evaluate-spelling``: ranking and did-you-mean quality.

Commands added to the ``python -m search`` group by `search.cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from search.cli_options import default_index_dir, opened_whoosh


@click.command("evaluate")
@click.option(
    "--topics",
    "topics_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TREC topics: one 'qid<TAB>query text' a line.",
)
@click.option(
    "--qrels",
    "qrels_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TREC qrels: 'qid 0 docid relevance' lines.",
)
@click.option(
    "--index",
    "index_dir",
    default=default_index_dir,
    show_default="$BROADSHEET_INDEX_DIR or var/index",
)
@click.option(
    "--suite",
    "suite_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of judged collections (corpus.jsonl.gz, queries.tsv, qrels.txt each): "
    "index each, run its queries, print the table with the README's baselines.",
)
@click.option(
    "--cache",
    "cache_dir",
    default="var/eval-index",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where --suite keeps its indexes (reused while corpus, schema and indexer code match).",
)
@click.option(
    "--collection",
    "collections",
    multiple=True,
    help="With --suite: only this collection (repeatable; default: all five).",
)
@click.option("--per-query", is_flag=True, help="Also print the measures of every topic.")
@click.option(
    "--run-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the ranked run in TREC format to this file.",
)
def evaluate_command(
    topics_path: Path | None,
    qrels_path: Path | None,
    index_dir: str,
    suite_dir: Path | None,
    cache_dir: Path,
    collections: tuple[str, ...],
    per_query: bool,
    run_out: Path | None,
) -> None:
    """Run TOPICS against the index (OR semantics, top 100) and print MAP, nDCG@10,
    P@10 and recall@100 against QRELS; or, with --suite, do so for every judged
    collection of a suite. Exit status: 0 done, 1 no index, 2 bad input."""
    from search.evaluate import EvaluationInputError, measure, read_qrels, read_topics, run_topics

    if suite_dir is not None:
        _evaluate_suite(suite_dir, cache_dir, collections)
        return
    if topics_path is None or qrels_path is None:
        click.echo("error: give --topics and --qrels, or --suite", err=True)
        sys.exit(2)
    try:
        topics = read_topics(topics_path)
        judgements = read_qrels(qrels_path)
    except EvaluationInputError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    with opened_whoosh(index_dir) as service:
        run = run_topics(service, topics)
    if run_out is not None:
        lines = [
            f"{qid} Q0 {docid} {rank} {len(ids) - rank} broadsheet"
            for qid, ids in run.items()
            for rank, docid in enumerate(ids, start=1)
        ]
        run_out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    means, by_topic = measure(judgements, run)
    if per_query:
        for qid in sorted(by_topic, key=lambda q: (len(q), q)):
            values = "  ".join(f"{name}={value:.4f}" for name, value in by_topic[qid].items())
            click.echo(f"{qid:>8}  {values}  {topics.get(qid, '(no topic)')}")
    click.echo(f"topics judged: {len(by_topic)}, run: {len(run)}")
    for name, value in means.items():
        click.echo(f"{name:<8} {value:.4f}")


def _evaluate_suite(suite_dir: Path, cache_dir: Path, collections: tuple[str, ...]) -> None:
    """``evaluate --suite``: the table of every collection, with the baselines."""
    from search.eval_suite import COLLECTIONS, format_table, read_baselines, run_suite

    names = collections or tuple(n for n in COLLECTIONS if (suite_dir / n).is_dir())
    missing = [n for n in names if not (suite_dir / n / "queries.tsv").is_file()]
    if missing or not names:
        click.echo(f"error: no judged collection {', '.join(missing)} in {suite_dir}", err=True)
        sys.exit(2)
    results = run_suite(suite_dir, cache_dir, names, log=lambda line: click.echo(line, err=True))
    click.echo(format_table(results, read_baselines(suite_dir / "README.md")))


@click.command("tune")
@click.option(
    "--suite",
    "suite_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of judged collections (as for evaluate --suite).",
)
@click.option(
    "--cache",
    "cache_dir",
    default="var/eval-index",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the collections' indexes are kept (shared with evaluate --suite).",
)
@click.option("--quick", is_flag=True, help="A small grid (a smoke run of the method).")
@click.option(
    "--resume",
    "resume_log",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The stderr log of an earlier run: its scores are reused, only the rest is measured.",
)
def tune_command(suite_dir: Path, cache_dir: Path, quick: bool, resume_log: Path | None) -> None:
    """Choose ranking parameters by leave-one-collection-out cross-validation over the
    suite's collections (search/tuning.py) and print every fold and the final choice."""
    from search.eval_suite import COLLECTIONS
    from search.tuning import (
        BASE_GRID,
        FEEDBACK_GRID,
        cross_validate,
        open_collections,
        read_log,
        report,
    )

    base, feedback = BASE_GRID, FEEDBACK_GRID
    if quick:
        base = {"k1": (1.2, 1.5), "title_weight": (1.5, 3.0)}
        feedback = {"feedback_docs": (10,), "feedback_terms": (20,), "feedback_weight": (1.0,)}
    names = tuple(n for n in COLLECTIONS if (suite_dir / n / "queries.tsv").is_file())
    if not names:
        click.echo(f"error: no judged collection in {suite_dir}", err=True)
        sys.exit(2)
    opened = open_collections(suite_dir, cache_dir, names)
    try:
        logged = read_log(resume_log.open(encoding="utf-8")) if resume_log else None
        folds, final = cross_validate(
            [c for _, c in opened],
            base,
            feedback,
            log=lambda line: click.echo(line, err=True),
            logged=logged,
        )
    finally:
        for service, _ in opened:
            service.close()
    click.echo(report(folds, final))


@click.command("evaluate-spelling")
@click.option(
    "--set",
    "set_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path(__file__).parent / "eval" / "spelling_demo.tsv",
    show_default="search/eval/spelling_demo.tsv",
    help="part<TAB>kind<TAB>query<TAB>expected lines.",
)
@click.option(
    "--index",
    "index_dir",
    default=default_index_dir,
    show_default="$BROADSHEET_INDEX_DIR or var/index",
)
@click.option("--part", type=click.Choice(["dev", "test", "all"]), default="all", show_default=True)
@click.option("--show-wrong", is_flag=True, help="Also print every wrong answer.")
def evaluate_spelling_command(set_path: Path, index_dir: str, part: str, show_wrong: bool) -> None:
    """Run the misspelling set through the search entry point; print the share of right
    suggestions per part and kind, and latency p50/p99 (all and zero-hit queries, cold
    and warm). Exit status: 0 done, 1 no index, 2 bad set file."""
    from search.spelling_eval import SpellingSetError, read_cases, report_lines, run_cases

    try:
        cases = read_cases(set_path)
    except (SpellingSetError, UnicodeDecodeError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    if part != "all":
        cases = [case for case in cases if case.part == part]
    with opened_whoosh(index_dir) as service:
        results = run_cases(service, cases)
    for line in report_lines(results, show_wrong):
        click.echo(line)
