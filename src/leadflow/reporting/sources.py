"""Source attribution: per source (Apollo file, Sales Navigator search, already in the CRM, ...) and per segment,
what the people produced; and first-touch and last-touch attribution of people, Deals and won amount."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, FromClause, select

from leadflow.reporting.attribution import MEASURES, OUTCOME_COLUMNS, OUTCOME_KINDS, outcome_row, outcome_sums
from leadflow.reporting.facts.read import report_rollup, segment_groups, use_facts
from leadflow.reporting.model import Chart, Column, Report, ReportFilters
from leadflow.reporting.model import Table as ReportTable
from leadflow.reporting.rollup import first_source, last_source
from leadflow.reporting.scope import SOURCE_LABELS, check_filters, source_kind, source_label
from leadflow.reporting.segments import segments_table
from leadflow.reporting.view import scoped

NOTES = (
    "By source: a person counts under every source they came from (any touch). Attribution: each person counts "
    "once, under the source that touched them first (a record already in the CRM, else the earliest ingested "
    "file) or last (the latest ingested file).",
    "People: all from that source; contacted, replied and meetings: events in the period; Deals: created in the "
    "period and linked to the person's Contact.",
)


def _touches(connection: Connection, rollup: FromClause) -> tuple[dict[str, dict[str, Any]], ...]:
    """Any-touch, first-touch and last-touch measures per source from one scan of the rollup.

    The rollup is grouped once by which sources each person came from and by their first and last source (a few
    hundred combinations at most); each attribution then adds up the groups it covers.
    """
    flags = [f"from_{kind}" for kind in SOURCE_LABELS]
    # Grouped by the stored integers (a cheap sort key); first and last source are named per group afterwards.
    keys = [rollup.c[name] for name in (*flags, "first_code", "last_code")]
    names = ["people", "contacted", "replied", "met", "deals", "amount", "won_amount"]
    grouped = select(*keys, *(sum_.label(name) for sum_, name in zip(outcome_sums(rollup), names, strict=True)))
    combos = grouped.group_by(*keys).subquery("combos")
    groups = connection.execute(
        select(
            *(combos.c[name] for name in flags),
            first_source(combos),
            last_source(combos),
            *(combos.c[name] for name in names),
        )
    ).all()
    width = len(flags)
    touched: dict[str, list[Any]] = {kind: [0] * len(MEASURES) for kind in SOURCE_LABELS}
    first: dict[str, list[Any]] = {}
    last: dict[str, list[Any]] = {}
    for group in groups:
        measures = group[width + 2 :]
        came = [kind for kind, flag in zip(SOURCE_LABELS, group[:width], strict=True) if flag]
        targets = [touched[kind] for kind in came]
        for attribution, kind in ((first, group[width]), (last, group[width + 1])):
            if kind is not None:
                targets.append(attribution.setdefault(str(kind), [0] * len(MEASURES)))
        for sums in targets:
            for number, value in enumerate(measures):
                sums[number] += value or 0
    return tuple({kind: outcome_row(values) for kind, values in totals.items()} for totals in (touched, first, last))


@scoped
def sources(connection: Connection, filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """Per source and per segment, and first/last-touch attribution.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     [row["label"] for row in sources(connection, ReportFilters()).table("sources").rows]
        ['Apollo file', 'Sales Navigator search', 'Already in the CRM']
    """
    check_filters(filters)
    wanted = source_kind(filters.source) if filters.source is not None else None
    from_facts = use_facts(connection, filters)
    with report_rollup(connection, filters, from_facts=from_facts, with_sources=True, kinds=OUTCOME_KINDS) as rollup:
        touched, first, last = _touches(connection, rollup)
        segment_table = segments_table(connection, filters, rollup, segment_groups(connection, from_facts=from_facts))
    kinds = [kind for kind in SOURCE_LABELS if touched[kind]["people"] or kind in first or kind in last]
    if wanted is not None:
        kinds = [kind for kind in kinds if kind == wanted]
    empty = outcome_row([0] * 7)
    by_source = [{"source": kind, "label": source_label(kind), **touched[kind]} for kind in kinds]
    attribution = [
        {
            "source": kind,
            "label": source_label(kind),
            "first_people": first.get(kind, empty)["people"],
            "first_deals": first.get(kind, empty)["deals"],
            "first_won_amount": first.get(kind, empty)["won_amount"],
            "last_people": last.get(kind, empty)["people"],
            "last_deals": last.get(kind, empty)["deals"],
            "last_won_amount": last.get(kind, empty)["won_amount"],
        }
        for kind in kinds
    ]
    return Report(
        name="sources",
        title="Source attribution",
        filters=filters,
        tables=(
            ReportTable(
                key="sources",
                title="By source",
                columns=(Column("source", "Source key"), Column("label", "Source"), *OUTCOME_COLUMNS),
                rows=by_source,
                chart=Chart("bar", x="label", y=("people", "contacted", "replied", "meetings")),
                drill="source",
            ),
            ReportTable(
                key="attribution",
                title="First-touch and last-touch attribution",
                columns=(
                    Column("source", "Source key"),
                    Column("label", "Source"),
                    Column("first_people", "People (first touch)", "count"),
                    Column("first_deals", "Deals (first touch)", "count"),
                    Column("first_won_amount", "Won (first touch)", "money"),
                    Column("last_people", "People (last touch)", "count"),
                    Column("last_deals", "Deals (last touch)", "count"),
                    Column("last_won_amount", "Won (last touch)", "money"),
                ),
                rows=attribution,
                chart=Chart("bar", x="label", y=("first_people", "last_people")),
                drill="source",
            ),
            segment_table,
        ),
        notes=NOTES,
    )
