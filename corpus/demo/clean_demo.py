"""Build the shipped demo corpus from the bundle candidate, without wiki conversion residue.

    python corpus/demo/clean_demo.py \\
        ../shared/data/bundle-candidate/wikinews-en-tosca/wikinews_en_tosca.jsonl.gz \\
        corpus/demo/wikinews_en_tosca.jsonl.gz

The candidate is the JSONL conversion of the toscaData R files (see NOTICE). Its bodies
still carry what the upstream regexes and the first conversion left of the wiki markup:
infobox and topic-box template names (``United States infobox``, ``Economy and
business``, ``OntarioProvincialElection2007``), ``{{publish}}`` and
``Archive-unreviewed`` status templates, wiki tables (``{| ... |- | colspan="2" | ...
|}``), image and interwiki links (``[[Image:x.jpg|left|200px|thumb|``, ``w:Name``),
magic words (``__NOTOC__``) and stray braces. This script removes that markup and keeps
every word of prose: words lost upstream are not restored or invented. Ids, titles,
dates, tags and URLs are copied unchanged, in the same order; the output is
byte-for-byte the same on every run (gzip without a timestamp).
"""

from __future__ import annotations

import gzip
import html
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Patterns of conversion residue; the shipped file must match none of them.
RESIDUE = {
    "infobox": re.compile(r"(?i)info(?:box|title|section)"),
    "wiki table": re.compile(
        r"\{\||\|\}|(?:^|\s)\|-|\|\|"
        r'|\b(?:colspan|rowspan|cellpadding|cellspacing|bgcolor|valign|style|align|width)\s*=\s*"?',
        re.I,
    ),
    "template braces": re.compile(r"[{}]|\|"),
    "wiki list marker": re.compile(r"(?:^|\s)\*+\S"),
    "wiki link": re.compile(r"\[\[|\]\]|(?<![\w/])w:\w"),
    "image options": re.compile(r"(?i)\b(?:image|file):\S|\|\s*(?:thumb|thumbnail|frame|\d+px)\b"),
    "magic word": re.compile(r"__[A-Z]+__"),
    "status template": re.compile(
        r"(?i)archive-?unreviewed|(?:^|[.!?\"”)]\s+)publish(?:\s|$)|\spublish$"
        r"|spoken version of the article"
    ),
    "template name": re.compile(
        r"(?i)(?:^|\s)(?:[a-z]+\d{4}[\w-]*|wikimediamention|larrycraig)(?=\s|$)"
    ),
    "html entity": re.compile(r"&(?:[a-z]+|#\d+|#x[0-9a-f]+);", re.I),
    "wiki quotes": re.compile(r"''"),
}

#: Topic-box templates that the first conversion left at the start of a body, followed by
#: the first sentence ("Economy and business Stock markets ..."). Found by listing the
#: body openings shared by three or more articles.
LEADING_TEMPLATES = (
    "2008 US Presidential Election",
    "2008-09 financial crisis",
    "2008 financial crisis",
    "2006 Israel-Lebanon conflict",
    "2005 London bombing",
    "2007 Iranian seizure of Royal Navy personnel",
    "Economy and business",
    "Politics and conflicts",
    "Crime and law",
    "Science and technology",
    "Australian news",
    "Canadian news",
    "Sri Lanka news",
    "North Korea nuclear program",
    "Iran nuclear program",
    "South Thailand insurgency",
    "Wikinews Today short",
    "Wikinews Today",
    "Obituaries",
)
_LEADING = re.compile(
    r"^(?:(?:" + "|".join(re.escape(t) for t in LEADING_TEMPLATES) + r")\s+(?=[A-Z\"“(]))+",
    re.I,
)
#: Infobox template text at the start of a body: a name ending in "infobox", or the
#: ``infotitle=... InfoboxEnd`` remains of a box's content.
_LEADING_INFOBOX = re.compile(
    r"^(?:[^.!?\n]{0,200}?\b[\w-]*info(?:box|sectionend|boxend)\b\s*(?:\}\}\s*)?)+", re.I
)
_INLINE_INFOBOX = re.compile(r"(?:\b[\w-]+\s+){0,4}?[\w-]*_?[Ii]nfobox(?:End)?\b\s*")
_CAMEL_TEMPLATE = re.compile(
    r"(?:^|(?<=\s))(?:[A-Za-z]+\d{4}[\w-]*|[Ww]ikimediaMention|LarryCraig|InfosectionEnd)(?=\s|$)"
)
_FLOAT = re.compile(r"^(?:(?:right|left|center|thumb)\s+)+(?=[A-Z\"“])")
_MAGIC = re.compile(r"__[A-Z]+__")
_STATUS = re.compile(
    r"(?:(?<=^)|(?<=[.!?\"”)]\s))\s*(?:publish|Publish(?=\s+\*|\s*$|\s+Archive|\s+[A-Z]))"
    r"(?:\s+(?:original|Archive-unreviewed))*(?=\s|$)"
    r"|\s*\bpublish\s+Archive-unreviewed\b|\s+publish\s*$"
    r"|\s*\bArchive-unreviewed\b"
    r"|\s*\*?\s*(?:Image|File):Loudspeaker\.\w+(?:\s+Spoken version of the article)?",
)
#: Lower-case topic and country templates left before the first sentence ("aviation ...").
_LEADING_LOWER = re.compile(
    r"^(?:aviation|labor|health|television|transport|computing|education|sports|u|poland|"
    r"japan|greece|turkey|ghana|denmark|kenya|lebanon|brazil|iraq|china|palestine)\s+"
    r"(?=[A-Z0-9])"
)
_PIPE_TEMPLATE = re.compile(r"\bw\|")
_PARAMETER = re.compile(r"\{[^{}\n]{0,40}\}|[{}]")
_BULLET = re.compile(r"(?:^|(?<=\s))\*+\s*(?=\S)")
_LEADING_ANCHOR = re.compile(r"^#\w+\|?")
_IMAGE_URL = re.compile(r"https?://\S*(?:Image|File):\S*", re.I)
_IMAGE_TAIL = re.compile(r"\.(?:jpe?g|png|gif|svg)(?:\|[^|\n]{0,20})*\|", re.I)
_IMAGE = re.compile(
    r"\[\[\s*(?:Image|File)\s*:[^|\]]*(?:\|(?:[^|\]]{0,40}))*?\|(?=[^|\]]{20,})", re.I
)
_IMAGE_OPTIONS = re.compile(
    r"\[\[\s*(?:Image|File)\s*:[^|\]]*(?:\|[^|\]]*)*\]\]|\[\[\s*(?:Image|File)\s*:\S*", re.I
)
_LINK_WITH_PREFIX = re.compile(
    r"\[\[(?:w:|wikipedia:|:?[a-z]{2}:)?([^|\]]*)(?:\|([^\]|]*))?(?:\]\])?"
)
_INTERWIKI = re.compile(r"(?<![\w/])w:(?=\w)")
_TABLE_START = re.compile(r"\{\|[^|\n]*?(?=\|)|\{\|")
_TABLE_ATTRS = re.compile(
    r"\b(?:colspan|rowspan|cellpadding|cellspacing|bgcolor|valign|style|align|width)\s*=\s*"
    r'(?:"[^"]*"|\S+)\s*\|?',
    re.I,
)
_TABLE_ROWS = re.compile(r"\|\}|(?:^|(?<=\s))\|-|\|\||(?:^|(?<=\s))\|(?=\s|$)")
_BRACES = re.compile(r"\{\{|\}\}|\{\[|\]\}|\]\]|\[\[")
_BAD_ENTITY = {"&ndasp;": "–"}
_SPACES = re.compile(r"[ \t]+")
_DANGLING_DASH = re.compile(r"\s+[-–—]$")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?)])")


def clean_body(body: str) -> str:
    """``body`` without wiki conversion residue; its words of prose are kept."""
    for bad, good in _BAD_ENTITY.items():
        body = body.replace(bad, good)
    body = html.unescape(body)
    body = _MAGIC.sub(" ", body)
    body = _TABLE_START.sub(" ", body)
    body = _TABLE_ATTRS.sub(" ", body)
    body = _TABLE_ROWS.sub(" ", body)
    body = _IMAGE_URL.sub(" ", body)
    body = _IMAGE.sub(" ", body)
    body = _IMAGE_OPTIONS.sub(" ", body)
    body = _LINK_WITH_PREFIX.sub(lambda m: m.group(2) or m.group(1), body)
    body = _INTERWIKI.sub("", body)
    body = _IMAGE_TAIL.sub(" ", body)
    body = _BRACES.sub(" ", body)
    body = _PIPE_TEMPLATE.sub(" ", body)
    body = _PARAMETER.sub(" ", body).replace("|", " ")
    body = _BULLET.sub("\n\n", body)
    body = body.replace("''", "")
    paragraphs = []
    for paragraph in body.split("\n\n"):
        paragraph = _SPACES.sub(" ", paragraph).strip()
        paragraph = _STATUS.sub(" ", paragraph).strip()
        for _ in range(3):  # templates follow each other: "publish Economy and business X"
            before = paragraph
            paragraph = _LEADING_INFOBOX.sub("", paragraph).strip()
            paragraph = _LEADING.sub("", paragraph).strip()
            paragraph = _FLOAT.sub("", paragraph).strip()
            paragraph = _LEADING_LOWER.sub("", paragraph).strip()
            paragraph = _LEADING_ANCHOR.sub("", paragraph).strip()
            paragraph = _STATUS.sub(" ", paragraph).strip()
            if paragraph == before:
                break
        paragraph = _INLINE_INFOBOX.sub(" ", paragraph)
        paragraph = _CAMEL_TEMPLATE.sub(" ", paragraph)
        paragraph = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", paragraph)).strip(" |")
        paragraph = _DANGLING_DASH.sub("", paragraph)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def residue_counts(bodies: Iterable[str]) -> Counter[str]:
    """How many bodies match each `RESIDUE` pattern."""
    counts: Counter[str] = Counter()
    for body in bodies:
        for name, pattern in RESIDUE.items():
            if pattern.search(body):
                counts[name] += 1
    return counts


def read_records(path: Path) -> list[dict[str, Any]]:
    """The JSON records of a gzipped JSONL file, in order."""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def write_records(records: list[dict[str, Any]], path: Path) -> None:
    """Write ``records`` as gzipped JSONL, byte-for-byte reproducibly (no gzip timestamp)."""
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as stream,
    ):
        stream.write(lines)


def clean_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``records`` with cleaned bodies; every other field is kept as it is."""
    return [{**record, "body": clean_body(record["body"])} for record in records]


def main(argv: list[str]) -> int:
    """Read the candidate (argv[0]), write the cleaned corpus (argv[1]), print the counts."""
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    records = read_records(source)
    cleaned = clean_records(records)
    write_records(cleaned, target)
    before = residue_counts(r["body"] for r in records)
    after = residue_counts(r["body"] for r in cleaned)
    print(f"{len(cleaned)} articles written to {target}")
    for name in RESIDUE:
        print(f"  {name:16} bodies before: {before[name]:4}  after: {after[name]:4}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
