"""Per segment: people, contacted, replies, meetings, Deals and amount (segments as scoring assigned them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, FromClause

from leadflow.reporting.attribution import OUTCOME_COLUMNS, OUTCOME_KINDS, outcomes_by
from leadflow.reporting.facts.read import report_rollup, segment_groups, use_facts
from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table
from leadflow.reporting.scope import check_filters
from leadflow.reporting.view import scoped

NOTES = (
    "A person counts in every segment scoring put them in (scores.segments). People: all in the segment; "
    "contacted, replied and meetings: people with such an event in the period; Deals: created in the period "
    "and linked to the person's Contact.",
)


def segment_rows(
    connection: Connection, filters: ReportFilters, rollup: FromClause, groups: FromClause
) -> list[dict[str, Any]]:
    outcomes = outcomes_by(connection, filters, groups, rollup)
    return [{"segment": name, **values} for name, values in sorted(outcomes.items())]


def segments_table(connection: Connection, filters: ReportFilters, rollup: FromClause, groups: FromClause) -> Table:
    """The by-segment table: ``groups`` are the (golden_person_id, grp) segment memberships, ``rollup`` the
    per-person facts."""
    return Table(
        key="segments",
        title="By segment",
        columns=(Column("segment", "Segment"), *OUTCOME_COLUMNS),
        rows=segment_rows(connection, filters, rollup, groups),
        chart=Chart("bar", x="segment", y=("people", "contacted", "replied", "meetings")),
        drill="segment",
    )


@scoped
def segments(connection: Connection, filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """What each segment produced.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     [row["segment"] for row in segments(connection, ReportFilters()).table("segments").rows]
        ['dach-champion', 'nurture']
    """
    check_filters(filters)
    from_facts = use_facts(connection, filters)
    with report_rollup(connection, filters, from_facts=from_facts, kinds=OUTCOME_KINDS) as rollup:
        table = segments_table(connection, filters, rollup, segment_groups(connection, from_facts=from_facts))
    return Report(name="segments", title="Segments", filters=filters, tables=(table,), notes=NOTES)
