"""Reader for CSV/TSV exports: one article a row, columns mapped by header name.

The first row is the header. Header names are matched case-insensitively, with
spaces, dashes and dots read as underscores, against the `Article` field names
and these aliases:

=========  ==================================================================
field      accepted header names
=========  ==================================================================
id         id, guid, uid, article_id, doc_id, docid, newid
title      title, headline, head, name, subject
body       body, text, content, article, story, full_text, description, summary
date       date, published, published_at, publish_date, pubdate, datetime,
           timestamp, created, created_at, time
tags       tags, keywords, categories, category, topics, subjects, labels, section
source     source, publisher, site, site_name, outlet, feed, newspaper
url        url, link, href, permalink, canonical_url, uri
author     author, authors, byline, creator, writer
views      views, view_count, hits, pageviews, reads
language   language, lang, locale
=========  ==================================================================

Unknown columns are ignored. The delimiter (comma, semicolon, tab, pipe) is
sniffed. Cells holding HTML are turned into plain text. A file without any body
column is reported once; a row shorter than the header is read and reported. Each row
is read on its own (`corpus.records.isolated`): a bad row costs that row only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from corpus.admit import MAX_BODY_CHARS
from corpus.article import Article
from corpus.decode import decode_text
from corpus.records import article_from_record, isolated
from corpus.report import ReadReport

#: Header name -> Article field (see the module docstring for the table).
CSV_ALIASES: dict[str, str] = {}
for _field, _names in {
    "id": "id guid uid article_id doc_id docid newid",
    "title": "title headline head name subject",
    "body": "body text content article story full_text fulltext description summary",
    "date": "date published published_at publish_date pubdate datetime timestamp created "
    "created_at time date_published",
    "tags": "tags keywords categories category topics subjects labels section",
    "source": "source publisher site site_name outlet feed newspaper",
    "url": "url link href permalink canonical_url uri",
    "author": "author authors byline creator writer",
    "views": "views view_count hits pageviews reads",
    "language": "language lang locale",
}.items():
    for _name in _names.split():
        CSV_ALIASES[_name] = _field

csv.field_size_limit(max(csv.field_size_limit(), 4 * MAX_BODY_CHARS))


def map_header(names: list[str]) -> dict[int, str]:
    """Column index -> Article field for the columns we understand (first wins)."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, name in enumerate(names):
        key = re.sub(r"[\s.\-]+", "_", name.strip().lstrip("\ufeff").lower())
        field = CSV_ALIASES.get(key)
        if field and field not in taken:
            mapping[index] = field
            taken.add(field)
    return mapping


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel


def read_csv(data: bytes, origin: str, report: ReadReport) -> Iterator[Article]:
    """Yield one Article per data row; bad rows are reported as ``origin:LINE``."""
    text = decode_text(data, origin, report)
    if text is None:
        return
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text[:8192]))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        report.add_problem(origin, "empty file: no CSV header")
        return
    mapping = map_header(header)
    if not {"body", "title"} & set(mapping.values()):
        report.add_problem(
            origin, f"no article text: no body or title column among {', '.join(header)[:200]!r}"
        )
        return
    failed_at = -1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # the parser starts again on the next line
            report.add_problem(f"{origin}:{reader.line_num}", f"invalid CSV row: {error}")
            if reader.line_num == failed_at:  # no progress: stop rather than loop
                break
            failed_at = reader.line_num
            continue
        if not any(cell.strip() for cell in row):
            continue
        where = f"{origin}:{reader.line_num}"
        article = isolated(report, where, _row_article, row, header, mapping, where, report)
        if article is not None:
            yield article


def _row_article(
    row: list[str], header: list[str], mapping: dict[int, str], where: str, report: ReadReport
) -> Article | None:
    if len(row) < len(header):
        report.add_problem(
            where, f"short row: {len(row)} of {len(header)} columns (read what is there)"
        )
    record = {field: row[index] for index, field in mapping.items() if index < len(row)}
    return article_from_record(record, where, report)
