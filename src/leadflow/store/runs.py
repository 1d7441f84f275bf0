"""Repository for pipeline runs: one row per run, with status and counters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from leadflow.model import RunStatus
from leadflow.store.schema import runs


def utcnow() -> datetime:
    return datetime.now(UTC)


def start_run(connection: Connection, *, kind: str) -> int:
    """Record the start of a run and return its id."""
    result = connection.execute(
        insert(runs)
        .values(kind=kind, status=RunStatus.RUNNING.value, started_at=utcnow(), counters={})
        .returning(runs.c.id)
    )
    return int(result.scalar_one())


def finish_run(
    connection: Connection,
    *,
    run_id: int,
    status: RunStatus,
    counters: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Close a run with its final status (``succeeded``, ``failed``, ``stopped``) and counters."""
    values: dict[str, Any] = {"status": status.value, "finished_at": utcnow(), "error": error}
    if counters is not None:
        values["counters"] = dict(counters)
    connection.execute(update(runs).where(runs.c.id == run_id).values(**values))


def get_run(connection: Connection, *, run_id: int) -> dict[str, Any] | None:
    row = connection.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
    return dict(row) if row else None


def list_runs(connection: Connection, *, kind: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    query = select(runs).order_by(runs.c.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(runs.c.kind == kind)
    return [dict(row) for row in connection.execute(query).mappings()]
