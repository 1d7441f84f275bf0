"""Engagement: events per day by type, and reply and bounce rates per segment and per sequence (GHL workflow)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, FromClause, String, cast, func, select, true, union

from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table
from leadflow.reporting.scope import (
    WORKFLOW_MARK,
    check_filters,
    day_of,
    is_postgres,
    json_text,
    narrows_people,
    period_of,
    person_facts,
    person_filter,
    segment_memberships,
)
from leadflow.store.schema import engagement_events, record_tags

NOTES = (
    "Events per day: every event in the period by its day (UTC); with a segment, owner or source filter only "
    "events matched to a person count.",
    "Rates: among people sent something in the period (contacted), the share who replied and the share whose "
    "email bounced (hard or soft). A sequence is the GHL workflow the sync enrolled the person in, or the "
    "workflow an event names (payload workflow_id / workflow).",
)

RATE_COLUMNS = (
    Column("people", "People", "count"),
    Column("contacted", "Contacted", "count"),
    Column("replied", "Replied", "count"),
    Column("bounced", "Bounced", "count"),
    Column("reply_rate", "Reply rate", "rate"),
    Column("bounce_rate", "Bounce rate", "rate"),
)


def events_per_day(connection: Connection, filters: ReportFilters) -> list[dict[str, Any]]:
    period = period_of(filters)
    day = day_of(connection, engagement_events.c.occurred_at).label("day")
    query = select(day, engagement_events.c.event_type, func.count()).where(
        period.bound(engagement_events.c.occurred_at)
    )
    if narrows_people(filters):
        query = query.where(person_filter(connection, filters, engagement_events.c.golden_person_id))
    result = connection.execute(
        query.group_by(day, engagement_events.c.event_type).order_by(day, engagement_events.c.event_type)
    )
    return [{"day": str(when), "event_type": kind, "events": int(count)} for when, kind, count in result]


def workflow_groups(connection: Connection) -> FromClause:
    """(golden_person_id, grp): the GHL workflows a person is in, from the sync's enrolments and event payloads."""
    explode = "jsonb_array_elements_text" if is_postgres(connection) else "json_each"
    applied = getattr(func, explode)(record_tags.c.applied).table_valued("value").alias("applied_tags")
    tag = cast(applied.c.value, String)
    position = func.instr(tag, WORKFLOW_MARK) if not is_postgres(connection) else func.strpos(tag, WORKFLOW_MARK)
    enrolled = (
        select(record_tags.c.golden_person_id, func.substr(tag, position + len(WORKFLOW_MARK)).label("grp"))
        .select_from(record_tags)
        .join(applied, true())
        .where(record_tags.c.target == "ghl", tag.like(f"%{WORKFLOW_MARK}%"))
    )
    named = func.coalesce(
        json_text(engagement_events.c.payload, "workflow_id"), json_text(engagement_events.c.payload, "workflow")
    )
    from_events = select(engagement_events.c.golden_person_id, named.label("grp")).where(
        engagement_events.c.golden_person_id.is_not(None), named.is_not(None)
    )
    return union(enrolled, from_events).subquery("workflow_groups")


def rates_by(connection: Connection, filters: ReportFilters, groups: FromClause, key: str) -> list[dict[str, Any]]:
    """Per group: people, contacted, replied, bounced and the two rates (of contacted)."""
    facts = person_facts(connection, filters)
    person = groups.c.golden_person_id
    result = connection.execute(
        select(
            groups.c.grp,
            func.count(),
            func.coalesce(func.sum(facts.c.contacted), 0),
            func.coalesce(func.sum(facts.c.contacted * facts.c.replied), 0),
            func.coalesce(func.sum(facts.c.contacted * facts.c.bounced), 0),
        )
        .select_from(groups)
        .outerjoin(facts, facts.c.golden_person_id == person)
        .where(person_filter(connection, filters, person))
        .group_by(groups.c.grp)
        .order_by(groups.c.grp)
    )
    return [
        {
            key: str(group),
            "people": int(people),
            "contacted": int(contacted),
            "replied": int(replied),
            "bounced": int(bounced),
            "reply_rate": int(replied) / int(contacted) if contacted else None,
            "bounce_rate": int(bounced) / int(contacted) if contacted else None,
        }
        for group, people, contacted, replied, bounced in result
    ]


def engagement(connection: Connection, filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """Events over time and reply/bounce rates.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     engagement(connection, ReportFilters()).table("daily").rows[0]
        {'day': '2026-11-02', 'event_type': 'email_sent', 'events': 120}
    """
    check_filters(filters)
    members = segment_memberships(connection)
    segments = select(members.c.golden_person_id, members.c.segment.label("grp")).distinct().subquery("seg")
    return Report(
        name="engagement",
        title="Engagement",
        filters=filters,
        tables=(
            Table(
                key="daily",
                title="Events per day",
                columns=(
                    Column("day", "Day", "date"),
                    Column("event_type", "Event"),
                    Column("events", "Events", "count"),
                ),
                rows=events_per_day(connection, filters),
                chart=Chart("line", x="day", y=("events",), series="event_type"),
            ),
            Table(
                key="segments",
                title="Reply and bounce rates by segment",
                columns=(Column("segment", "Segment"), *RATE_COLUMNS),
                rows=rates_by(connection, filters, segments, "segment"),
                chart=Chart("bar", x="segment", y=("reply_rate", "bounce_rate")),
                drill="segment",
            ),
            Table(
                key="sequences",
                title="Reply and bounce rates by sequence",
                columns=(Column("sequence", "Sequence (GHL workflow)"), *RATE_COLUMNS),
                rows=rates_by(connection, filters, workflow_groups(connection), "sequence"),
                chart=Chart("bar", x="sequence", y=("reply_rate", "bounce_rate")),
            ),
        ),
        notes=NOTES,
    )


__all__ = ["engagement", "events_per_day"]
