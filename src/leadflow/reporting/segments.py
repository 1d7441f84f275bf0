"""Per segment: people, contacted, replies, meetings, Deals and amount (segments as scoring assigned them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, FromClause, select
from sqlalchemy import Table as SqlTable

from leadflow.reporting.attribution import OUTCOME_COLUMNS, OUTCOME_KINDS, outcomes_by
from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table
from leadflow.reporting.rollup import person_rollup
from leadflow.reporting.scope import check_filters, scoped, segment_memberships

NOTES = (
    "A person counts in every segment scoring put them in (scores.segments). People: all in the segment; "
    "contacted, replied and meetings: people with such an event in the period; Deals: created in the period "
    "and linked to the person's Contact.",
)


def _memberships(connection: Connection) -> FromClause:
    members = segment_memberships(connection)
    return select(members.c.golden_person_id, members.c.segment.label("grp")).distinct().subquery("segment_groups")


def segment_rows(connection: Connection, filters: ReportFilters, rollup: SqlTable) -> list[dict[str, Any]]:
    outcomes = outcomes_by(connection, filters, _memberships(connection), rollup)
    return [{"segment": name, **values} for name, values in sorted(outcomes.items())]


def segments_table(connection: Connection, filters: ReportFilters, rollup: SqlTable) -> Table:
    return Table(
        key="segments",
        title="By segment",
        columns=(Column("segment", "Segment"), *OUTCOME_COLUMNS),
        rows=segment_rows(connection, filters, rollup),
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
    with person_rollup(connection, filters, kinds=OUTCOME_KINDS) as rollup:
        table = segments_table(connection, filters, rollup)
    return Report(name="segments", title="Segments", filters=filters, tables=(table,), notes=NOTES)
