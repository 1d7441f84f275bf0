"""The SQL every report shares: who is in scope for the filters, the period as timestamps, the source labels,
per-person facts (contacted, replied, ...) and the few expressions SQLite and PostgreSQL spell differently.

All functions build SQLAlchemy Core selectables; nothing here reads a row. A report composes them and lets the
database aggregate.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    CompoundSelect,
    Connection,
    Float,
    FromClause,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union,
    union_all,
)

from leadflow.errors import InputError
from leadflow.reporting.model import ReportFilters
from leadflow.store.schema import (
    cluster_members,
    crm_cluster_members,
    crm_deals,
    crm_records,
    engagement_events,
    golden_people,
    record_tags,
    report_person_segments,
    scores,
    source_records,
    sync_records,
)

# Event kinds behind each funnel step (tracking/events.py ENGAGEMENT_KINDS plus what the actions write).
CONTACT_KINDS = ("email_sent", "sms_sent", "call_made", "call_connected")
ENGAGED_KINDS = ("email_opened", "email_clicked", "website_visit", "form_filled")
REPLY_KINDS = ("email_replied",)
MEETING_KINDS = ("meeting_booked",)
CONVERSION_KINDS = ("lead_converted",)
BOUNCE_KINDS = ("email_bounced_hard", "email_bounced_soft")
KINDS_TRACKED = (*CONTACT_KINDS, *ENGAGED_KINDS, *REPLY_KINDS, *MEETING_KINDS, *CONVERSION_KINDS, *BOUNCE_KINDS)

# The membership the sync keeps among a person's GHL tags when it enrolled them in a workflow (segments/engine.py).
WORKFLOW_MARK = "workflow:"

# Source kinds (source_records.source_kind, plus "crm" for people matched to a record already in Zoho) and the
# label reports print. A --source filter takes either.
SOURCE_LABELS = {
    "apollo": "Apollo file",
    "salesnav": "Sales Navigator search",
    "linkedin": "LinkedIn export",
    "mapped": "Mapped file",
    "crm": "Already in the CRM",
}


def source_kind(value: str) -> str:
    """The source kind a ``--source`` value names (a kind or its label, any case); InputError otherwise.

    Example:
        >>> source_kind("Sales Navigator search"), source_kind("APOLLO")
        ('salesnav', 'apollo')
    """
    wanted = value.strip().lower()
    for kind, label in SOURCE_LABELS.items():
        if wanted in (kind, label.lower()):
            return kind
    known = ", ".join(f"{kind} ({label})" for kind, label in SOURCE_LABELS.items())
    raise InputError(f"--source must be one of {known}, not {value!r}")


def source_label(kind: str) -> str:
    return SOURCE_LABELS.get(kind, kind)


@dataclass(frozen=True)
class Period:
    """The filters' dates as a half-open UTC interval ``[start, end)``; either side may be open."""

    start: datetime | None
    end: datetime | None

    def bound(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        """``column`` inside the period (true when the period is open on both sides)."""
        conditions: list[ColumnElement[bool]] = []
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column < self.end)
        return and_(true(), *conditions)

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None


def period_of(filters: ReportFilters) -> Period:
    """``since``/``until`` (inclusive dates) as timestamps; InputError when ``since`` is after ``until``.

    Example:
        >>> from datetime import date
        >>> period_of(ReportFilters(since=date(2026, 1, 1), until=date(2026, 1, 31))).end
        datetime.datetime(2026, 2, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if filters.since and filters.until and filters.since > filters.until:
        raise InputError(f"--since ({filters.since}) is after --until ({filters.until})")
    start = datetime.combine(filters.since, time(), UTC) if filters.since else None
    end = datetime.combine(filters.until + timedelta(days=1), time(), UTC) if filters.until else None
    return Period(start, end)


def check_filters(filters: ReportFilters) -> None:
    """Raise InputError for filter values no report can use (an unknown source, since after until, blanks)."""
    period_of(filters)
    if filters.source is not None:
        source_kind(filters.source)
    for name, value in (("--segment", filters.segment), ("--owner", filters.owner)):
        if value is not None and not value.strip():
            raise InputError(f"{name} must not be empty")


# ---- dialect differences ------------------------------------------------------------------------------------------


def is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def day_of(connection: Connection, column: ColumnElement[Any]) -> ColumnElement[str]:
    """``YYYY-MM-DD`` (UTC) of a timestamp column."""
    if is_postgres(connection):
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def month_of(connection: Connection, column: ColumnElement[Any]) -> ColumnElement[str]:
    """``YYYY-MM`` (UTC) of a timestamp column."""
    if is_postgres(connection):
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.substr(column, 1, 7)


def seconds_between(connection: Connection, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[float]:
    """``end - start`` in seconds."""
    if is_postgres(connection):
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86_400.0


def days_between(connection: Connection, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[float]:
    return seconds_between(connection, start, end) / 86_400.0


def json_text(column: ColumnElement[Any], *path: str) -> ColumnElement[str]:
    """A JSON value at ``path`` as text (NULL when missing), the same on both backends."""
    element: Any = column
    for key in path:
        element = element[key]
    return element.as_string()  # type: ignore[no-any-return]


def segment_memberships(connection: Connection) -> FromClause:
    """(golden_person_id, segment): one row per person and segment they are in (``scores.segments``)."""
    explode = "jsonb_array_elements_text" if is_postgres(connection) else "json_each"
    members = getattr(func, explode)(scores.c.segments).table_valued("value").alias("segment_names")
    return (
        select(scores.c.golden_person_id, cast(members.c.value, String).label("segment"))
        .select_from(scores)
        .join(members, true())
        .subquery("segment_memberships")
    )


# ---- who is in scope -----------------------------------------------------------------------------------------------


def person_sources() -> FromClause:
    """(golden_person_id, source_kind, touched_at, record_id): every source a person came from, with when.

    A CRM record matched into the person (``crm_cluster_members``) counts as the source ``crm``; it has no ingest
    time, so it sorts before any file (the person was in the CRM before leadflow read a file).
    """
    rows = select(
        cluster_members.c.golden_person_id,
        source_records.c.source_kind,
        source_records.c.ingested_at.label("touched_at"),
        source_records.c.id.label("record_id"),
    ).join(source_records, source_records.c.id == cluster_members.c.source_record_id)
    crm = select(
        crm_cluster_members.c.golden_person_id,
        literal("crm", String).label("source_kind"),
        literal(None).label("touched_at"),
        literal(0).label("record_id"),
    )
    return union_all(rows, crm).subquery("person_sources")


def came_from(person_id: ColumnElement[Any], kind: str) -> ColumnElement[bool]:
    """The person has a source row of ``kind`` (``crm``: was matched to a record already in the CRM)."""
    if kind == "crm":
        return select(literal(1)).where(crm_cluster_members.c.golden_person_id == person_id).exists()
    return (
        select(literal(1))
        .select_from(cluster_members)
        .join(source_records, source_records.c.id == cluster_members.c.source_record_id)
        .where(cluster_members.c.golden_person_id == person_id, source_records.c.source_kind == kind)
        .exists()
    )


def person_owner(person_id: ColumnElement[Any], owner: str) -> ColumnElement[bool]:
    """The person's Zoho record (Lead or Contact, as mirrored) is owned by ``owner`` (an id or a name)."""
    owned = (
        select(golden_people.c.id)
        .join(
            crm_records,
            and_(crm_records.c.module == golden_people.c.crm_module, crm_records.c.crm_id == golden_people.c.crm_id),
        )
        .where(
            or_(
                json_text(crm_records.c.fields, "Owner", "id") == owner,
                json_text(crm_records.c.fields, "Owner", "name") == owner,
            )
        )
    )
    return person_id.in_(owned)


def _scope_key(filters: ReportFilters, use_source: bool) -> tuple[str | None, ...]:
    return (filters.segment, filters.owner, filters.source if use_source else None)


def _narrowing(
    connection: Connection, filters: ReportFilters, person_id: ColumnElement[Any], use_source: bool
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.segment is not None:
        members: FromClause = report_person_segments
        if not facts_are_current(connection):
            members = segment_memberships(connection)
        conditions.append(person_id.in_(select(members.c.golden_person_id).where(members.c.segment == filters.segment)))
    if filters.owner is not None:
        conditions.append(person_owner(person_id, filters.owner))
    if use_source and filters.source is not None:
        sources = person_sources()
        kind = source_kind(filters.source)
        conditions.append(person_id.in_(select(sources.c.golden_person_id).where(sources.c.source_kind == kind)))
    return conditions


def person_filter(
    connection: Connection, filters: ReportFilters, person_id: ColumnElement[Any], *, use_source: bool = True
) -> ColumnElement[bool]:
    """Condition on a golden person id column for the filters that narrow people: segment, owner, source.

    Inside :func:`people_in_scope` the people are looked up by key in its temporary table; otherwise the
    condition recomputes them (exploding every person's segments, say) in each statement that uses it.
    """
    key = _scope_key(filters, use_source)
    if not any(key):
        return true()
    materialized: dict[tuple[str | None, ...], Table] = connection.info.get(_SCOPES, {})
    if key in materialized:
        scope = materialized[key]
        return person_id.in_(select(scope.c.golden_person_id))
    return and_(true(), *_narrowing(connection, filters, person_id, use_source))


def scope_members(connection: Connection, filters: ReportFilters, *, use_source: bool = True) -> FromClause | None:
    """The people :func:`person_filter` keeps, as a one-column selectable for :func:`among` (None: everyone).

    For a query that aggregates per person (:func:`person_facts`): narrowing its rows before they are grouped
    groups the scope's events only, where a filter on the grouped result groups every person's first.
    """
    key = _scope_key(filters, use_source)
    if not any(key):
        return None
    materialized: dict[tuple[str | None, ...], Table] = connection.info.get(_SCOPES, {})
    if key in materialized:
        return materialized[key]
    people = golden_people.c.id
    return select(people).where(*_narrowing(connection, filters, people, use_source)).subquery("scope_members")


_SCOPES = "leadflow.reporting.scopes"
_FACTS_CURRENT = "leadflow.reporting.facts_current"


@contextmanager
def connection_flag(connection: Connection, name: str, value: bool) -> Iterator[None]:
    """Within the block, ``connection.info[name]`` is ``value`` (restored after: blocks nest)."""
    before = connection.info.get(name, False)
    connection.info[name] = value
    try:
        yield
    finally:
        connection.info[name] = before


def facts_current_within(connection: Connection, current: bool) -> AbstractContextManager[None]:
    """Within the block (when ``current``: the report facts are current for ``connection``), what the facts keep
    for all time is read from them in any view: a segment's members from ``report_person_segments`` instead of
    exploding every person's ``scores.segments``, and each person's sources and Zoho link from
    ``report_person_facts`` (see :func:`facts_are_current`)."""
    return connection_flag(connection, _FACTS_CURRENT, current)


def facts_are_current(connection: Connection) -> bool:
    """Inside :func:`facts_current_within` with current facts: the period-free facts may stand in for queries."""
    return bool(connection.info.get(_FACTS_CURRENT, False))


def people_table(connection: Connection, prefix: str, people: Select[Any] | CompoundSelect[Any]) -> Table:
    """A temporary table (the connection's own; the store is not written) of the golden person ids ``people``
    selects, keyed by person; the caller drops it."""
    table = Table(
        f"{prefix}_{uuid.uuid4().hex[:12]}",
        MetaData(),
        Column("golden_person_id", String(64), primary_key=True),
        prefixes=["TEMPORARY"],
    )
    table.create(connection)
    connection.execute(insert(table).from_select(["golden_person_id"], people))
    if is_postgres(connection):
        # Never analyzed otherwise (autovacuum skips temporary tables): plans would guess its size.
        connection.exec_driver_sql(f"ANALYZE {table.name}")
    return table


@contextmanager
def people_in_scope(connection: Connection, filters: ReportFilters) -> Iterator[None]:
    """Within the block, :func:`person_filter` reads the people the segment, owner and source filters leave
    from a temporary table (the connection's own; the store is not written), computed once here."""
    scopes: dict[tuple[str | None, ...], Table] = connection.info.setdefault(_SCOPES, {})
    made: list[tuple[str | None, ...]] = []
    try:
        for use_source in (True, False):
            key = _scope_key(filters, use_source)
            if not any(key) or key in scopes:
                continue
            people = golden_people.c.id
            scopes[key] = people_table(
                connection, "lf_scope", select(people).where(*_narrowing(connection, filters, people, use_source))
            )
            made.append(key)
        yield
    finally:
        for key in made:
            scopes.pop(key).drop(connection)


# PostgreSQL settings for a report's statements: not JIT-compiled (over a second of compiling, measured at a
# million people, for statements that each run once).
REPORT_SETTINGS = {"jit": "off"}
# For a view that runs its queries (a period, owner or source), also hash aggregates and joins over a few hundred
# thousand people kept in memory: with the default 4 MB a period view's per-person aggregate spilled to disk in 81
# batches (0.1-0.4 s more per report at a million people). Not for views the facts answer: their plans over a
# million facts rows were 0.2-0.4 s slower with it.
QUERY_SETTINGS = {**REPORT_SETTINGS, "work_mem": "64MB"}


@contextmanager
def report_settings(connection: Connection, settings: dict[str, str] | None = None) -> Iterator[None]:
    """On PostgreSQL, ``settings`` (default :data:`REPORT_SETTINGS`) for the statements inside the block
    (transaction-local, restored when the block ends); nothing on SQLite."""
    wanted = REPORT_SETTINGS if settings is None else settings
    if not is_postgres(connection):
        yield
        return
    names = list(wanted)
    before = [connection.execute(select(func.current_setting(name))).scalar_one() for name in names]
    for name in names:
        connection.execute(select(func.set_config(name, wanted[name], True)))
    try:
        yield
    finally:
        for name, value in zip(names, before, strict=True):
            connection.execute(select(func.set_config(name, value, True)))


def narrows_people(filters: ReportFilters) -> bool:
    return filters.segment is not None or filters.owner is not None or filters.source is not None


# ---- per-person links and facts ------------------------------------------------------------------------------------


def among(person_id: ColumnElement[Any], people: FromClause | None) -> ColumnElement[bool]:
    """``person_id`` is one of ``people`` (a one-column selectable of person ids); true when ``people`` is None."""
    if people is None:
        return true()
    return person_id.in_(select(*people.c))


def person_deals(people: FromClause | None = None) -> FromClause:
    """(golden_person_id, deal_id, outcome, amount, closed_at, created_time): the Deals linked to a person's
    Contact, where the person's Contact is their CRM link, the sync's id map, or the Contact a ``lead_converted``
    event names. Driven from the Deals (a few per thousand people), each Contact looked up by index; with
    ``people``, only theirs (see :func:`among`)."""
    deal_columns = (
        crm_deals.c.crm_id.label("deal_id"),
        crm_deals.c.outcome,
        crm_deals.c.amount,
        crm_deals.c.closed_at,
        crm_deals.c.created_time,
    )
    person = golden_people.alias("deal_person")
    linked = (
        select(person.c.id.label("golden_person_id"), *deal_columns)
        .join(person, and_(person.c.crm_module == "Contacts", person.c.crm_id == crm_deals.c.contact_id))
        .where(among(person.c.id, people))
    )
    synced = (
        select(sync_records.c.golden_id, *deal_columns)
        .join(
            sync_records,
            and_(
                sync_records.c.target == "zoho",
                sync_records.c.module == "Contacts",
                sync_records.c.remote_id == crm_deals.c.contact_id,
            ),
        )
        .where(among(sync_records.c.golden_id, people))
    )
    converted = (
        select(engagement_events.c.golden_person_id, *deal_columns)
        .join(
            engagement_events,
            and_(
                engagement_events.c.event_type.in_(CONVERSION_KINDS),
                engagement_events.c.golden_person_id.is_not(None),
                json_text(engagement_events.c.payload, "contact_id") == crm_deals.c.contact_id,
            ),
        )
        .where(among(engagement_events.c.golden_person_id, people))
    )
    return union(linked, synced, converted).subquery("person_deals")


def in_zoho(person_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """The person has a Zoho record: matched to one by resolve, or created there by the sync (two key look-ups)."""
    linked = golden_people.alias("crm_linked")
    matched = select(literal(1)).where(linked.c.id == person_id, linked.c.crm_id.is_not(None)).exists()
    synced = (
        select(literal(1))
        .where(
            sync_records.c.target == "zoho",
            sync_records.c.golden_id == person_id,
            sync_records.c.remote_id.is_not(None),
        )
        .exists()
    )
    return or_(matched, synced)


def enrolment(period: Period) -> ColumnElement[bool]:
    """A ``record_tags`` row that shows a GHL workflow enrolment made by the sync (a ``workflow:`` membership
    among the person's applied GHL tags), updated in the period."""
    return and_(
        record_tags.c.target == "ghl",
        cast(record_tags.c.applied, String).like(f"%{WORKFLOW_MARK}%"),
        period.bound(record_tags.c.updated_at),
    )


def enrolled_flag(person_id: ColumnElement[Any], period: Period) -> ColumnElement[Any]:
    """1 when the person was enrolled in a GHL workflow in the period, else 0 (a primary-key look-up)."""
    found = select(literal(1)).where(record_tags.c.golden_person_id == person_id, enrolment(period)).exists()
    return case((found, 1), else_=0)


def had_event(person_id: ColumnElement[Any], kinds: Sequence[str], period: Period) -> ColumnElement[bool]:
    """The person has an event of one of ``kinds`` in the period (an index look-up)."""
    return (
        select(literal(1))
        .where(
            engagement_events.c.golden_person_id == person_id,
            engagement_events.c.event_type.in_(kinds),
            period.bound(engagement_events.c.occurred_at),
        )
        .exists()
    )


def person_facts(
    connection: Connection,
    filters: ReportFilters,
    *,
    kinds: Sequence[str] = KINDS_TRACKED,
    people: FromClause | None = None,
) -> FromClause:
    """Per person with an event in the period: contacted, engaged, replied, met, converted, bounced (0/1).

    One pass over ``ix_engagement_events_person_type_time`` in person order (no sort); ``kinds`` limits the events
    read to those a report needs (the other flags stay 0), ``people`` the people (:func:`among`). A workflow
    enrolment also makes a person contacted: see :func:`enrolled_flag` (people with no event at all are not here).
    """
    period = period_of(filters)
    event = engagement_events.c.event_type

    def flag(kinds: Sequence[str]) -> ColumnElement[Any]:
        return func.max(case((event.in_(kinds), 1), else_=0))

    return (
        select(
            engagement_events.c.golden_person_id,
            flag(CONTACT_KINDS).label("contacted"),
            flag(ENGAGED_KINDS).label("engaged"),
            flag(REPLY_KINDS).label("replied"),
            flag(MEETING_KINDS).label("met"),
            flag(CONVERSION_KINDS).label("converted"),
            flag(BOUNCE_KINDS).label("bounced"),
        )
        .where(
            engagement_events.c.golden_person_id.is_not(None),
            event.in_(kinds),
            period.bound(engagement_events.c.occurred_at),
            among(engagement_events.c.golden_person_id, people),
        )
        .group_by(engagement_events.c.golden_person_id)
        .subquery("person_facts")
    )


def ratio(part: float | int | None, whole: float | int | None) -> float | None:
    """``part / whole``, None when there is nothing to divide by."""
    if not whole or part is None:
        return None
    return float(part) / float(whole)
