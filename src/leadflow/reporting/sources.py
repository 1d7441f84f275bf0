"""Source attribution: per source (Apollo file, Sales Navigator search, already in the CRM, ...) and per segment,
what the people produced; and first-touch and last-touch attribution of people, Deals and won amount."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, select

from leadflow.reporting.attribution import OUTCOME_COLUMNS, OUTCOME_KINDS, outcome_row, outcome_sums
from leadflow.reporting.model import Chart, Column, Report, ReportFilters
from leadflow.reporting.model import Table as ReportTable
from leadflow.reporting.rollup import first_source, last_source, person_rollup
from leadflow.reporting.scope import SOURCE_LABELS, check_filters, source_kind, source_label
from leadflow.reporting.segments import segments_table

NOTES = (
    "By source: a person counts under every source they came from (any touch). Attribution: each person counts "
    "once, under the source that touched them first (a record already in the CRM, else the earliest ingested "
    "file) or last (the latest ingested file).",
    "People: all from that source; contacted, replied and meetings: events in the period; Deals: created in the "
    "period and linked to the person's Contact.",
)


TOUCH_COLUMNS = ("contacted", "replied", "met", "deals", "amount", "won_amount")


def _any_touch(connection: Connection, rollup: Table) -> dict[str, dict[str, Any]]:
    """Every source's measures in one scan of the rollup (each person weighted by whether they came from it)."""
    sums = [measure for kind in SOURCE_LABELS for measure in outcome_sums(rollup, rollup.c[f"from_{kind}"])]
    values = connection.execute(select(*sums)).one()
    width = len(sums) // len(SOURCE_LABELS)
    return {
        kind: outcome_row(values[number * width : (number + 1) * width]) for number, kind in enumerate(SOURCE_LABELS)
    }


def _touch(connection: Connection, rollup: Table, key: ColumnElement[Any]) -> dict[str, dict[str, Any]]:
    """Measures per source of the first (or last) touch, ``key`` naming each person's source."""
    touched = select(key.label("source"), *(rollup.c[name] for name in TOUCH_COLUMNS)).subquery("touched")
    result = connection.execute(
        select(touched.c.source, *outcome_sums(touched)).where(touched.c.source.is_not(None)).group_by(touched.c.source)
    )
    return {str(kind): outcome_row(values) for kind, *values in result}


def sources(connection: Connection, filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """Per source and per segment, and first/last-touch attribution.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     [row["label"] for row in sources(connection, ReportFilters()).table("sources").rows]
        ['Apollo file', 'Sales Navigator search', 'Already in the CRM']
    """
    check_filters(filters)
    wanted = source_kind(filters.source) if filters.source is not None else None
    with person_rollup(connection, filters, with_sources=True, kinds=OUTCOME_KINDS) as rollup:
        touched = _any_touch(connection, rollup)
        first = _touch(connection, rollup, first_source(rollup))
        last = _touch(connection, rollup, last_source(rollup))
        segment_table = segments_table(connection, filters, rollup)
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
