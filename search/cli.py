"""``python -m search "QUERY" [--index DIR] [--json]``: the search entry point on the command line.

``python -m search evaluate --topics FILE --qrels FILE [--index DIR]``: ranking quality.

``python -m search evaluate-spelling [--set FILE] [--index DIR]``: did-you-mean accuracy.

Exit status: 0 = answered (even with no hits); 1 = no index; 2 = bad parameter.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from search.backends import service_from_environment
from search.errors import IndexUnavailable, InvalidParameter
from search.parameters import (
    PARAMETERS,
    SEARCH,
    SWITCH_OFF,
    SWITCH_ON,
    Parameter,
    parameters_of,
    parse_request,
)
from search.whoosh.engine import SearchService

F = TypeVar("F", bound=Callable[..., Any])


class DefaultCommandGroup(click.Group):
    """A group whose first argument, when it is no command name, goes to ``query``."""

    default_command = "query"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Insert the default command name unless a known command comes first."""
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def default_index_dir() -> str:
    """``BROADSHEET_INDEX_DIR``, else ``var/index``."""
    return os.environ.get("BROADSHEET_INDEX_DIR") or "var/index"


@click.group(cls=DefaultCommandGroup)
def cli() -> None:
    """Search a Broadsheet index from the command line."""


#: Placeholders of option values in ``--help``, by parameter kind.
_METAVARS = {"integer": "N", "date": "DATE", "years": "YEAR", "months": "YYYY-MM"}


def _request_option(parameter: Parameter) -> Callable[[F], F]:
    """The click option of one row of the parameter table: ``--per-page`` for
    ``per_page``, ``--tag`` (repeatable) for ``tag``, ``--collapse/--no-collapse``
    for a switch. Values stay strings, parsed by `search.parameters` as on the web."""
    flag = "--" + parameter.name.replace("_", "-")
    help_text = parameter.description[:1].upper() + parameter.description[1:] + "."
    if parameter.kind == "switch":
        names = [f"{flag}/--no-{flag[2:]}"]
        if parameter.cli_off:
            names.append(f" /{parameter.cli_off}")
        default = "on" if parameter.default else "off"
        help_text += f" [default: {default}]"
        return click.option(*names, parameter.field, default=None, help=help_text)
    if parameter.repeatable:
        help_text += " (repeatable)"
    elif parameter.default not in (None, ""):
        help_text += f" [default: {parameter.default}]"
    return click.option(
        flag,
        parameter.field,
        multiple=parameter.repeatable,
        type=click.Choice(parameter.choices, case_sensitive=False) if parameter.choices else None,
        metavar=_METAVARS.get(parameter.kind, "TEXT") if not parameter.choices else None,
        default=None,
        help=help_text,
    )


def request_options(table: Iterable[Parameter] = PARAMETERS) -> Callable[[F], F]:
    """Decorate a command with one option per search parameter of ``table`` (the query
    text, ``q``, is the command's argument)."""

    def decorate(function: F) -> F:
        for parameter in reversed(parameters_of(SEARCH, table)):
            if parameter.name != "q":
                function = _request_option(parameter)(function)
        return function

    return decorate


def _raw_values(chosen: dict[str, Any]) -> dict[str, list[str]]:
    """The options given, as the raw strings the web would have (name -> values)."""
    raw: dict[str, list[str]] = {}
    for parameter in parameters_of(SEARCH):
        value = chosen.get(parameter.field)
        if value is None or value == ():
            continue
        if isinstance(value, bool):
            raw[parameter.name] = [SWITCH_ON[0] if value else SWITCH_OFF[0]]
        elif isinstance(value, tuple):
            raw[parameter.name] = list(value)
        else:
            raw[parameter.name] = [str(value)]
    return raw


@cli.command("query")
@click.argument("text", nargs=-1)
@click.option(
    "--index",
    "index_dir",
    default=default_index_dir,
    show_default="$BROADSHEET_INDEX_DIR or var/index",
)
@request_options()
@click.option("--json", "as_json", is_flag=True, help="Print the JSON API's response.")
def query_command(text: tuple[str, ...], index_dir: str, as_json: bool, **chosen: Any) -> None:
    """Search for TEXT (Whoosh query syntax; all words required by default)."""
    raw = {"q": [" ".join(text)], **_raw_values(chosen)}
    try:
        request = parse_request(raw, datetime.now(UTC))
    except InvalidParameter as error:
        click.echo(f"error: {error.param}: {error.message}", err=True)
        sys.exit(2)
    try:  # the backend BROADSHEET_BACKEND names, as the server would search
        service = service_from_environment(INDEX_DIR=index_dir)
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    try:
        response = service.search(request)
    except IndexUnavailable as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except InvalidParameter as error:
        click.echo(f"error: {error.param}: {error.message}", err=True)
        sys.exit(2)
    finally:
        service.close()
    if as_json:
        click.echo(json.dumps(response.to_json_dict(), ensure_ascii=False, indent=2))
        return
    for notice in response.notices:
        click.echo(f"note: {notice}")
    if response.corrected_query:
        click.echo(f"showing results for: {response.corrected_query} (nothing matched as typed)")
    if response.suggestion:
        click.echo(f"did you mean: {response.suggestion}")
    page, per_page = request.page, request.per_page
    click.echo(f"{response.total} results ({response.took_ms:.1f} ms), page {page}")
    for rank, hit in enumerate(response.hits, start=(page - 1) * per_page + 1):
        date = hit.date.strftime("%Y-%m-%d") if hit.date else "no date"
        dupes = f"  +{hit.duplicates} similar" if hit.duplicates else ""
        click.echo(f"{rank:>4}. {hit.title}  [{date}] {hit.source}  ({hit.id}){dupes}")
        if hit.missing:
            click.echo(f"      missing: {', '.join(hit.missing)}")


@cli.command("evaluate")
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
    service = SearchService(index_dir)
    try:
        run = run_topics(service, topics)
    except IndexUnavailable as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    finally:
        service.close()
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


@cli.command("tune")
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


@cli.command("evaluate-spelling")
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
    service = SearchService(index_dir)
    try:
        results = run_cases(service, cases)
    except IndexUnavailable as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    finally:
        service.close()
    for line in report_lines(results, show_wrong):
        click.echo(line)
