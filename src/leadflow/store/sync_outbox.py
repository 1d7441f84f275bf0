"""Repository for the sync outbox: every operation under its deterministic key, with one state.

States (:class:`OutboxState`, the one definition the store and the sync engine use): ``pending`` (to
send), ``in_flight`` (sent, answer not yet recorded: reconciled before anything is sent again),
``confirmed``, ``failed`` (with the target's code, message and details), ``invalid`` (never sent: the plan
found it unsendable), ``superseded`` (a newer plan replaced it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, RowMapping, String, and_, bindparam, case, func, insert, or_, select, update

from leadflow.store.runs import utcnow
from leadflow.store.schema import sync_outbox


class OutboxState(StrEnum):
    """Where an outbox operation is in its life."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    INVALID = "invalid"
    SUPERSEDED = "superseded"


OPEN_STATES = (OutboxState.PENDING, OutboxState.IN_FLIGHT)


@dataclass(frozen=True)
class OutboxRow:
    """One stored operation (a row of ``sync_outbox``)."""

    id: int
    key: str
    target: str
    plan_id: str
    kind: str
    action: str
    method: str
    golden_id: str
    module: str
    remote_id: str | None
    depends_on: str | None
    payload: dict[str, Any]
    payload_hash: str
    desired: dict[str, Any]
    base_version: int
    state: OutboxState
    attempts: int = 0
    error_code: str | None = None
    error_message: str | None = None
    error_details: dict[str, Any] | None = None
    run_id: int | None = None

    @classmethod
    def from_row(cls, row: RowMapping) -> OutboxRow:
        return cls(
            id=int(row["id"]),
            key=row["key"],
            target=row["target"],
            plan_id=row["plan_id"],
            kind=row["kind"],
            action=row["action"],
            method=row["method"],
            golden_id=row["golden_id"],
            module=row["module"],
            remote_id=row["remote_id"],
            depends_on=row["depends_on"],
            payload=dict(row["payload"] or {}),
            payload_hash=row["payload_hash"],
            desired=dict(row["desired"] or {}),
            base_version=int(row["base_version"]),
            state=OutboxState(row["state"]),
            attempts=int(row["attempts"] or 0),
            error_code=row["error_code"],
            error_message=row["error_message"],
            error_details=dict(row["error_details"]) if row["error_details"] is not None else None,
            run_id=row["run_id"],
        )


def by_keys(connection: Connection, *, keys: Sequence[str]) -> dict[str, OutboxRow]:
    """Stored operations among ``keys``, by key."""
    found: dict[str, OutboxRow] = {}
    for start in range(0, len(keys), 500):
        query = select(sync_outbox).where(sync_outbox.c.key.in_(keys[start : start + 500]))
        found.update({row["key"]: OutboxRow.from_row(row) for row in connection.execute(query).mappings()})
    return found


def insert_rows(connection: Connection, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert new operations (their keys are not in the outbox yet)."""
    if not rows:
        return
    now = utcnow()
    full = [{"attempts": 0, "created_at": now, "updated_at": now, **row} for row in rows]
    for start in range(0, len(full), 500):
        connection.execute(insert(sync_outbox), full[start : start + 500])


def set_state(
    connection: Connection,
    *,
    ids: Sequence[int],
    state: OutboxState,
    run_id: int | None = None,
    error: tuple[str | None, str | None, Mapping[str, Any] | None] | None = None,
    attempts: int = 0,
    reset_attempts: bool = False,
) -> None:
    """Move operations to ``state`` (with the target's code, message and details for ``failed``).

    ``attempts`` is added to each row's count of sends; ``reset_attempts`` starts the count again.
    """
    if not ids:
        return
    values: dict[str, Any] = {"state": state.value, "updated_at": utcnow()}
    if run_id is not None:
        values["run_id"] = run_id
    if error is not None:
        values["error_code"], values["error_message"] = error[0], error[1]
        values["error_details"] = dict(error[2]) if error[2] is not None else None
    elif state in (OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.CONFIRMED):
        values["error_code"] = values["error_message"] = values["error_details"] = None
    if reset_attempts:
        values["attempts"] = 0
    elif attempts:
        counted = sync_outbox.c.attempts + attempts
        values["attempts"] = case((counted < 0, 0), else_=counted)
    for start in range(0, len(ids), 500):
        connection.execute(update(sync_outbox).where(sync_outbox.c.id.in_(ids[start : start + 500])).values(**values))


def confirm(connection: Connection, *, confirmed: Sequence[tuple[int, str | None]]) -> None:
    """Operations confirmed, each with the remote id the target gave (executemany, one statement)."""
    if not confirmed:
        return
    statement = (
        update(sync_outbox)
        .where(sync_outbox.c.id == bindparam("op_id"))
        .values(
            state=OutboxState.CONFIRMED.value,
            remote_id=func.coalesce(bindparam("op_remote", type_=String()), sync_outbox.c.remote_id),
            error_code=None,
            error_message=None,
            error_details=None,
            updated_at=utcnow(),
        )
    )
    params = [{"op_id": op_id, "op_remote": remote_id} for op_id, remote_id in confirmed]
    for start in range(0, len(params), 500):
        connection.execute(statement, params[start : start + 500])


def name_plan(connection: Connection, *, run_id: int, provisional: str, plan_id: str) -> None:
    """Give the operations a streamed plan inserted under ``provisional`` the plan's id, known at its end."""
    connection.execute(
        update(sync_outbox)
        .where(and_(sync_outbox.c.run_id == run_id, sync_outbox.c.plan_id == provisional))
        .values(plan_id=plan_id)
    )


def claim(connection: Connection, *, ids: Sequence[int], run_id: int | None) -> None:
    """Mark operations as part of run ``run_id``'s plan (state unchanged)."""
    if run_id is None:
        return
    for start in range(0, len(ids), 500):
        connection.execute(
            update(sync_outbox).where(sync_outbox.c.id.in_(ids[start : start + 500])).values(run_id=run_id)
        )


def supersede_outside_run(connection: Connection, *, target: str, run_id: int | None, keep_keys: set[str]) -> int:
    """Pending and failed operations the newest plan no longer holds become superseded.

    A streamed plan marks what it holds with its run (``claim``); a plan without a run names its keys.
    """
    open_rows = and_(
        sync_outbox.c.target == target,
        sync_outbox.c.state.in_((OutboxState.PENDING.value, OutboxState.FAILED.value)),
    )
    if run_id is not None:
        query = select(sync_outbox.c.id).where(
            and_(open_rows, or_(sync_outbox.c.run_id.is_(None), sync_outbox.c.run_id != run_id))
        )
        stale = [int(row.id) for row in connection.execute(query)]
    else:
        query = select(sync_outbox.c.id, sync_outbox.c.key).where(open_rows)
        stale = [int(row.id) for row in connection.execute(query) if row.key not in keep_keys]
    set_state(connection, ids=stale, state=OutboxState.SUPERSEDED)
    return len(stale)


def page(
    connection: Connection,
    *,
    target: str,
    states: Sequence[OutboxState],
    kinds: Sequence[str] | None = None,
    run_id: int | None = None,
    module: str | None = None,
    method: str | None = None,
    after_id: int = 0,
    limit: int = 2_000,
) -> list[OutboxRow]:
    """Up to ``limit`` operations after ``after_id`` (oldest first), narrowed by state, kind, run and group."""
    conditions = [
        sync_outbox.c.target == target,
        sync_outbox.c.state.in_([state.value for state in states]),
        sync_outbox.c.id > after_id,
    ]
    if kinds is not None:
        conditions.append(sync_outbox.c.kind.in_(list(kinds)))
    if run_id is not None:
        conditions.append(sync_outbox.c.run_id == run_id)
    if module is not None:
        conditions.append(sync_outbox.c.module == module)
    if method is not None:
        conditions.append(sync_outbox.c.method == method)
    query = select(sync_outbox).where(and_(*conditions)).order_by(sync_outbox.c.id).limit(limit)
    return [OutboxRow.from_row(row) for row in connection.execute(query).mappings()]


def iter_pages(
    connection: Connection, *, target: str, states: Sequence[OutboxState], limit: int = 2_000, **narrow: Any
) -> Iterator[list[OutboxRow]]:
    """Every matching operation, one page at a time (keyset paging by id: rows changed meanwhile are safe)."""
    after = 0
    while rows := page(connection, target=target, states=states, after_id=after, limit=limit, **narrow):
        yield rows
        after = rows[-1].id


def groups(
    connection: Connection, *, target: str, states: Sequence[OutboxState], kinds: Sequence[str], run_id: int | None
) -> dict[tuple[str, str], int]:
    """(module, method) -> operations, for choosing a write method before paging through them."""
    conditions = [
        sync_outbox.c.target == target,
        sync_outbox.c.state.in_([state.value for state in states]),
        sync_outbox.c.kind.in_(list(kinds)),
    ]
    if run_id is not None:
        conditions.append(sync_outbox.c.run_id == run_id)
    query = (
        select(sync_outbox.c.module, sync_outbox.c.method, func.count())
        .where(and_(*conditions))
        .group_by(sync_outbox.c.module, sync_outbox.c.method)
        .order_by(sync_outbox.c.module, sync_outbox.c.method)
    )
    return {(module, method): int(n) for module, method, n in connection.execute(query)}


def counts(connection: Connection, *, target: str | None = None) -> dict[str, int]:
    """Operations per state."""
    query = select(sync_outbox.c.state, func.count()).group_by(sync_outbox.c.state)
    if target is not None:
        query = query.where(sync_outbox.c.target == target)
    return {state: int(count) for state, count in connection.execute(query)}
