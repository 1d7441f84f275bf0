"""Repository for the sync ledger: id map with last-pushed state and the per-record log (the outbox is in
:mod:`leadflow.store.sync_outbox`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import sync_log, sync_records


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


def _synced(row: RowMapping) -> SyncedRecord:
    return SyncedRecord(
        golden_id=row["golden_id"],
        kind=row["kind"],
        module=row["module"],
        remote_id=row["remote_id"],
        payload_hash=row["payload_hash"],
        payload=dict(row["payload"] or {}),
        version=int(row["version"]),
    )


def load_synced(connection: Connection, *, target: str) -> dict[str, SyncedRecord]:
    """Every id-map row of ``target`` by golden id (small stores and tests; the engine reads :func:`synced_for`)."""
    rows = connection.execute(select(sync_records).where(sync_records.c.target == target)).mappings()
    return {row["golden_id"]: _synced(row) for row in rows}


def synced_for(connection: Connection, *, target: str, golden_ids: Iterable[str]) -> dict[str, SyncedRecord]:
    """The id-map rows of ``golden_ids`` at ``target`` (read 500 at a time)."""
    ids = list(dict.fromkeys(golden_ids))
    found: dict[str, SyncedRecord] = {}
    for start in range(0, len(ids), 500):
        query = select(sync_records).where(
            and_(sync_records.c.target == target, sync_records.c.golden_id.in_(ids[start : start + 500]))
        )
        found.update({row["golden_id"]: _synced(row) for row in connection.execute(query).mappings()})
    return found


def remote_ids_of_kind(connection: Connection, *, target: str, kind: str) -> dict[str, str]:
    """Golden id -> remote id of every record of ``kind`` that exists remotely (companies: a few per 100 people)."""
    query = select(sync_records.c.golden_id, sync_records.c.remote_id).where(
        and_(sync_records.c.target == target, sync_records.c.kind == kind, sync_records.c.remote_id.is_not(None))
    )
    return {str(golden_id): str(remote_id) for golden_id, remote_id in connection.execute(query)}


def iter_pushed(connection: Connection, *, target: str, kinds: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(golden id, kind) of every record of ``kinds`` that exists remotely, streamed."""
    query = select(sync_records.c.golden_id, sync_records.c.kind).where(
        and_(
            sync_records.c.target == target,
            sync_records.c.kind.in_(list(kinds)),
            sync_records.c.remote_id.is_not(None),
        )
    )
    for golden_id, kind in connection.execute(query.execution_options(yield_per=5000)):
        yield str(golden_id), str(kind)


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


def outbox_counts(connection: Connection, *, target: str | None = None) -> dict[str, int]:
    """Outbox operations per state (see :mod:`leadflow.store.sync_outbox`)."""
    from leadflow.store import sync_outbox

    return sync_outbox.counts(connection, target=target)


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


def created_records(connection: Connection, *, target: str, modules: Sequence[str]) -> set[tuple[str, str]]:
    """(module, remote id) of every record of ``modules`` a sync created at ``target`` (not one it found there)."""
    query = select(sync_log.c.module, sync_log.c.remote_id).where(
        sync_log.c.target == target,
        sync_log.c.action == "create",
        sync_log.c.outcome == "created",
        sync_log.c.module.in_(list(modules)),
        sync_log.c.remote_id.is_not(None),
    )
    return {(str(module), str(remote_id)) for module, remote_id in connection.execute(query)}
