"""Bring the report facts up to date with the change log the store's triggers write.

A refresh takes the store-wide ``report_facts`` lock (one refresh at a time, across processes), then, in one
transaction that holds off writers of the facts' inputs (SQLite: the store's write lock; PostgreSQL: a lock on
the log their triggers insert into): recomputes the facts of the people the log names (or everyone, when there is
no build yet, a TRUNCATE was logged, or so many people changed that one pass over everything is cheaper),
recounts the (day, event type) cells of the events logged, empties the log and records the refresh. Writers wait
for it (milliseconds for a batch of changes; the whole rebuild after a resolve). Facts are recomputed, never
incremented, so a change applied twice gives the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    delete,
    func,
    insert,
    or_,
    select,
    union,
    update,
)

from leadflow.reporting.facts.build import write_all_days, write_days, write_person_facts
from leadflow.reporting.scope import day_of, is_postgres, people_table, person_deals
from leadflow.store.locks import store_lock
from leadflow.store.schema import (
    report_event_days,
    report_facts_log,
    report_facts_state,
    report_person_facts,
    report_person_segments,
)

STATE = "facts"
LOCK = "report_facts"
# Past this share of the people with facts (or this many day cells), one pass over everything is cheaper.
FULL_SHARE = 0.2
FULL_MINIMUM = 20_000
MAX_CELLS = 500
NO_BUILD = "no build yet; left to the next refresh that may do it"


@dataclass(frozen=True)
class FactsRefresh:
    """What a refresh did: ``full`` rebuild or not, how many log rows it applied, people and day cells it
    recomputed (people is everyone's count after a full rebuild); ``skipped`` when nothing was done and why."""

    full: bool = False
    changes: int = 0
    people: int = 0
    cells: int = 0
    skipped: str | None = None


def facts_built(connection: Connection) -> bool:
    return (
        connection.execute(select(report_facts_state.c.name).where(report_facts_state.c.name == STATE)).first()
        is not None
    )


def facts_current(connection: Connection) -> bool:
    """The facts were built and no change is waiting in the log (two key look-ups)."""
    pending = connection.execute(select(report_facts_log.c.id).limit(1)).first()
    return pending is None and facts_built(connection)


def refresh_report_facts(engine: Engine, *, incremental_only: bool = False) -> FactsRefresh:
    """Apply the logged changes; with ``incremental_only`` (a frequent caller such as the tracking loop) leave a
    full rebuild to the next other caller and say so.

    Example:
        >>> refresh_report_facts(engine)  # doctest: +SKIP
        FactsRefresh(full=False, changes=412, people=120, cells=9, skipped=None)
    """
    with engine.connect() as connection:  # the frequent cases, read-only: no lock, no write transaction
        if facts_current(connection):
            return FactsRefresh(skipped="up to date")
        if incremental_only and not facts_built(connection):
            return FactsRefresh(full=True, skipped=NO_BUILD)
    with store_lock(engine, LOCK), engine.begin() as connection:
        return _refresh(connection, incremental_only=incremental_only)


def _refresh(connection: Connection, *, incremental_only: bool) -> FactsRefresh:
    # SQLite: write first, so the transaction holds the store's write lock before it reads anything: no writer can
    # commit while the log is read, applied and emptied.
    connection.execute(update(report_facts_state).values(refreshed_at=report_facts_state.c.refreshed_at))
    if is_postgres(connection):
        # The same on PostgreSQL: writers' triggers insert into the log, so they wait for this lock; every logged
        # change is committed once it is taken, and none lands until this transaction ends.
        connection.exec_driver_sql(f"LOCK TABLE {report_facts_log.name} IN SHARE ROW EXCLUSIVE MODE")
    built = facts_built(connection)
    if incremental_only and not built:
        return FactsRefresh(full=True, skipped=NO_BUILD)
    last, changes = connection.execute(select(func.max(report_facts_log.c.id), func.count())).one()
    if built and not changes:
        return FactsRefresh(skipped="up to date")
    reset = connection.execute(select(report_facts_log.c.id).where(report_facts_log.c.kind == "reset").limit(1))
    full = not built or reset.first() is not None
    people: Table | None = None
    try:
        if not full:
            people = _changed_people(connection)
            count = connection.execute(select(func.count()).select_from(people)).scalar_one()
            full = count > FULL_MINIMUM and count > FULL_SHARE * _facts_count(connection)
        if full and incremental_only:
            return FactsRefresh(full=True, skipped="a full rebuild is due; left to the next refresh that may do it")
        write_person_facts(connection, None if full else people)
        cells = [] if full else _changed_cells(connection)
        if full or len(cells) > MAX_CELLS:
            write_all_days(connection)
        else:
            write_days(connection, cells)
        _empty_log(connection, full=full)
        _record(connection, built=built, applied=int(last or 0))
        recomputed = _facts_count(connection) if full or people is None else count
        return FactsRefresh(full=full, changes=int(changes), people=int(recomputed), cells=len(cells))
    finally:
        if people is not None:
            people.drop(connection)


def _empty_log(connection: Connection, *, full: bool) -> None:
    """Delete the applied log (every row: writers are held off). On PostgreSQL after a full rebuild, ANALYZE the
    rebuilt tables so the plans over them see their new sizes. (Not TRUNCATE for a log of millions of rows: it
    would wait for every open transaction that looked at the log, a report's among them.)"""
    connection.execute(delete(report_facts_log))
    if full and is_postgres(connection):
        for table in (report_person_facts, report_person_segments, report_event_days):
            connection.exec_driver_sql(f"ANALYZE {table.name}")


def _facts_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(report_person_facts)).scalar_one())


def _changed_people(connection: Connection) -> Table:
    """The people whose facts the logged changes may alter; for a changed Deal, everyone linked to a Deal before
    (their stored facts) or now."""
    log = report_facts_log
    sources = [select(log.c.golden_person_id).where(log.c.golden_person_id.is_not(None)).distinct()]
    if connection.execute(select(log.c.id).where(log.c.kind == "deal").limit(1)).first() is not None:
        facts = report_person_facts
        sources.append(select(facts.c.golden_person_id).where(or_(facts.c.deals > 0, facts.c.won > 0)))
        linked = person_deals()
        sources.append(select(linked.c.golden_person_id).where(linked.c.golden_person_id.is_not(None)))
    return people_table(connection, "lf_people", sources[0] if len(sources) == 1 else union(*sources))


def _changed_cells(connection: Connection) -> list[tuple[str, str]]:
    """The (day, event type) cells of the events logged (inserted, updated or deleted)."""
    log = report_facts_log
    day = day_of(connection, log.c.occurred_at)
    rows = connection.execute(
        select(day, log.c.event_type).where(log.c.kind == "event", log.c.occurred_at.is_not(None)).distinct()
    )
    return sorted((str(when), str(kind)) for when, kind in rows)


def _record(connection: Connection, *, built: bool, applied: int) -> None:
    now = datetime.now(UTC)
    state = report_facts_state
    if built:
        connection.execute(update(state).where(state.c.name == STATE).values(refreshed_at=now, changes_applied=applied))
    else:
        connection.execute(insert(state).values(name=STATE, built_at=now, refreshed_at=now, changes_applied=applied))


__all__ = ["FactsRefresh", "facts_built", "facts_current", "refresh_report_facts"]
