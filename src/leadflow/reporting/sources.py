"""Source attribution: per source (Apollo file, Sales Navigator search, already in the CRM, ...) and per segment,
what the people produced; and first-touch and last-touch attribution of people, Deals and won amount."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from leadflow.reporting.attribution import OUTCOME_COLUMNS, any_touch, outcomes_by, touch
from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table
from leadflow.reporting.scope import SOURCE_LABELS, check_filters, source_kind, source_label
from leadflow.reporting.segments import segments_table

NOTES = (
    "By source: a person counts under every source they came from (any touch). Attribution: each person counts "
    "once, under the source that touched them first (a record already in the CRM, else the earliest ingested "
    "file) or last (the latest ingested file).",
    "People: all from that source; contacted, replied and meetings: events in the period; Deals: created in the "
    "period and linked to the person's Contact.",
)


def _ordered(kinds: set[str]) -> list[str]:
    known = [kind for kind in SOURCE_LABELS if kind in kinds]
    return known + sorted(kinds - set(known))


def sources(connection: Connection, filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """Per source and per segment, and first/last-touch attribution.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     [row["label"] for row in sources(connection, ReportFilters()).table("sources").rows]
        ['Apollo file', 'Sales Navigator search', 'Already in the CRM']
    """
    check_filters(filters)
    # The source filter picks rows here (a person from two sources still counts under the other one only when
    # the filter is off), so it narrows the groups rather than the people.
    wanted = source_kind(filters.source) if filters.source is not None else None
    touched = outcomes_by(connection, filters, any_touch(), use_source=False)
    first = outcomes_by(connection, filters, touch("first"), use_source=False)
    last = outcomes_by(connection, filters, touch("last"), use_source=False)
    kinds = _ordered(set(touched) | set(first) | set(last))
    if wanted is not None:
        kinds = [kind for kind in kinds if kind == wanted]
    empty = {"people": 0, "deals": 0, "amount": 0.0, "won_amount": 0.0}
    by_source: list[dict[str, Any]] = []
    attribution: list[dict[str, Any]] = []
    for kind in kinds:
        values = touched.get(kind) or {**empty, "contacted": 0, "replied": 0, "meetings": 0, "reply_rate": None}
        by_source.append({"source": kind, "label": source_label(kind), **values})
        first_values, last_values = first.get(kind, empty), last.get(kind, empty)
        attribution.append(
            {
                "source": kind,
                "label": source_label(kind),
                "first_people": first_values["people"],
                "first_deals": first_values["deals"],
                "first_won_amount": first_values["won_amount"],
                "last_people": last_values["people"],
                "last_deals": last_values["deals"],
                "last_won_amount": last_values["won_amount"],
            }
        )
    return Report(
        name="sources",
        title="Source attribution",
        filters=filters,
        tables=(
            Table(
                key="sources",
                title="By source",
                columns=(Column("source", "Source key"), Column("label", "Source"), *OUTCOME_COLUMNS),
                rows=by_source,
                chart=Chart("bar", x="label", y=("people", "contacted", "replied", "meetings")),
                drill="source",
            ),
            Table(
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
            segments_table(connection, filters),
        ),
        notes=NOTES,
    )
