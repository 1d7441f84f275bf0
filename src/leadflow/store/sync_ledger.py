"""Repository for the sync ledger: id map with last-pushed state, outbox and per-record log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import sync_log, sync_outbox, sync_records

OPEN_STATES = ("pending", "in_flight")


@dataclass(frozen=True)
class SyncedRecord:
    """What the id map knows of one golden record at one target."""

    golden_id: str
    kind: str
    module: str
    remote_id: str | None
    payload_hash: str | None
    payload: dict[str, Any]
    version: int


def load_synced(connection: Connection, *, target: str) -> dict[str, SyncedRecord]:
    """Every id-map row of ``target`` by golden id."""
    rows = connection.execute(select(sync_records).where(sync_records.c.target == target)).mappings()
    return {
        row["golden_id"]: SyncedRecord(
            golden_id=row["golden_id"],
            kind=row["kind"],
            module=row["module"],
            remote_id=row["remote_id"],
            payload_hash=row["payload_hash"],
            payload=dict(row["payload"] or {}),
            version=int(row["version"]),
        )
        for row in rows
    }


def remote_ids(connection: Connection, *, target: str, golden_ids: Iterable[str]) -> dict[str, str]:
    """Golden id -> remote id for those of ``golden_ids`` that exist remotely."""
    ids = list(dict.fromkeys(golden_ids))
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(sync_records.c.golden_id, sync_records.c.remote_id).where(
            and_(sync_records.c.target == target, sync_records.c.golden_id.in_(chunk))
        )
        found.update({g: r for g, r in connection.execute(query) if r})
    return found


def record_pushed(connection: Connection, *, target: str, records: Sequence[Mapping[str, Any]]) -> None:
    """Write id-map rows after the remote system confirmed them (same transaction as the outbox).

    Each record: ``golden_id``, ``kind``, ``module``, ``remote_id``, ``payload_hash``, ``payload``, ``version``.
    """
    if not records:
        return
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    rows = [
        {
            "target": target,
            "golden_id": r["golden_id"],
            "kind": r["kind"],
            "module": r["module"],
            "remote_id": r["remote_id"],
            "payload_hash": r["payload_hash"],
            "payload": dict(r["payload"]),
            "version": int(r["version"]),
            "synced_at": now,
        }
        for r in records
    ]
    statement = dialect_insert(sync_records)
    statement = statement.on_conflict_do_update(
        index_elements=[sync_records.c.target, sync_records.c.golden_id],
        set_={k: statement.excluded[k] for k in rows[0] if k not in ("target", "golden_id")},
    )
    for start in range(0, len(rows), 500):
        connection.execute(statement, rows[start : start + 500])


def confirm_operations(connection: Connection, *, confirmed: Sequence[tuple[int, str | None]]) -> None:
    """Outbox rows confirmed, each with the remote id the target gave (executemany, one statement)."""
    if not confirmed:
        return
    statement = (
        update(sync_outbox)
        .where(sync_outbox.c.id == bindparam("op_id"))
        .values(
            state="confirmed",
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


def iter_sync_map(connection: Connection, *, target: str | None = None) -> Iterator[dict[str, Any]]:
    """Id-map rows with a remote id: golden id, target, module, remote id (for ``export sync-map``)."""
    query = (
        select(sync_records.c.golden_id, sync_records.c.target, sync_records.c.module, sync_records.c.remote_id)
        .where(sync_records.c.remote_id.is_not(None), sync_records.c.kind != "tags")
        .order_by(sync_records.c.target, sync_records.c.golden_id)
    )
    if target is not None:
        query = query.where(sync_records.c.target == target)
    for row in connection.execute(query.execution_options(yield_per=2000)).mappings():
        yield dict(row)


# --- outbox -------------------------------------------------------------------------------------------------


def outbox_by_keys(connection: Connection, *, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        query = select(sync_outbox).where(sync_outbox.c.key.in_(keys[start : start + 500]))
        found.update({row["key"]: dict(row) for row in connection.execute(query).mappings()})
    return found


def insert_operations(connection: Connection, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert new outbox rows (their keys are not in the outbox yet)."""
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
    state: str,
    run_id: int | None = None,
    error: tuple[str | None, str | None, Mapping[str, Any] | None] | None = None,
    count_attempt: bool = False,
    remote_id: str | None = None,
) -> None:
    """Move outbox rows to ``state`` (with Zoho's code, message and details for ``failed``)."""
    if not ids:
        return
    values: dict[str, Any] = {"state": state, "updated_at": utcnow()}
    if run_id is not None:
        values["run_id"] = run_id
    if error is not None:
        values["error_code"], values["error_message"] = error[0], error[1]
        values["error_details"] = dict(error[2]) if error[2] is not None else None
    elif state in ("pending", "in_flight", "confirmed"):
        values["error_code"] = values["error_message"] = values["error_details"] = None
    if count_attempt:
        values["attempts"] = sync_outbox.c.attempts + 1
    if remote_id is not None:
        values["remote_id"] = remote_id
    for start in range(0, len(ids), 500):
        connection.execute(update(sync_outbox).where(sync_outbox.c.id.in_(ids[start : start + 500])).values(**values))


def supersede_others(connection: Connection, *, target: str, keep_keys: set[str]) -> int:
    """Mark pending and failed operations not in ``keep_keys`` superseded (a newer plan replaced them)."""
    query = select(sync_outbox.c.id, sync_outbox.c.key).where(
        and_(sync_outbox.c.target == target, sync_outbox.c.state.in_(("pending", "failed")))
    )
    stale = [row.id for row in connection.execute(query) if row.key not in keep_keys]
    set_state(connection, ids=stale, state="superseded")
    return len(stale)


def operations_in_state(
    connection: Connection, *, target: str, states: Sequence[str], keys: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Outbox rows of ``target`` in ``states`` (optionally only ``keys``), oldest first."""
    query = (
        select(sync_outbox)
        .where(and_(sync_outbox.c.target == target, sync_outbox.c.state.in_(states)))
        .order_by(sync_outbox.c.id)
    )
    rows = [dict(row) for row in connection.execute(query).mappings()]
    if keys is not None:
        wanted = set(keys)
        rows = [row for row in rows if row["key"] in wanted]
    return rows


def outbox_counts(connection: Connection, *, target: str | None = None) -> dict[str, int]:
    """Outbox rows per state."""
    query = select(sync_outbox.c.state, func.count()).group_by(sync_outbox.c.state)
    if target is not None:
        query = query.where(sync_outbox.c.target == target)
    return {state: int(count) for state, count in connection.execute(query)}


# --- log ----------------------------------------------------------------------------------------------------


def log_outcomes(connection: Connection, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append per-record outcomes: payload hash, outcome and the remote system's answer."""
    if not rows:
        return
    now = utcnow()
    full = [{"created_at": now, **row} for row in rows]
    for start in range(0, len(full), 500):
        connection.execute(insert(sync_log), full[start : start + 500])


def run_outcomes(connection: Connection, *, run_id: int) -> dict[tuple[str, str, str], int]:
    """(module, action, outcome) -> count for one run."""
    query = (
        select(sync_log.c.module, sync_log.c.action, sync_log.c.outcome, func.count())
        .where(sync_log.c.run_id == run_id)
        .group_by(sync_log.c.module, sync_log.c.action, sync_log.c.outcome)
    )
    return {(m, a, o): int(n) for m, a, o, n in connection.execute(query)}


def run_log(
    connection: Connection, *, run_id: int, outcomes: Sequence[str] | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    query = select(sync_log).where(sync_log.c.run_id == run_id).order_by(sync_log.c.id).limit(limit)
    if outcomes is not None:
        query = query.where(sync_log.c.outcome.in_(outcomes))
    return [dict(row) for row in connection.execute(query).mappings()]


def record_history(connection: Connection, *, target: str, golden_id: str) -> list[dict[str, Any]]:
    query = (
        select(sync_log)
        .where(and_(sync_log.c.target == target, sync_log.c.golden_id == golden_id))
        .order_by(sync_log.c.id)
    )
    return [dict(row) for row in connection.execute(query).mappings()]
