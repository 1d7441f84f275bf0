"""Repository for the merge outbox (``record_merges``); the links a confirmed merge moves are in
:mod:`leadflow.store.merge_links`, what there is to merge in :mod:`leadflow.store.merge_sources`.

A merge is enqueued under its key (target, action, module, master, losers), marked ``in_flight`` in its own
transaction before the call, and confirmed in the same transaction that moves the links, so a crash leaves
either nothing sent (pending) or an uncertain call (in flight) that is checked at the target before anything
is sent again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, insert, select, update

from leadflow.store.runs import utcnow
from leadflow.store.schema import record_merges


class MergeState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    CONFIRMED = "confirmed"
    FAILED = "failed"


OPEN_STATES = (MergeState.PENDING, MergeState.IN_FLIGHT)


@dataclass(frozen=True)
class MergeRow:
    """One merge in the outbox."""

    id: int
    key: str
    target: str
    action: str
    module: str
    golden_id: str
    master_id: str
    loser_ids: list[str]
    retired_ids: list[str]
    keep: dict[str, str]
    state: MergeState
    attempts: int
    error_code: str | None
    error_message: str | None
    result: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: RowMapping) -> MergeRow:
        return cls(
            id=int(row["id"]),
            key=str(row["key"]),
            target=str(row["target"]),
            action=str(row["action"]),
            module=str(row["module"]),
            golden_id=str(row["golden_id"]),
            master_id=str(row["master_id"]),
            loser_ids=[str(i) for i in row["loser_ids"] or []],
            retired_ids=[str(i) for i in row["retired_ids"] or []],
            keep={str(k): str(v) for k, v in (row["keep"] or {}).items()},
            state=MergeState(row["state"]),
            attempts=int(row["attempts"]),
            error_code=row["error_code"],
            error_message=row["error_message"],
            result=dict(row["result"]) if row["result"] else None,
        )


def enqueue(connection: Connection, *, merges: Sequence[Mapping[str, Any]], run_id: int | None) -> tuple[int, int]:
    """Insert the merges whose key is not in the outbox yet; (added, already there). A failed merge is
    put back to pending when planned again (its records are still there to merge)."""
    added = known = 0
    now = utcnow()
    for merge in merges:
        existing = connection.execute(
            select(record_merges.c.id, record_merges.c.state).where(record_merges.c.key == merge["key"])
        ).first()
        if existing is not None:
            known += 1
            if existing.state == MergeState.FAILED:
                connection.execute(
                    update(record_merges)
                    .where(record_merges.c.id == existing.id)
                    .values(state=MergeState.PENDING.value, attempts=0, run_id=run_id, updated_at=now)
                )
            continue
        connection.execute(
            insert(record_merges).values(
                key=merge["key"],
                target=merge["target"],
                action=merge["action"],
                module=merge["module"],
                golden_id=merge["golden_id"],
                master_id=merge["master_id"],
                loser_ids=list(merge["loser_ids"]),
                retired_ids=list(merge.get("retired_ids") or []),
                keep=dict(merge.get("keep") or {}),
                state=MergeState.PENDING.value,
                attempts=0,
                run_id=run_id,
                created_at=now,
                updated_at=now,
            )
        )
        added += 1
    return added, known


def open_merges(connection: Connection, *, target: str) -> list[MergeRow]:
    """Pending and in-flight merges of ``target``, oldest first (merges of one record come in plan order)."""
    query = (
        select(record_merges)
        .where(and_(record_merges.c.target == target, record_merges.c.state.in_([s.value for s in OPEN_STATES])))
        .order_by(record_merges.c.id)
    )
    return [MergeRow.from_row(row) for row in connection.execute(query).mappings()]


def mark_in_flight(connection: Connection, *, merge_id: int, run_id: int | None) -> None:
    connection.execute(
        update(record_merges)
        .where(record_merges.c.id == merge_id)
        .values(
            state=MergeState.IN_FLIGHT.value,
            attempts=record_merges.c.attempts + 1,
            run_id=run_id,
            updated_at=utcnow(),
        )
    )


def confirm(connection: Connection, *, merge_id: int, result: Mapping[str, Any]) -> None:
    connection.execute(
        update(record_merges)
        .where(record_merges.c.id == merge_id)
        .values(
            state=MergeState.CONFIRMED.value,
            result=dict(result),
            error_code=None,
            error_message=None,
            updated_at=utcnow(),
        )
    )


def fail(connection: Connection, *, merge_id: int, code: str, message: str, details: Any = None) -> None:
    connection.execute(
        update(record_merges)
        .where(record_merges.c.id == merge_id)
        .values(
            state=MergeState.FAILED.value,
            error_code=code[:64],
            error_message=message,
            result={"details": details} if details is not None else None,
            updated_at=utcnow(),
        )
    )


def counts(connection: Connection, *, target: str | None = None) -> dict[str, int]:
    query = select(record_merges.c.state, func.count()).group_by(record_merges.c.state)
    if target is not None:
        query = query.where(record_merges.c.target == target)
    return {str(state): int(n) for state, n in connection.execute(query)}
