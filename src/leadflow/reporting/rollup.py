"""One row per person in scope with what they did in the period, in a temporary table for one report.

The sources, segments and engagement reports group the same per-person facts several ways (by every source, by
first and by last touch, by segment, by sequence). Joining each grouping to an aggregate subquery would aggregate
the events again and sort a million rows for every join; instead the facts are aggregated once, in person order,
into a temporary table keyed by person, and every grouping looks people up by key. The table is the
connection's own (``CREATE TEMPORARY TABLE``: the store is not written) and is dropped when the report is done.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Float,
    FromClause,
    Integer,
    MetaData,
    String,
    Table,
    case,
    cast,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.reporting.model import ReportFilters
from leadflow.reporting.scope import (
    KINDS_TRACKED,
    SOURCE_LABELS,
    enrolment,
    facts_are_current,
    is_postgres,
    period_of,
    person_deals,
    person_facts,
    person_filter,
    scope_members,
)
from leadflow.store.schema import (
    cluster_members,
    crm_cluster_members,
    record_tags,
    report_person_facts,
    source_records,
)

FACTS = ("contacted", "engaged", "replied", "met", "converted", "bounced")
FILE_SOURCES = tuple(kind for kind in SOURCE_LABELS if kind != "crm")
KIND_CODES = {kind: number for number, kind in enumerate(FILE_SOURCES, start=1)}  # 0: another kind
SOURCE_COLUMNS = (*(f"from_{kind}" for kind in SOURCE_LABELS), "first_code", "last_code")


def _table(name: str, *, with_sources: bool) -> Table:
    columns: list[Column[Any]] = [Column("golden_person_id", String(32), primary_key=True)]
    columns += [Column(fact, Integer, nullable=False, server_default="0") for fact in FACTS]
    columns += [
        Column("deals", Integer, nullable=False, server_default="0"),
        Column("amount", Float, nullable=False, server_default="0"),
        Column("won_amount", Float, nullable=False, server_default="0"),
    ]
    if with_sources:
        columns += [Column(f"from_{kind}", Integer, nullable=False, server_default="0") for kind in SOURCE_LABELS]
        columns += [
            Column("first_code", Integer),  # KIND_CODES of the person's first and last ingested row
            Column("last_code", Integer),
        ]
    # SQLite: keyed by the person itself (no rowid b-tree beside the key's index), so each insert, upsert and look-up
    # touches one b-tree.
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"], sqlite_with_rowid=False)


def _upsert(connection: Connection, table: Table, columns: list[str], rows: Any, updates: dict[str, Any]) -> None:
    dialect_insert = pg_insert if is_postgres(connection) else sqlite_insert
    statement = dialect_insert(table).from_select(columns, rows)
    excluded = {name: value(statement.excluded) if callable(value) else value for name, value in updates.items()}
    connection.execute(statement.on_conflict_do_update(index_elements=["golden_person_id"], set_=excluded))


@contextmanager
def person_rollup(
    connection: Connection,
    filters: ReportFilters,
    *,
    with_sources: bool = False,
    with_deals: bool = True,
    kinds: Sequence[str] = KINDS_TRACKED,
) -> Iterator[Table]:
    """A temporary table of the people in scope with an event, an enrolment or a Deal in the period (and, with
    ``with_sources``, everyone in scope with a source: which sources, the first and the last).

    Columns: ``golden_person_id``; ``contacted``, ``engaged``, ``replied``, ``met``, ``converted``, ``bounced``
    (0/1, for the event ``kinds`` read; the rest stay 0); ``deals``, ``amount``, ``won_amount``; with sources
    ``from_<kind>`` (0/1), ``first_code``, ``last_code`` (see :func:`first_source`, :func:`last_source`).
    Without ``with_deals`` the Deal columns stay 0 (a report that reads none of them skips resolving Deals).
    """
    table = _table(f"lf_rollup_{uuid.uuid4().hex[:12]}", with_sources=with_sources)
    table.create(connection)
    try:
        fill = _fill_at_once if with_sources and is_postgres(connection) else _fill
        fill(connection, filters, table, with_sources=with_sources, with_deals=with_deals, kinds=kinds)
        yield table
    finally:
        table.drop(connection)


def _fill_at_once(
    connection: Connection,
    filters: ReportFilters,
    table: Table,
    *,
    with_sources: bool,
    with_deals: bool,
    kinds: Sequence[str],
) -> None:
    """The whole rollup in one ``INSERT ... SELECT``: every per-person stream (events, enrolments, Deals, source
    rows, CRM matches) as rows of all the table's columns, combined per person by one aggregate (PostgreSQL hashes
    it), so no row is written twice. Each stream carries 0 (or NULL) in the columns it does not know; flags combine
    by MAX, the Deal sums by SUM (one Deal row per person), the first and last source by MIN and MAX of
    ``id * 8 + kind code`` (see :func:`_fill_sources`).

    Used for the rollup with sources on PostgreSQL, where :func:`_fill` upserts the source pass into a table that
    already holds the event facts, writing a new version of a million rows (18.8 s for that statement alone at a
    million people, against 11.4 s for this whole one). Without sources the upserts are small and :func:`_fill`
    is faster there (segments 6.1 s against 9.4 s). On SQLite, which aggregates by sorting, :func:`_fill` costs
    less CPU (sources report 9.1 s against 12.0 s).
    """
    period = period_of(filters)
    names = [column.name for column in table.columns if column.name != "golden_person_id"]
    streams: list[Any] = []

    def row(person: ColumnElement[Any], **values: Any) -> list[ColumnElement[Any]]:
        out: list[ColumnElement[Any]] = [person.label("golden_person_id")]
        for name in names:
            if name in values:
                out.append(values[name].label(name))
            elif name in ("first_code", "last_code"):
                out.append(cast(null(), Integer).label(name))
            elif name in ("amount", "won_amount"):
                out.append(literal(0.0, Float).label(name))
            else:
                out.append(literal(0, Integer).label(name))
        return out

    facts = person_facts(connection, filters, kinds=kinds, people=scope_members(connection, filters))
    streams.append(select(*row(facts.c.golden_person_id, **{fact: facts.c[fact] for fact in FACTS})))
    enrolled = record_tags.c.golden_person_id
    streams.append(
        select(*row(enrolled, contacted=literal(1, Integer))).where(
            enrolment(period), person_filter(connection, filters, enrolled)
        )
    )
    if with_deals:
        deals = person_deals(scope_members(connection, filters))
        won = deals.c.outcome == "won"
        streams.append(
            select(
                *row(
                    deals.c.golden_person_id,
                    deals=func.count(func.distinct(deals.c.deal_id)),
                    amount=cast(func.coalesce(func.sum(deals.c.amount), 0.0), Float),
                    won_amount=cast(func.coalesce(func.sum(case((won, deals.c.amount), else_=0.0)), 0.0), Float),
                )
            )
            .where(period.bound(deals.c.created_time))
            .group_by(deals.c.golden_person_id)
        )
    if with_sources and facts_are_current(connection):
        # Sources are kept for all time, as this pass reads them: the facts hold them per person.
        known = report_person_facts.c
        sources = {name: known[name] for name in SOURCE_COLUMNS}
        streams.append(select(*row(known.golden_person_id, **sources)).where(*from_facts(connection, filters)))
    elif with_sources:
        person = cluster_members.c.golden_person_id
        code = case(*((source_records.c.source_kind == kind, number) for kind, number in KIND_CODES.items()), else_=0)
        keyed = source_records.c.id * len_codes() + code
        came = {
            f"from_{kind}": func.max(case((source_records.c.source_kind == kind, 1), else_=0)) for kind in FILE_SOURCES
        }
        streams.append(
            select(*row(person, **came, first_code=func.min(keyed), last_code=func.max(keyed)))
            .join(source_records, source_records.c.id == cluster_members.c.source_record_id)
            .where(person_filter(connection, filters, person))
            .group_by(person)
        )
        matched = crm_cluster_members.c.golden_person_id
        streams.append(
            select(*row(matched, from_crm=literal(1, Integer))).where(person_filter(connection, filters, matched))
        )
    rows = union_all(*streams).subquery("person_streams")

    def combined(name: str) -> ColumnElement[Any]:
        if name in ("deals", "amount", "won_amount"):
            return func.sum(rows.c[name])
        if name == "first_code":
            return func.min(rows.c[name]) % len_codes()
        if name == "last_code":
            return func.max(rows.c[name]) % len_codes()
        return func.max(rows.c[name])

    connection.execute(
        insert(table).from_select(
            ["golden_person_id", *names],
            select(rows.c.golden_person_id, *(combined(name) for name in names)).group_by(rows.c.golden_person_id),
        )
    )


def _fill(
    connection: Connection,
    filters: ReportFilters,
    table: Table,
    *,
    with_sources: bool,
    with_deals: bool,
    kinds: Sequence[str],
) -> None:
    period = period_of(filters)
    facts = person_facts(connection, filters, kinds=kinds, people=scope_members(connection, filters))
    connection.execute(
        insert(table).from_select(
            ["golden_person_id", *FACTS], select(facts.c.golden_person_id, *(facts.c[fact] for fact in FACTS))
        )
    )
    enrolled = record_tags.c.golden_person_id
    _upsert(
        connection,
        table,
        ["golden_person_id", "contacted"],
        select(enrolled, literal(1)).where(enrolment(period), person_filter(connection, filters, enrolled)),
        {"contacted": 1},
    )
    if with_deals:
        _fill_deals(connection, filters, table)
    if with_sources:
        _fill_sources(connection, filters, table)


def _fill_deals(connection: Connection, filters: ReportFilters, table: Table) -> None:
    period = period_of(filters)
    deals = person_deals(scope_members(connection, filters))
    won = deals.c.outcome == "won"
    per_person = (
        select(
            deals.c.golden_person_id,
            func.count(func.distinct(deals.c.deal_id)),
            func.coalesce(func.sum(deals.c.amount), 0.0),
            func.coalesce(func.sum(case((won, deals.c.amount), else_=0.0)), 0.0),
        )
        .where(period.bound(deals.c.created_time))
        .group_by(deals.c.golden_person_id)
        .having(true())  # SQLite: an upsert's SELECT must not end where ON CONFLICT could be read as a join's ON
    )
    _upsert(
        connection,
        table,
        ["golden_person_id", "deals", "amount", "won_amount"],
        per_person,
        {name: (lambda excluded, name=name: excluded[name]) for name in ("deals", "amount", "won_amount")},
    )


def _fill_sources(connection: Connection, filters: ReportFilters, table: Table) -> None:
    """Which sources each person in scope came from, and the first and last: one pass over the source rows in
    person order, then the CRM matches.

    The first and the last row's kind come out of the same pass: ``MIN(id * 8 + kind code) % 8`` is the code of
    the row with the smallest id (ids grow with ingest order), ``MAX(...)`` that of the largest.
    """
    if facts_are_current(connection):
        known = report_person_facts.c
        _upsert(
            connection,
            table,
            ["golden_person_id", *SOURCE_COLUMNS],
            select(known.golden_person_id, *(known[name] for name in SOURCE_COLUMNS)).where(
                *from_facts(connection, filters)
            ),
            {name: (lambda excluded, name=name: excluded[name]) for name in SOURCE_COLUMNS},
        )
        return
    person = cluster_members.c.golden_person_id
    code = case(*((source_records.c.source_kind == kind, number) for kind, number in KIND_CODES.items()), else_=0)
    keyed = source_records.c.id * len_codes() + code

    def came(kind: str) -> ColumnElement[Any]:
        return func.max(case((source_records.c.source_kind == kind, 1), else_=0))

    spans = (
        select(
            person,
            *(came(kind) for kind in FILE_SOURCES),
            func.min(keyed) % len_codes(),
            func.max(keyed) % len_codes(),
        )
        .join(source_records, source_records.c.id == cluster_members.c.source_record_id)
        .where(person_filter(connection, filters, person))
        .group_by(person)
        .having(true())
    )
    names = [f"from_{kind}" for kind in FILE_SOURCES]
    _upsert(
        connection,
        table,
        ["golden_person_id", *names, "first_code", "last_code"],
        spans,
        {name: (lambda excluded, name=name: excluded[name]) for name in [*names, "first_code", "last_code"]},
    )
    matched = crm_cluster_members.c.golden_person_id
    _upsert(
        connection,
        table,
        ["golden_person_id", "from_crm"],
        select(matched, literal(1)).where(person_filter(connection, filters, matched)).group_by(matched).having(true()),
        {"from_crm": 1},
    )


def from_facts(connection: Connection, filters: ReportFilters) -> list[ColumnElement[bool]]:
    """Conditions on ``report_person_facts`` for the people in scope with a source (a source row or a CRM match):
    the people, and the :data:`SOURCE_COLUMNS`, that the source pass computes (the facts keep them for all time,
    as the source pass reads them whatever the period)."""
    known = report_person_facts.c
    return [or_(known.rows > 0, known.from_crm == 1), person_filter(connection, filters, known.golden_person_id)]


def len_codes() -> int:
    return 8


def _kind(code: ColumnElement[Any]) -> ColumnElement[Any]:
    return case(*((code == number, kind) for kind, number in KIND_CODES.items()), else_=literal("other", String))


def first_source(table: FromClause) -> ColumnElement[Any]:
    """The source that touched the person first: a record already in the CRM, else their first ingested row."""
    return case((table.c.from_crm == 1, "crm"), (table.c.first_code.is_not(None), _kind(table.c.first_code)))


def last_source(table: FromClause) -> ColumnElement[Any]:
    """The source that touched the person last: their last ingested row, else the CRM."""
    return case((table.c.last_code.is_not(None), _kind(table.c.last_code)), (table.c.from_crm == 1, "crm"))
