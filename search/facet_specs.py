"""The one table of facets: what each facet is called, which request parameter selects
its values, where its values come from in each backend, and how they are shown.

Everything else reads `FACETS`: the request parameters (`search.parameters`), the
Whoosh facet tables and counting (`search.whoosh.facet_tables`, `search.whoosh.facets`), the
Typesense filters and facet requests (`search.typesense.mapping`,
`search.typesense.backend`), the search page, the CLI and the OpenAPI document. A facet
added here is counted, selectable and documented everywhere; its index fields must
exist in `indexer.whoosh.schema` and `indexer.typesense.schema` (the indexer never imports
`search`; tests/test_parameter_table.py checks both).

Selection is disjunctive within a facet (OR) and conjunctive across facets (AND).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from search.models import FacetValue, SearchRequest

#: Values listed per facet ordered by count (the largest counts first).
FACET_LIMIT = 20
#: The month histogram lists empty months inside its range when it spans at most this many.
MAX_FILLED_MONTHS = 600


@dataclass(frozen=True, slots=True)
class Facet:
    """One facet: its names, its sources in each backend, and how its values are shown.

    ``values`` says what a value is: ``text`` (as stored), ``year`` (a whole year,
    listed as ``YYYY``) or ``month`` (``YYYY-MM``). ``order`` says how values are
    listed: ``count`` (largest counts first, cut to `FACET_LIMIT`), ``newest`` (every
    value, newest first) or ``chronological`` (every value, oldest first, with the
    empty months between filled in).
    """

    #: Key in the response's ``facets``.
    name: str
    #: The repeatable request parameter that selects values (``tag=a&tag=b``).
    param: str
    #: The `SearchRequest` attribute holding the selected values.
    request_field: str
    #: Heading on the search page.
    label: str
    #: What the parameter does (OpenAPI, CLI help).
    description: str
    values: str
    order: str
    #: The Whoosh field whose terms are the values, or ``date`` for values derived
    #: from the article's date.
    index_field: str
    #: The Typesense collection field (a facet field of `indexer.typesense.schema`).
    typesense_field: str
    #: Whether an article can have several values (tags) or at most one.
    multi_valued: bool = False

    @property
    def lists_every_value(self) -> bool:
        """Whether every counted value is listed (dates), not only the largest counts."""
        return self.order != "count"

    def value_text(self, value: object) -> str:
        """A selected value as the facet names it (years as ``YYYY``)."""
        return f"{int(str(value)):04d}" if self.values == "year" else str(value)


FACETS: tuple[Facet, ...] = (
    Facet(
        name="tags",
        param="tag",
        request_field="tags",
        label="Tags",
        description="keep hits with any of these tags",
        values="text",
        order="count",
        index_field="tag_exact",
        typesense_field="tags",
        multi_valued=True,
    ),
    Facet(
        name="source",
        param="source",
        request_field="sources",
        label="Source",
        description="keep hits from any of these sources",
        values="text",
        order="count",
        index_field="source_exact",
        typesense_field="source",
    ),
    Facet(
        name="year",
        param="year",
        request_field="years",
        label="Year",
        description="keep hits from any of these years",
        values="year",
        order="newest",
        index_field="date",
        typesense_field="year",
    ),
    Facet(
        name="month",
        param="month",
        request_field="months",
        label="Month",
        description="keep hits from any of these months (YYYY-MM)",
        values="month",
        order="chronological",
        index_field="date",
        typesense_field="month",
    ),
)
FACET_NAMES = tuple(facet.name for facet in FACETS)
FACETS_BY_NAME = {facet.name: facet for facet in FACETS}


def selections(request: SearchRequest) -> dict[str, frozenset[str]]:
    """The selected values of each facet of ``request``, as the facet names them."""
    return {
        facet.name: frozenset(
            facet.value_text(value) for value in getattr(request, facet.request_field)
        )
        for facet in FACETS
    }


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months: list[str] = []
    while f"{year:04d}-{month:02d}" <= last and len(months) <= MAX_FILLED_MONTHS:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def ordered_values(
    counts: Mapping[str, int], selected: frozenset[str], name: str
) -> tuple[FacetValue, ...]:
    """Facet ``name``'s values in its order; a selected value is always listed, even
    with no hits left, so it can be unselected (every backend answers this shape)."""
    facet = FACETS_BY_NAME[name]
    if facet.order == "newest":
        ordered = sorted(counts.items(), reverse=True)
    elif facet.order == "chronological":
        ordered = sorted(counts.items())
        if ordered and facet.values == "month":
            span = _month_range(ordered[0][0], ordered[-1][0])
            if len(span) <= MAX_FILLED_MONTHS:
                ordered = [(month, counts.get(month, 0)) for month in span]
    else:
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
        ordered = ordered[:FACET_LIMIT]
    values = [FacetValue(value, count, value in selected) for value, count in ordered]
    shown = {value.value for value in values}
    values.extend(FacetValue(value, 0, True) for value in sorted(selected - shown))
    if facet.order == "chronological":
        values.sort(key=lambda value: value.value)
    return tuple(values)
