"""Putting a plan in the outbox: every operation under its deterministic key, idempotently, a chunk at a time.

States are :class:`~leadflow.store.sync_outbox.OutboxState`. Failed operations come back to ``pending`` when
their failure was not about the record (the schema's retryable codes), or with ``retry_failed``. With
``check_base`` (a plan read from a file), an operation planned against an id-map version that has moved
since is stale and skipped. Open operations the newest plan no longer holds are superseded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from leadflow.store import sync_ledger, sync_outbox
from leadflow.store.sync_outbox import OutboxState
from leadflow.sync.plan import Operation, Plan
from leadflow.sync.schema import TargetSchema

MAX_ATTEMPTS_CODE = "MAX_ATTEMPTS"


@dataclass
class Enqueued:
    """What putting a plan in the outbox did."""

    new: int = 0
    already_pending: int = 0
    retried: int = 0
    failed_kept: int = 0
    invalid: int = 0
    stale: int = 0
    superseded: int = 0
    keys: list[str] = field(default_factory=list)  # only kept for a plan enqueued without a run


def enqueue_chunk(
    connection: Connection,
    operations: Sequence[Operation],
    result: Enqueued,
    *,
    schema: TargetSchema,
    plan_id: str,
    run_id: int | None,
    retry_failed: bool = False,
    check_base: bool = False,
) -> None:
    """Put one chunk of a plan in the outbox, adding to ``result``; existing keys are not added twice and
    are marked as part of run ``run_id``'s plan."""
    target = schema.name
    if check_base:
        synced = sync_ledger.synced_for(connection, target=target, golden_ids=[op.record_id for op in operations])
        fresh = []
        for op in operations:
            previous = synced.get(op.record_id)
            if (previous.version if previous else 0) != op.base_version:
                result.stale += 1
            else:
                fresh.append(op)
        operations = fresh
    existing = sync_outbox.by_keys(connection, keys=[op.key for op in operations])
    new_rows: list[dict[str, Any]] = []
    invalid_logs: list[dict[str, Any]] = []
    to_retry: list[int] = []
    to_reset: list[int] = []
    claimed: list[int] = []
    for op in operations:
        row = existing.get(op.key)
        if run_id is None:
            result.keys.append(op.key)
        if row is None:
            new_rows.append(_new_row(op, target=target, plan_id=plan_id, run_id=run_id))
            if op.invalid:
                result.invalid += 1
                invalid_logs.append(_invalid_log(op, target=target, run_id=run_id))
            else:
                result.new += 1
            continue
        claimed.append(row.id)
        if row.state == OutboxState.FAILED:
            if retry_failed or (schema.is_retryable(row.error_code) and row.error_code != MAX_ATTEMPTS_CODE):
                (to_reset if retry_failed else to_retry).append(row.id)
                result.retried += 1
            else:
                result.failed_kept += 1
        elif row.state in (OutboxState.PENDING, OutboxState.IN_FLIGHT):
            result.already_pending += 1
        elif row.state == OutboxState.SUPERSEDED:
            to_retry.append(row.id)
            result.retried += 1
        elif row.state == OutboxState.INVALID:
            result.invalid += 1
    sync_outbox.insert_rows(connection, rows=new_rows)
    sync_outbox.claim(connection, ids=claimed, run_id=run_id)
    sync_outbox.set_state(connection, ids=to_retry, state=OutboxState.PENDING, run_id=run_id)
    if to_reset:  # asked to retry: the count of sends starts again
        sync_outbox.set_state(connection, ids=to_reset, state=OutboxState.PENDING, run_id=run_id, reset_attempts=True)
    sync_ledger.log_outcomes(connection, rows=invalid_logs)


def finish(connection: Connection, result: Enqueued, *, target: str, run_id: int | None) -> Enqueued:
    """After the last chunk: open operations of older plans that this one no longer holds are superseded."""
    result.superseded = sync_outbox.supersede_outside_run(
        connection, target=target, run_id=run_id, keep_keys=set(result.keys)
    )
    return result


def enqueue(
    connection: Connection,
    plan: Plan | Iterable[Operation],
    *,
    schema: TargetSchema,
    run_id: int | None,
    plan_id: str | None = None,
    retry_failed: bool = False,
    check_base: bool = False,
    chunk: int = 2_000,
) -> Enqueued:
    """Put a whole plan in the outbox (idempotent: keys already there are not added twice).

    Example:
        >>> result = enqueue(connection, plan, schema=schema, run_id=None)  # doctest: +SKIP
        >>> result.new, result.superseded  # doctest: +SKIP
        (12, 0)
    """
    operations = plan.operations if isinstance(plan, Plan) else list(plan)
    plan_id = plan_id or (plan.plan_id if isinstance(plan, Plan) else Plan.of(schema.name, operations).plan_id)
    result = Enqueued()
    for start in range(0, len(operations), chunk):
        enqueue_chunk(
            connection,
            operations[start : start + chunk],
            result,
            schema=schema,
            plan_id=plan_id,
            run_id=run_id,
            retry_failed=retry_failed,
            check_base=check_base,
        )
    return finish(connection, result, target=schema.name, run_id=run_id)


def _new_row(op: Operation, *, target: str, plan_id: str, run_id: int | None) -> dict[str, Any]:
    return {
        "key": op.key,
        "target": target,
        "plan_id": plan_id,
        "kind": op.kind,
        "action": op.action,
        "method": op.method,
        "golden_id": op.golden_id,
        "module": op.module,
        "remote_id": op.remote_id,
        "depends_on": op.depends_on,
        "payload": op.payload,
        "payload_hash": op.payload_hash,
        "desired": op.desired,
        "base_version": op.base_version,
        "state": (OutboxState.INVALID if op.invalid else OutboxState.PENDING).value,
        "error_code": "INVALID" if op.invalid else None,
        "error_message": "; ".join(op.invalid) if op.invalid else None,
        "run_id": run_id,
    }


def _invalid_log(op: Operation, *, target: str, run_id: int | None) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "target": target,
        "golden_id": op.golden_id,
        "module": op.module,
        "remote_id": op.remote_id,
        "action": op.action,
        "payload_hash": op.payload_hash,
        "outcome": "invalid",
        "code": "INVALID",
        "message": "; ".join(op.invalid),
    }
