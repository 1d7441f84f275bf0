"""The funnel: rows ingested → unique people → in Zoho → contacted → engaged → replied → meeting → Lead converted
→ Deal won, with step and overall conversion rates; duplicates avoided and quarantined rows beside it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, Select, and_, case, distinct, func, literal, select

from leadflow.reporting.facts.read import facts_rollup, use_facts
from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table
from leadflow.reporting.scope import (
    CONTACT_KINDS,
    CONVERSION_KINDS,
    ENGAGED_KINDS,
    MEETING_KINDS,
    REPLY_KINDS,
    Period,
    came_from,
    check_filters,
    enrolment,
    facts_are_current,
    had_event,
    in_zoho,
    period_of,
    person_deals,
    person_facts,
    person_filter,
    ratio,
    scope_members,
    source_kind,
)
from leadflow.reporting.view import scoped
from leadflow.store.schema import (
    cluster_members,
    crm_cluster_members,
    quarantine,
    record_tags,
    report_person_facts,
    source_records,
)

# (key, label) in funnel order; the keys are what ``people(step=...)`` takes.
STEPS = (
    ("ingested", "Rows ingested"),
    ("people", "Unique people"),
    ("in_zoho", "In Zoho"),
    ("contacted", "Contacted"),
    ("engaged", "Engaged"),
    ("replied", "Replied"),
    ("meeting", "Meeting booked"),
    ("converted", "Lead converted"),
    ("won", "Deal won"),
)
# Funnel step → its column of scope.person_facts.
FACT_COLUMNS = {"contacted": "contacted", "engaged": "engaged", "replied": "replied", "meeting": "met",
                "converted": "converted"}  # fmt: skip
EVENT_STEPS = (
    ("contacted", CONTACT_KINDS),
    ("engaged", ENGAGED_KINDS),
    ("replied", REPLY_KINDS),
    ("meeting", MEETING_KINDS),
    ("converted", CONVERSION_KINDS),
)

NOTES = (
    "Rows ingested, unique people and in Zoho count the people whose source rows were ingested in the period; "
    "the later steps count distinct people with an event of that kind in the period (Deal won: closed in it).",
    "Contacted: an email, SMS or call sent, or enrolled in a GHL workflow by the sync. Engaged: an open, click, "
    "website visit or form. Lead converted: a conversion leadflow recorded. Deal won: a Deal in a Closed Won stage "
    "linked to the person's Contact.",
    "Events not matched to a person are not counted. Quarantined rows belong to no person: the segment and owner "
    "filters do not narrow them.",
)


def cohort(connection: Connection, filters: ReportFilters) -> FromClause:
    """(golden_person_id, rows): the people whose source rows were ingested in the period and scope, with how
    many rows each; grouped in person order over ``ix_cluster_members_golden_person_id`` (the source rows are
    looked up only when the period or the source asks)."""
    period = period_of(filters)
    kind = source_kind(filters.source) if filters.source is not None else None
    if kind == "crm":
        matched = crm_cluster_members.c.golden_person_id
        return (
            select(matched, literal(0).label("rows"))
            .where(person_filter(connection, filters, matched))
            .group_by(matched)
            .subquery("cohort")
        )
    person = cluster_members.c.golden_person_id
    query = select(person, func.count().label("rows")).where(
        person_filter(connection, filters, person, use_source=False)
    )
    if period.bounded or kind is not None:
        query = query.join(source_records, source_records.c.id == cluster_members.c.source_record_id).where(
            period.bound(source_records.c.ingested_at)
        )
        if kind is not None:
            query = query.where(source_records.c.source_kind == kind)
    return query.group_by(person).subquery("cohort")


def in_cohort(connection: Connection, filters: ReportFilters, person: ColumnElement[Any]) -> ColumnElement[bool]:
    """Condition on a golden person id: one of the people :func:`cohort` counts."""
    period = period_of(filters)
    kind = source_kind(filters.source) if filters.source is not None else None
    scope = person_filter(connection, filters, person, use_source=kind == "crm")
    if kind == "crm":
        return and_(came_from(person, "crm"), scope)
    rows = (
        select(literal(1))
        .select_from(cluster_members)
        .join(source_records, source_records.c.id == cluster_members.c.source_record_id)
        .where(cluster_members.c.golden_person_id == person, period.bound(source_records.c.ingested_at))
    )
    if kind is not None:
        rows = rows.where(source_records.c.source_kind == kind)
    return and_(rows.exists(), scope)


def cohort_sums(connection: Connection, filters: ReportFilters, people_in: FromClause) -> Select[Any]:
    """Rows, people and people in Zoho of the :func:`cohort`. Whether a person is in Zoho does not depend on the
    period: with current facts it is their ``in_zoho`` (kept for everyone with a source row, which every cohort
    person but a CRM match has), looked up by key, instead of two look-ups per person."""
    person = people_in.c.golden_person_id
    totals = [func.coalesce(func.sum(people_in.c.rows), 0), func.count()]
    crm_only = filters.source is not None and source_kind(filters.source) == "crm"
    if crm_only or not facts_are_current(connection):
        return select(*totals, func.coalesce(func.sum(case((in_zoho(person), 1), else_=0)), 0))
    known = report_person_facts
    return select(*totals, func.coalesce(func.sum(known.c.in_zoho), 0)).select_from(
        people_in.outerjoin(known, known.c.golden_person_id == person)
    )


def won_people(connection: Connection, filters: ReportFilters, period: Period) -> FromClause:
    deals = person_deals(scope_members(connection, filters))
    return (
        select(deals.c.golden_person_id)
        .where(deals.c.outcome == "won", period.bound(deals.c.closed_at))
        .subquery("won")
    )


def facts_step_counts(connection: Connection, filters: ReportFilters) -> dict[str, int]:
    """:func:`step_counts` from the report facts (a view without a period, owner or source: every person's
    facts for all time, narrowed to the segment's people)."""
    facts = facts_rollup(connection, filters)
    cohort_member = facts.c.rows > 0
    sums = connection.execute(
        select(
            func.coalesce(func.sum(facts.c.rows), 0),
            func.count(case((cohort_member, 1))),
            func.coalesce(func.sum(case((cohort_member, facts.c.in_zoho), else_=0)), 0),
            *(func.coalesce(func.sum(facts.c[column]), 0) for column in (*FACT_COLUMNS.values(), "won")),
        )
    ).one()
    return {key: int(total) for key, total in zip([key for key, _ in STEPS], sums, strict=True)}


def step_counts(connection: Connection, filters: ReportFilters) -> dict[str, int]:
    """Each funnel step's count (rows for ``ingested``, distinct people for the rest)."""
    check_filters(filters)
    if use_facts(connection, filters):
        return facts_step_counts(connection, filters)
    period = period_of(filters)
    people_in = cohort(connection, filters)
    rows, people, zoho = connection.execute(cohort_sums(connection, filters, people_in)).one()
    facts = person_facts(connection, filters, people=scope_members(connection, filters))
    sums = connection.execute(
        select(*(func.coalesce(func.sum(facts.c[column]), 0) for column in FACT_COLUMNS.values()))
    ).one()
    per_step = {step: int(total) for step, total in zip(FACT_COLUMNS, sums, strict=True)}
    # Enrolled in a workflow by the sync and sent nothing in the period: contacted all the same.
    per_step["contacted"] += int(
        connection.execute(
            select(func.count()).where(
                enrolment(period),
                ~had_event(record_tags.c.golden_person_id, CONTACT_KINDS, period),
                person_filter(connection, filters, record_tags.c.golden_person_id),
            )
        ).scalar_one()
    )
    won = won_people(connection, filters, period)
    counts = {"ingested": int(rows), "people": int(people), "in_zoho": int(zoho)}
    counts.update({key: int(per_step.get(key, 0)) for key, _ in EVENT_STEPS})
    counts["won"] = int(connection.execute(select(func.count(distinct(won.c.golden_person_id)))).scalar_one())
    return counts


def quarantined_rows(connection: Connection, filters: ReportFilters) -> int:
    period = period_of(filters)
    query = select(func.count()).select_from(quarantine).where(period.bound(quarantine.c.created_at))
    if filters.source is not None:
        query = query.where(quarantine.c.source_kind == source_kind(filters.source))
    return int(connection.execute(query).scalar_one())


@scoped
def funnel(connection: Connection, filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """The outreach funnel for the filters.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     [row["count"] for row in funnel(connection, ReportFilters()).table("funnel").rows]
        [2960, 1004, 337, 800, 310, 45, 12, 4, 1]
    """
    counts = step_counts(connection, filters)
    people = counts["people"]
    rows: list[dict[str, Any]] = []
    previous: int | None = None
    for key, label in STEPS:
        count = counts[key]
        rows.append(
            {
                "step": key,
                "label": label,
                "count": count,
                "step_rate": None if key in ("ingested", "people") else ratio(count, previous),
                "overall_rate": None if key == "ingested" else ratio(count, people),
            }
        )
        previous = count
    quarantined = quarantined_rows(connection, filters)
    quality = [
        {"measure": "rows_ingested", "label": "Rows ingested", "count": counts["ingested"]},
        {
            "measure": "duplicates_avoided",
            "label": "Duplicates avoided (rows merged)",
            "count": max(0, counts["ingested"] - people),
        },
        {"measure": "quarantined", "label": "Rows quarantined", "count": quarantined},
    ]
    return Report(
        name="funnel",
        title="Outreach funnel",
        filters=filters,
        tables=(
            Table(
                key="funnel",
                title="Funnel",
                columns=(
                    Column("step", "Step key"),
                    Column("label", "Step"),
                    Column("count", "Count", "count"),
                    Column("step_rate", "From previous step", "rate"),
                    Column("overall_rate", "Of unique people", "rate"),
                ),
                rows=rows,
                chart=Chart("funnel", x="label", y=("count",)),
                drill="step",
            ),
            Table(
                key="quality",
                title="Data quality",
                columns=(
                    Column("measure", "Measure key"),
                    Column("label", "Measure"),
                    Column("count", "Rows", "count"),
                ),
                rows=quality,
            ),
        ),
        notes=NOTES,
    )
