"""What a group of people produced (a source, a segment): people, contacted, replies, meetings, Deals, amount.
Shared by the sources and segments reports; the per-person facts come from :mod:`leadflow.reporting.rollup`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, func, literal, select

from leadflow.reporting.model import Column, ReportFilters
from leadflow.reporting.scope import CONTACT_KINDS, MEETING_KINDS, REPLY_KINDS, person_filter

OUTCOME_COLUMNS = (
    Column("people", "People", "count"),
    Column("contacted", "Contacted", "count"),
    Column("replied", "Replied", "count"),
    Column("meetings", "Meetings", "count"),
    Column("deals", "Deals", "count"),
    Column("amount", "Deal amount", "money"),
    Column("won_amount", "Won amount", "money"),
    Column("reply_rate", "Reply rate", "rate"),
)
# The event kinds the measures read (contacted, replied, meetings).
OUTCOME_KINDS = (*CONTACT_KINDS, *REPLY_KINDS, *MEETING_KINDS)
MEASURES = ("people", "contacted", "replied", "meetings", "deals", "amount", "won_amount")


def outcome_sums(rollup: FromClause, weight: ColumnElement[Any] | None = None) -> list[ColumnElement[Any]]:
    """The measures as SQL sums over rollup rows (each row counted ``weight`` times, 0 or 1, when given)."""
    one: ColumnElement[Any] = weight if weight is not None else literal(1)

    def total(column: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(column * one), 0)

    return [
        func.coalesce(func.sum(one), 0),
        total(rollup.c.contacted),
        total(rollup.c.replied),
        total(rollup.c.met),
        total(rollup.c.deals),
        total(rollup.c.amount),
        total(rollup.c.won_amount),
    ]


def outcome_row(values: Sequence[Any]) -> dict[str, Any]:
    """A result row of :func:`outcome_sums` as the report's columns (reply rate of the contacted)."""
    people, contacted, replied, met, deals, amount, won_amount = values
    return {
        "people": int(people or 0),
        "contacted": int(contacted or 0),
        "replied": int(replied or 0),
        "meetings": int(met or 0),
        "deals": int(deals or 0),
        "amount": float(amount or 0),
        "won_amount": float(won_amount or 0),
        "reply_rate": int(replied) / int(contacted) if contacted else None,
    }


def outcomes_by(
    connection: Connection, filters: ReportFilters, groups: FromClause, rollup: FromClause
) -> dict[str, dict[str, Any]]:
    """Per group of ``groups`` (distinct ``golden_person_id``, ``grp`` pairs, people in scope): the measures,
    with each person's facts looked up in ``rollup`` by key (people without a row there did nothing)."""
    person = groups.c.golden_person_id
    # Missing rollup rows give NULL facts: as a LEFT JOIN, a person without activity still counts as one of people.
    result = connection.execute(
        select(groups.c.grp, *outcome_sums(rollup, literal(1)))
        .select_from(groups)
        .outerjoin(rollup, rollup.c.golden_person_id == person)
        .where(person_filter(connection, filters, person))
        .group_by(groups.c.grp)
    )
    return {str(group): outcome_row(values) for group, *values in result}
