"""Drill-down: the people behind a funnel step, a source or a segment, with their Zoho and GHL record ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select

from leadflow.errors import InputError
from leadflow.reporting.funnel import EVENT_STEPS, STEPS, in_cohort, won_people
from leadflow.reporting.links import RecordLinks
from leadflow.reporting.model import Column, Report, ReportFilters, Table
from leadflow.reporting.scope import (
    came_from,
    check_filters,
    enrolled_flag,
    had_event,
    in_zoho,
    period_of,
    person_filter,
    segment_memberships,
    source_kind,
)
from leadflow.reporting.view import scoped
from leadflow.store.schema import golden_companies, golden_people, scores, sync_records

STEP_KEYS = tuple(key for key, _ in STEPS)


def step_condition(
    connection: Connection, filters: ReportFilters, step: str, person: ColumnElement[Any]
) -> ColumnElement[bool]:
    """Condition on a golden person id: the person is behind ``step``, a funnel step key, ``source:<kind or
    label>`` or ``segment:<name>``; InputError for anything else. Per-person look-ups (EXISTS), so listing the
    first few hundred people reads no more than it needs."""
    period = period_of(filters)
    if step in ("ingested", "people", "in_zoho"):
        cohort = in_cohort(connection, filters, person)
        return and_(cohort, in_zoho(person)) if step == "in_zoho" else cohort
    kinds = dict(EVENT_STEPS).get(step)
    if kinds is not None:
        reached: ColumnElement[bool] = had_event(person, kinds, period)
        if step == "contacted":
            reached = or_(reached, enrolled_flag(person, period) == 1)
        return and_(reached, person_filter(connection, filters, person))
    if step == "won":
        return person.in_(select(won_people(connection, filters, period).c.golden_person_id))
    kind, _, value = step.partition(":")
    if kind == "source" and value:
        return and_(came_from(person, source_kind(value)), person_filter(connection, filters, person, use_source=False))
    if kind == "segment" and value:
        members = segment_memberships(connection)
        return and_(
            person.in_(select(members.c.golden_person_id).where(members.c.segment == value)),
            person_filter(connection, filters, person),
        )
    raise InputError(f"no step {step!r}: use one of {', '.join(STEP_KEYS)}, source:<source> or segment:<segment name>")


def _ghl_contact(person: ColumnElement[Any]) -> ColumnElement[Any]:
    return (
        select(sync_records.c.remote_id)
        .where(and_(sync_records.c.target == "ghl", sync_records.c.golden_id == person))
        .limit(1)
        .scalar_subquery()
    )


def _zoho_link(person: ColumnElement[Any]) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    synced = sync_records.alias("zoho_sync")
    module = select(synced.c.module).where(synced.c.target == "zoho", synced.c.golden_id == person).limit(1)
    remote = select(synced.c.remote_id).where(synced.c.target == "zoho", synced.c.golden_id == person).limit(1)
    return module.scalar_subquery(), remote.scalar_subquery()


@scoped
def people(
    connection: Connection,
    filters: ReportFilters,
    *,
    step: str,
    limit: int = 500,
    links: RecordLinks | None = None,
) -> Report:
    """The people behind ``step`` (first ``limit`` by golden id), with their records' ids (and web addresses when
    ``links`` is given).

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     [row["email"] for row in people(connection, ReportFilters(), step="replied").table("people").rows]
        ['anna@acme.de']
    """
    check_filters(filters)
    if limit < 1:
        raise InputError(f"limit must be at least 1, not {limit}")
    person = golden_people.c.id
    synced_module, synced_id = _zoho_link(person)
    query = (
        select(
            person,
            golden_people.c.first_name,
            golden_people.c.last_name,
            golden_people.c.company_name,
            golden_companies.c.name.label("company"),
            golden_people.c.email,
            scores.c.segments,
            scores.c.grade,
            scores.c.fit,
            golden_people.c.crm_module,
            golden_people.c.crm_id,
            synced_module.label("synced_module"),
            synced_id.label("synced_id"),
            _ghl_contact(person).label("ghl_contact_id"),
        )
        .outerjoin(golden_companies, golden_companies.c.id == golden_people.c.company_id)
        .outerjoin(scores, scores.c.golden_person_id == person)
        .where(step_condition(connection, filters, step, person))
        .order_by(person)
        .limit(limit)
    )
    rows: list[dict[str, Any]] = []
    for row in connection.execute(query).mappings():
        module = row["crm_module"] or row["synced_module"]
        zoho_id = row["crm_id"] or row["synced_id"]
        name = " ".join(part for part in (row["first_name"], row["last_name"]) if part)
        line: dict[str, Any] = {
            "golden_person_id": row["id"],
            "name": name or None,
            "company": row["company_name"] or row["company"],
            "email": row["email"],
            "segment": ", ".join(str(s) for s in row["segments"] or []) or None,
            "grade": row["grade"],
            "fit": row["fit"],
            "zoho_module": module,
            "zoho_id": zoho_id,
            "ghl_contact_id": row["ghl_contact_id"],
        }
        if links is not None:
            line["zoho_url"] = links.zoho(module, zoho_id)
            line["ghl_url"] = links.ghl(row["ghl_contact_id"])
        rows.append(line)
    columns = [
        Column("golden_person_id", "Golden id"),
        Column("name", "Name"),
        Column("company", "Company"),
        Column("email", "Email"),
        Column("segment", "Segments"),
        Column("grade", "Grade"),
        Column("fit", "Fit score", "number"),
        Column("zoho_module", "Zoho module"),
        Column("zoho_id", "Zoho id"),
        Column("ghl_contact_id", "GHL contact id"),
    ]
    if links is not None:
        columns += [Column("zoho_url", "Zoho record", "url"), Column("ghl_url", "GHL contact", "url")]
    label = dict(STEPS).get(step, step)
    return Report(
        name="people",
        title=f"People: {label}",
        filters=filters,
        tables=(Table(key="people", title=label, columns=tuple(columns), rows=rows),),
        notes=(f"The first {limit} people by golden id.",) if len(rows) == limit else (),
    )
