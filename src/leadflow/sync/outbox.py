"""The outbox: every operation under its deterministic key, with a state.

States: ``pending`` (to send), ``in_flight`` (sent, answer not yet recorded: reconciled before anything is
sent again), ``confirmed``, ``failed`` (with the target's code, message and details), ``invalid`` (never
sent: the plan found it unsendable), ``superseded`` (a newer plan replaced it), ``stale`` never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from leadflow.store import sync_ledger
from leadflow.sync.plan import Plan

PENDING, IN_FLIGHT, CONFIRMED, FAILED, INVALID, SUPERSEDED = (
    "pending",
    "in_flight",
    "confirmed",
    "failed",
    "invalid",
    "superseded",
)

# Failures that say nothing about the record itself: retried by the next run without being asked.
RETRYABLE_CODES = frozenset(
    {
        "TOO_MANY_REQUESTS",
        "INTERNAL_ERROR",
        "TRANSIENT",
        "RESPONSE_LOST",
        "NOT_CONFIRMED",
        "LOCK_LOST",
        "CREDIT_BUDGET",
        "LIMIT_EXCEEDED",
        "ACCOUNT_MISSING",
        "RECORD_MISSING",
    }
)


@dataclass
class Enqueued:
    """What putting a plan in the outbox did."""

    keys: list[str] = field(default_factory=list)
    new: int = 0
    already_pending: int = 0
    retried: int = 0
    failed_kept: int = 0
    invalid: int = 0
    stale: int = 0
    superseded: int = 0


def enqueue(
    connection: Connection,
    plan: Plan,
    *,
    run_id: int | None,
    retry_failed: bool = False,
    check_base: bool = False,
) -> Enqueued:
    """Put ``plan`` in the outbox (idempotent: keys already there are not added twice).

    Failed operations come back to ``pending`` when their failure was not about the record, or with
    ``retry_failed``. With ``check_base`` (a plan read from a file), an operation planned against an id-map
    version that has moved since is stale and skipped. Open operations of older plans are superseded.
    """
    result = Enqueued()
    operations = plan.operations
    if check_base:
        synced = sync_ledger.load_synced(connection, target=plan.target)
        fresh = []
        for op in operations:
            previous = synced.get(op.record_id)
            if (previous.version if previous else 0) != op.base_version:
                result.stale += 1
            else:
                fresh.append(op)
        operations = fresh
    keys = [op.key for op in operations]
    existing = sync_ledger.outbox_by_keys(connection, keys=keys)
    plan_id = plan.plan_id
    new_rows: list[dict[str, Any]] = []
    invalid_logs: list[dict[str, Any]] = []
    to_retry: list[int] = []
    for op in operations:
        row = existing.get(op.key)
        if row is None:
            state = INVALID if op.invalid else PENDING
            new_rows.append(
                {
                    "key": op.key,
                    "target": plan.target,
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
                    "state": state,
                    "error_code": "INVALID" if op.invalid else None,
                    "error_message": "; ".join(op.invalid) if op.invalid else None,
                    "run_id": run_id,
                }
            )
            if op.invalid:
                result.invalid += 1
                invalid_logs.append(
                    {
                        "run_id": run_id,
                        "target": plan.target,
                        "golden_id": op.golden_id,
                        "module": op.module,
                        "remote_id": op.remote_id,
                        "action": op.action,
                        "payload_hash": op.payload_hash,
                        "outcome": "invalid",
                        "code": "INVALID",
                        "message": "; ".join(op.invalid),
                    }
                )
            else:
                result.new += 1
            result.keys.append(op.key)
        elif row["state"] == FAILED:
            if retry_failed or row["error_code"] in RETRYABLE_CODES:
                to_retry.append(int(row["id"]))
                result.retried += 1
            else:
                result.failed_kept += 1
            result.keys.append(op.key)
        elif row["state"] in (PENDING, IN_FLIGHT):
            result.already_pending += 1
            result.keys.append(op.key)
        elif row["state"] == SUPERSEDED:
            to_retry.append(int(row["id"]))
            result.retried += 1
            result.keys.append(op.key)
        elif row["state"] == INVALID:
            result.invalid += 1
            result.keys.append(op.key)
    sync_ledger.insert_operations(connection, rows=new_rows)
    sync_ledger.set_state(connection, ids=to_retry, state=PENDING, run_id=run_id)
    sync_ledger.log_outcomes(connection, rows=invalid_logs)
    result.superseded = sync_ledger.supersede_others(connection, target=plan.target, keep_keys=set(result.keys))
    return result
