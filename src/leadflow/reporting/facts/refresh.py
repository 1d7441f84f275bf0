"""Bring the report facts up to date with the change log the store's triggers write.

A refresh takes the store-wide ``report_facts`` lock (one refresh at a time, across processes), then, in one
transaction: snapshots the log rows it will apply, recomputes the facts of the people they name (or everyone,
when there is no build yet, a TRUNCATE was logged, or so many people changed that one pass over everything is
cheaper), recounts the (day, event type) cells of the events logged, deletes exactly the log rows it snapshotted
and records the refresh. Facts are recomputed, never incremented, so a change applied twice gives the same facts;
a change written while the refresh runs stays in the log for the next one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
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
from leadflow.reporting.scope import day_of, is_postgres, person_deals
from leadflow.store.locks import store_lock
from leadflow.store.schema import report_facts_log, report_facts_state, report_person_facts
from leadflow.store.schema.base import Id

STATE = "facts"
LOCK = "report_facts"
# Past this share of the people with facts (or this many day cells), one pass over everything is cheaper.
FULL_SHARE = 0.2
FULL_MINIMUM = 20_000
MAX_CELLS = 500


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
    with engine.connect() as connection:
        if facts_current(connection):  # the frequent case, read-only: no lock, no write transaction
            return FactsRefresh(skipped="up to date")
    with store_lock(engine, LOCK), engine.begin() as connection:
        return _refresh(connection, incremental_only=incremental_only)


def _refresh(connection: Connection, *, incremental_only: bool) -> FactsRefresh:
    # SQLite: write first, so the transaction holds the store's write lock before it reads anything (no other
    # writer can commit under the snapshot; a read-then-write transaction would fail with SQLITE_BUSY instead).
    connection.execute(update(report_facts_state).values(refreshed_at=report_facts_state.c.refreshed_at))
    built = facts_built(connection)
    if incremental_only and not built:
        return FactsRefresh(full=True, skipped="no build yet; left to the next refresh that may do it")
    last = connection.execute(select(func.max(report_facts_log.c.id))).scalar()
    if built and last is None:
        return FactsRefresh(skipped="up to date")
    changes = _snapshot(connection, last)
    try:
        people = _changed_people(connection, changes)
        count = connection.execute(select(func.count()).select_from(people)).scalar_one()
        reset = connection.execute(select(changes.c.id).where(changes.c.kind == "reset").limit(1)).first()
        full = (
            not built or reset is not None or (count > FULL_MINIMUM and count > FULL_SHARE * _facts_count(connection))
        )
        if full and incremental_only:
            return FactsRefresh(full=True, skipped="a full rebuild is due; left to the next refresh that may do it")
        write_person_facts(connection, None if full else people)
        cells = _changed_cells(connection, changes)
        if full or len(cells) > MAX_CELLS:
            write_all_days(connection)
        else:
            write_days(connection, cells)
        applied = connection.execute(select(func.count()).select_from(changes)).scalar_one()
        if is_postgres(connection):
            connection.execute(delete(report_facts_log).where(report_facts_log.c.id.in_(select(changes.c.id))))
        elif last is not None:  # the transaction holds the write lock: every row up to ``last`` is in the snapshot
            connection.execute(delete(report_facts_log).where(report_facts_log.c.id <= last))
        _record(connection, built=built, applied=int(last or 0))
        recomputed = connection.execute(select(func.count()).select_from(report_person_facts)).scalar_one()
        return FactsRefresh(
            full=full, changes=int(applied), people=int(recomputed if full else count), cells=len(cells)
        )
    finally:
        people_table = connection.info.pop(_PEOPLE, None)
        if people_table is not None:
            people_table.drop(connection)
        changes.drop(connection)


_PEOPLE = "leadflow.reporting.facts.people"


def _facts_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(report_person_facts)).scalar_one())


def _temporary(name: str, *columns: Column[object]) -> Table:
    return Table(f"lf_{name}_{uuid.uuid4().hex[:12]}", MetaData(), *columns, prefixes=["TEMPORARY"])


def _snapshot(connection: Connection, last: int | None) -> Table:
    """The log rows up to ``last``, copied: the rows this refresh applies and then deletes."""
    changes = _temporary(
        "changes",
        Column("id", Id, primary_key=True),
        Column("kind", String(8)),
        Column("golden_person_id", String(64)),
        Column("event_type", String(64)),
        Column("occurred_at", report_facts_log.c.occurred_at.type),
    )
    changes.create(connection)
    if last is not None:
        log = report_facts_log
        connection.execute(
            insert(changes).from_select(
                ["id", "kind", "golden_person_id", "event_type", "occurred_at"],
                select(log.c.id, log.c.kind, log.c.golden_person_id, log.c.event_type, log.c.occurred_at).where(
                    log.c.id <= last
                ),
            )
        )
    return changes


def _changed_people(connection: Connection, changes: Table) -> Table:
    """The people whose facts the changes may alter; for a changed Deal, everyone linked to a Deal before (their
    stored facts) or now."""
    people = _temporary("people", Column("golden_person_id", String(64), primary_key=True))
    people.create(connection)
    connection.info[_PEOPLE] = people
    named = select(changes.c.golden_person_id).where(changes.c.golden_person_id.is_not(None)).distinct()
    sources = [named]
    if connection.execute(select(changes.c.id).where(changes.c.kind == "deal").limit(1)).first() is not None:
        facts = report_person_facts
        sources.append(select(facts.c.golden_person_id).where(or_(facts.c.deals > 0, facts.c.won > 0)))
        linked = person_deals()
        sources.append(select(linked.c.golden_person_id).where(linked.c.golden_person_id.is_not(None)))
    chosen = sources[0] if len(sources) == 1 else union(*sources)
    connection.execute(insert(people).from_select(["golden_person_id"], chosen))
    if is_postgres(connection):
        connection.exec_driver_sql(f"ANALYZE {people.name}")
    return people


def _changed_cells(connection: Connection, changes: Table) -> list[tuple[str, str]]:
    day = day_of(connection, changes.c.occurred_at)
    rows = connection.execute(
        select(day, changes.c.event_type)
        .where(changes.c.kind == "event", changes.c.occurred_at.is_not(None))
        .distinct()
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
