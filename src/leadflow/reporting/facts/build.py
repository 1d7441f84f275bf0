"""The statements that compute report facts from the store, for everyone or for a set of people: the same
expressions the reports' queries use (:mod:`leadflow.reporting.scope`), so facts and queries agree by
construction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Delete,
    Float,
    FromClause,
    Integer,
    Select,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)

from leadflow.reporting.model import ReportFilters
from leadflow.reporting.rollup import FILE_SOURCES, KIND_CODES, len_codes
from leadflow.reporting.scope import (
    Period,
    among,
    day_of,
    enrolment,
    in_zoho,
    person_deals,
    person_facts,
    segment_memberships,
)
from leadflow.store.schema import (
    cluster_members,
    crm_cluster_members,
    engagement_events,
    record_tags,
    report_event_days,
    report_person_facts,
    report_person_segments,
    source_records,
)

FACT_NAMES = [column.name for column in report_person_facts.columns if column.name != "golden_person_id"]
SUMMED = ("rows", "deals", "amount", "won_amount")
FLOATS = ("amount", "won_amount")
CODES = ("first_code", "last_code")
EVENT_FLAGS = ("contacted", "engaged", "replied", "met", "converted", "bounced")


def _row(person: ColumnElement[Any], **values: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """A stream's row: the person, then every fact column (0, 0.0 or NULL where the stream knows nothing)."""
    out: list[ColumnElement[Any]] = [person.label("golden_person_id")]
    for name in FACT_NAMES:
        if name in values:
            out.append(values[name].label(name))
        elif name in CODES:
            out.append(cast(null(), Integer).label(name))
        elif name in FLOATS:
            out.append(literal(0.0, Float).label(name))
        else:
            out.append(literal(0, Integer).label(name))
    return out


def person_fact_rows(connection: Connection, people: FromClause | None = None) -> Select[Any]:
    """One row per person (of ``people``, or everyone) found in any input: their events, workflow enrolment,
    Deals, source rows and CRM matches, each combined per person (flags by MAX, counts and amounts by SUM).

    Unbounded in time, these are the values :mod:`leadflow.reporting.rollup` and the funnel compute for a view
    without a period: the same scope functions, run over every person instead of the people in scope.
    """
    everyone = Period(None, None)
    facts = person_facts(connection, ReportFilters(), people=people)
    streams: list[Select[Any]] = [
        select(*_row(facts.c.golden_person_id, **{name: facts.c[name] for name in EVENT_FLAGS}))
    ]
    enrolled = record_tags.c.golden_person_id
    streams.append(
        select(*_row(enrolled, contacted=literal(1, Integer))).where(enrolment(everyone), among(enrolled, people))
    )
    deals = person_deals(people)
    won = deals.c.outcome == "won"
    streams.append(
        select(
            *_row(
                deals.c.golden_person_id,
                won=func.max(case((won, 1), else_=0)),
                deals=func.count(func.distinct(deals.c.deal_id)),
                amount=cast(func.coalesce(func.sum(deals.c.amount), 0.0), Float),
                won_amount=cast(func.coalesce(func.sum(case((won, deals.c.amount), else_=0.0)), 0.0), Float),
            )
        ).group_by(deals.c.golden_person_id)
    )
    person = cluster_members.c.golden_person_id
    code = case(*((source_records.c.source_kind == kind, number) for kind, number in KIND_CODES.items()), else_=0)
    keyed = source_records.c.id * len_codes() + code
    came = {f"from_{kind}": func.max(case((source_records.c.source_kind == kind, 1), else_=0)) for kind in FILE_SOURCES}
    streams.append(
        select(
            *_row(
                person,
                rows=func.count(),
                in_zoho=case((in_zoho(person), 1), else_=0),
                **came,
                first_code=func.min(keyed),
                last_code=func.max(keyed),
            )
        )
        .join(source_records, source_records.c.id == cluster_members.c.source_record_id)
        .where(among(person, people))
        .group_by(person)
    )
    matched = crm_cluster_members.c.golden_person_id
    streams.append(select(*_row(matched, from_crm=literal(1, Integer))).where(among(matched, people)))
    rows = union_all(*streams).subquery("fact_streams")

    def combined(name: str) -> ColumnElement[Any]:
        if name in SUMMED:
            return func.sum(rows.c[name])
        if name == "first_code":
            return func.min(rows.c[name]) % len_codes()
        if name == "last_code":
            return func.max(rows.c[name]) % len_codes()
        return func.max(rows.c[name])

    return select(rows.c.golden_person_id, *(combined(name).label(name) for name in FACT_NAMES)).group_by(
        rows.c.golden_person_id
    )


def write_person_facts(connection: Connection, people: FromClause | None = None) -> None:
    """Replace the facts and segment memberships of ``people`` (everyone when None) with freshly computed ones."""
    connection.execute(_delete_people(report_person_facts, people))
    connection.execute(
        insert(report_person_facts).from_select(["golden_person_id", *FACT_NAMES], person_fact_rows(connection, people))
    )
    connection.execute(_delete_people(report_person_segments, people))
    members = segment_memberships(connection)
    connection.execute(
        insert(report_person_segments).from_select(
            ["segment", "golden_person_id"],
            select(members.c.segment, members.c.golden_person_id)
            .where(among(members.c.golden_person_id, people))
            .distinct(),
        )
    )


def _delete_people(table: Table, people: FromClause | None) -> Delete:
    """Delete ``people``'s rows of ``table``; all of them, with no WHERE at all (SQLite then truncates), when
    None."""
    if people is None:
        return delete(table)
    return delete(table).where(among(table.c.golden_person_id, people))


def write_all_days(connection: Connection) -> None:
    """Recount every (day, event type) cell."""
    connection.execute(delete(report_event_days))
    day = day_of(connection, engagement_events.c.occurred_at)
    connection.execute(
        insert(report_event_days).from_select(
            ["day", "event_type", "events"],
            select(day, engagement_events.c.event_type, func.count()).group_by(day, engagement_events.c.event_type),
        )
    )


def write_days(connection: Connection, cells: Sequence[tuple[str, str]]) -> None:
    """Recount the (day, event type) cells given, each by a range count over
    ``ix_engagement_events_type_time_person``."""
    for start in range(0, len(cells), 200):
        chunk = cells[start : start + 200]
        connection.execute(
            delete(report_event_days).where(tuple_(report_event_days.c.day, report_event_days.c.event_type).in_(chunk))
        )
        cell_conditions = []
        for day, kind in chunk:
            begin = datetime.fromisoformat(day).replace(tzinfo=UTC)
            cell_conditions.append(
                and_(
                    engagement_events.c.event_type == kind,
                    engagement_events.c.occurred_at >= begin,
                    engagement_events.c.occurred_at < begin + timedelta(days=1),
                )
            )
        day_column = day_of(connection, engagement_events.c.occurred_at)
        connection.execute(
            insert(report_event_days).from_select(
                ["day", "event_type", "events"],
                select(day_column, engagement_events.c.event_type, func.count())
                .where(or_(*cell_conditions))
                .group_by(day_column, engagement_events.c.event_type),
            )
        )
