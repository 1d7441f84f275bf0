"""Engagement: events per day by type, and reply and bounce rates per segment and per sequence (GHL workflow)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, FromClause, String, cast, func, literal, select, true

from leadflow.reporting.facts.read import days_from_facts, report_rollup, segment_groups, use_facts
from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table
from leadflow.reporting.scope import (
    BOUNCE_KINDS,
    CONTACT_KINDS,
    REPLY_KINDS,
    WORKFLOW_MARK,
    check_filters,
    day_of,
    is_postgres,
    narrows_people,
    period_of,
    person_filter,
)
from leadflow.reporting.view import scoped
from leadflow.store.schema import engagement_events, record_tags

NOTES = (
    "Events per day: every event in the period by its day (UTC); with a segment, owner or source filter only "
    "events matched to a person count.",
    "Rates: among people sent something in the period (contacted), the share who replied and the share whose "
    "email bounced (hard or soft). A sequence is a GHL workflow the sync enrolled the person in (a segment's "
    "ghl_workflow).",
)

RATE_COLUMNS = (
    Column("people", "People", "count"),
    Column("contacted", "Contacted", "count"),
    Column("replied", "Replied", "count"),
    Column("bounced", "Bounced", "count"),
    Column("reply_rate", "Reply rate", "rate"),
    Column("bounce_rate", "Bounce rate", "rate"),
)


def _days(connection: Connection, filters: ReportFilters) -> list[date]:
    """The days the period covers, or those between the first and the last event when it is open."""
    period = period_of(filters)
    first, last = connection.execute(
        select(func.min(engagement_events.c.occurred_at), func.max(engagement_events.c.occurred_at))
    ).one()
    if first is None:
        return []
    start = period.start.date() if period.start else _utc(first).date()
    end = (period.end - timedelta(days=1)).date() if period.end else _utc(last).date()
    end = min(end, _utc(last).date())
    start = max(start, _utc(first).date())
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def events_per_day(connection: Connection, filters: ReportFilters) -> list[dict[str, Any]]:
    """Events per day (UTC) and type.

    PostgreSQL groups by the day with a hash aggregate, and so does SQLite for the people in a scope. Over all
    events SQLite would sort every one of them to group by an expression, so there the query counts each (day,
    type) cell with an index range count over ``ix_engagement_events_type_time_person``: a grid of the days (a
    recursive CTE) times the types.
    """
    period = period_of(filters)
    narrowed = person_filter(connection, filters, engagement_events.c.golden_person_id)
    if is_postgres(connection) or narrows_people(filters):
        # A narrowed count looks each event's person up in the scope; grouping those few is cheaper than letting
        # SQLite probe the scope's people in every cell of the grid.
        day = day_of(connection, engagement_events.c.occurred_at).label("day")
        rows = connection.execute(
            select(day, engagement_events.c.event_type, func.count())
            .where(period.bound(engagement_events.c.occurred_at), narrowed)
            .group_by(day, engagement_events.c.event_type)
            .order_by(day, engagement_events.c.event_type)
        )
        return [{"day": str(when), "event_type": kind, "events": int(count)} for when, kind, count in rows]
    days = _days(connection, filters)
    if not days:
        return []
    grid = select(literal(days[0].isoformat(), String).label("day")).cte("days", recursive=True)
    grid = grid.union_all(select(func.date(grid.c.day, "+1 day")).where(grid.c.day < days[-1].isoformat()))
    kinds = select(engagement_events.c.event_type.label("kind")).distinct().subquery("kinds")
    count = select(func.count()).where(
        engagement_events.c.event_type == kinds.c.kind,
        engagement_events.c.occurred_at >= grid.c.day,  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)
        engagement_events.c.occurred_at < func.date(grid.c.day, "+1 day"),
        narrowed,
    )
    counted = (
        select(grid.c.day, kinds.c.kind, count.scalar_subquery().label("events"))
        .select_from(grid)
        .join(kinds, true())
        .subquery("counted")
    )
    rows = connection.execute(
        select(counted.c.day, counted.c.kind, counted.c.events)
        .where(counted.c.events > 0)
        .order_by(counted.c.day, counted.c.kind)
    )
    return [{"day": str(when), "event_type": kind, "events": int(count)} for when, kind, count in rows]


def workflow_groups(connection: Connection) -> FromClause:
    """(golden_person_id, grp): the GHL workflows (sequences) the sync enrolled each person in: the ``workflow:``
    memberships among their applied GHL tags, which the sync adds for a segment's ``ghl_workflow``."""
    explode = "jsonb_array_elements_text" if is_postgres(connection) else "json_each"
    applied = getattr(func, explode)(record_tags.c.applied).table_valued("value").alias("applied_tags")
    tag = cast(applied.c.value, String)
    position = func.instr(tag, WORKFLOW_MARK) if not is_postgres(connection) else func.strpos(tag, WORKFLOW_MARK)
    return (
        select(record_tags.c.golden_person_id, func.substr(tag, position + len(WORKFLOW_MARK)).label("grp"))
        .select_from(record_tags)
        .join(applied, true())
        .where(record_tags.c.target == "ghl", tag.like(f"%{WORKFLOW_MARK}%"))
        .distinct()
        .subquery("workflow_groups")
    )


def rates_by(
    connection: Connection, filters: ReportFilters, groups: FromClause, rollup: FromClause, key: str
) -> list[dict[str, Any]]:
    """Per group: people, contacted, replied, bounced and the two rates (of contacted)."""
    person = groups.c.golden_person_id
    contacted = func.coalesce(rollup.c.contacted, 0)
    result = connection.execute(
        select(
            groups.c.grp,
            func.count(),
            func.coalesce(func.sum(contacted), 0),
            func.coalesce(func.sum(contacted * rollup.c.replied), 0),
            func.coalesce(func.sum(contacted * rollup.c.bounced), 0),
        )
        .select_from(groups)
        .outerjoin(rollup, rollup.c.golden_person_id == person)
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


@scoped
def engagement(connection: Connection, filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """Events over time and reply/bounce rates.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     engagement(connection, ReportFilters()).table("daily").rows[0]
        {'day': '2026-11-02', 'event_type': 'email_sent', 'events': 120}
    """
    check_filters(filters)
    from_facts = use_facts(connection, filters)
    segments = segment_groups(connection, from_facts=from_facts)
    kinds = (*CONTACT_KINDS, *REPLY_KINDS, *BOUNCE_KINDS)
    with report_rollup(connection, filters, from_facts=from_facts, with_deals=False, kinds=kinds) as rollup:
        segment_rates = rates_by(connection, filters, segments, rollup, "segment")
        sequence_rates = rates_by(connection, filters, workflow_groups(connection), rollup, "sequence")
    daily = (
        days_from_facts(connection) if from_facts and filters.segment is None else events_per_day(connection, filters)
    )
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
                rows=daily,
                chart=Chart("line", x="day", y=("events",), series="event_type"),
            ),
            Table(
                key="segments",
                title="Reply and bounce rates by segment",
                columns=(Column("segment", "Segment"), *RATE_COLUMNS),
                rows=segment_rates,
                chart=Chart("bar", x="segment", y=("reply_rate", "bounce_rate")),
                drill="segment",
            ),
            Table(
                key="sequences",
                title="Reply and bounce rates by sequence",
                columns=(Column("sequence", "Sequence (GHL workflow)"), *RATE_COLUMNS),
                rows=sequence_rates,
                chart=Chart("bar", x="sequence", y=("reply_rate", "bounce_rate")),
            ),
        ),
        notes=NOTES,
    )


__all__ = ["engagement", "events_per_day"]
