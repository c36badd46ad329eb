"""Related articles ("more like this") on the Whoosh backend."""

from __future__ import annotations

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search.deadline import Deadline
from search.errors import SearchTimedOut
from search.models import Hit
from search.snippets import MAX_ANALYZED_CHARS, lead_snippet
from search.whoosh.execution import Snapshot
from search.whoosh.hits import hit_from_fields

__all__ = ["related_articles"]

#: Key body terms of an article that "more like this" searches for.
RELATED_TERMS = 20


def like_query(searcher: Searcher, docnum: int) -> wq.Query:
    """ "More like this": the key body terms (Bo1) of the article's first
    `MAX_ANALYZED_CHARS` characters, and its title words."""
    fields = searcher.stored_fields(docnum)
    body = fields.get("body", "")[:MAX_ANALYZED_CHARS]
    key_terms = searcher.key_terms_from_text("body", body, numterms=RELATED_TERMS)
    top = max((weight for _, weight in key_terms), default=1.0) or 1.0
    parts: list[wq.Query] = [
        wq.Term("body", term, boost=weight / top) for term, weight in key_terms
    ]
    title = fields.get("title", "")
    analyzer = searcher.schema["title"].analyzer
    for stem in dict.fromkeys(token.text for token in analyzer(title)):
        parts.append(wq.Term("title", stem))
        parts.append(wq.Term("body", stem, boost=0.5))
    return wq.Or(parts)


def related_articles(
    snapshot: Snapshot, article_id: str, limit: int, deadline: Deadline
) -> tuple[Hit, ...]:
    """Up to ``limit`` articles most like ``article_id``, one per story, without the
    article and its near-duplicates; past ``deadline``, those found (none when the
    matching itself ran out of time)."""
    searcher = snapshot.searcher
    docnum = searcher.document_number(id=article_id)
    if docnum is None or limit == 0:
        return ()
    own_group = snapshot.groups.key(docnum)
    try:
        evaluation = snapshot.scorer.evaluate(like_query(searcher, docnum), deadline)
    except SearchTimedOut:
        return ()
    docs = evaluation.docs
    scores = evaluation.scores(docs)
    wanted = min(len(docs), limit * 3 + 10)
    best = np.argpartition(-scores, wanted - 1)[:wanted] if wanted else docs[:0]
    best = best[np.lexsort((docs[best], -scores[best]))]  # score down, number up
    hits: list[Hit] = []
    seen_groups = {own_group} if own_group else set()
    for position in best.tolist():
        other = int(docs[position])
        group = snapshot.groups.key(other)
        if other == docnum or (group and group in seen_groups):
            continue
        if group:
            seen_groups.add(group)
        fields = snapshot.stored(other)
        snippet = lead_snippet(fields.get("body", ""))
        hits.append(hit_from_fields(fields, float(scores[position]), snippet))
        if len(hits) == limit or deadline.stop_here("related articles"):
            break
    return tuple(hits)
