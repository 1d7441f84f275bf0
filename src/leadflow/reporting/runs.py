"""Past runs: the recent ones with their counters, and one run in detail (outcomes per module, refusals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from leadflow.store.schema import runs, sync_log


@dataclass(frozen=True)
class RunSummary:
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counters: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class Refusal:
    """A record the target refused (or leadflow found invalid) in a run, with the target's answer."""

    golden_id: str
    module: str
    outcome: str
    code: str | None
    message: str | None


@dataclass(frozen=True)
class RunDetail:
    run: RunSummary
    outcomes: dict[tuple[str, str, str], int]  # (module, action, outcome) -> records
    refusals: list[Refusal] = field(default_factory=list)


def recent_runs(connection: Connection, *, kind: str | None = None, limit: int = 20) -> list[RunSummary]:
    """The newest ``limit`` runs, of one ``kind`` (``sync``, ``ingest``, ...) or all.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     [run.status for run in recent_runs(connection, kind="sync", limit=2)]
        ['succeeded', 'succeeded']
    """
    query = select(runs).order_by(runs.c.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(runs.c.kind == kind)
    return [_summary(row) for row in connection.execute(query).mappings()]


def run_detail(connection: Connection, *, run_id: int, refusals: int = 20) -> RunDetail | None:
    """One run with its per-record outcomes counted and the first ``refusals`` refused or invalid records;
    None when there is no such run."""
    row = connection.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
    if row is None:
        return None
    counted = connection.execute(
        select(sync_log.c.module, sync_log.c.action, sync_log.c.outcome, func.count())
        .where(sync_log.c.run_id == run_id)
        .group_by(sync_log.c.module, sync_log.c.action, sync_log.c.outcome)
        .order_by(sync_log.c.module, sync_log.c.action, sync_log.c.outcome)
    )
    refused = connection.execute(
        select(sync_log.c.golden_id, sync_log.c.module, sync_log.c.outcome, sync_log.c.code, sync_log.c.message)
        .where(sync_log.c.run_id == run_id, sync_log.c.outcome.in_(("failed", "invalid")))
        .order_by(sync_log.c.id)
        .limit(refusals)
    )
    return RunDetail(
        run=_summary(row),
        outcomes={(module, action, outcome): int(count) for module, action, outcome, count in counted},
        refusals=[Refusal(*line) for line in refused],
    )


def _summary(row: Any) -> RunSummary:
    return RunSummary(
        id=int(row["id"]),
        kind=row["kind"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        counters=dict(row["counters"] or {}),
        error=row["error"],
    )
