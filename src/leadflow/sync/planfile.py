"""The plan file: JSON lines a person can read with ``head``; the first line holds counts and examples.

Line 1: ``{"type": "plan", "plan_id", "target", "created_at", "counts", "examples": [...]}``;
every further line: ``{"type": "operation", ...}`` with the operation's key, module, action, the fields
it sends and each changed field as ``[old, new]``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leadflow.errors import InputError
from leadflow.sync.plan import Operation, Plan, examples


def describe_diff(op: Operation) -> list[str]:
    """``field: old -> new`` lines of one operation.

    Example:
        >>> from leadflow.sync.plan import Operation
        >>> op = Operation("k", "person", "update", "update", "gp_1", "Leads", "1", None, {}, {}, "h", 0,
        ...                diff={"Designation": ["CTO", "VP Engineering"]})
        >>> describe_diff(op)
        ['Designation: CTO -> VP Engineering']
    """
    if op.action == "create" and not op.diff:
        return [f"{name}: (empty) -> {_show(value)}" for name, value in op.payload.items() if name != "Leadflow_ID"]
    return [f"{name}: {_show(old)} -> {_show(new)}" for name, (old, new) in op.diff.items()]


def _show(value: Any) -> str:
    if value is None or value == []:
        return "(empty)"
    if isinstance(value, dict):
        return f"<account {next(iter(value.values()), '?')}>"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def write_plan(plan: Plan, path: Path) -> None:
    """Write ``plan`` to ``path`` as JSON lines."""
    header = {
        "type": "plan",
        "plan_id": plan.plan_id,
        "target": plan.target,
        "created_at": plan.created_at,
        "counts": plan.counts(),
        "examples": [
            {
                "key": op.key,
                "module": op.module,
                "action": op.action,
                "changes": describe_diff(op),
                "invalid": op.invalid,
            }
            for op in examples(plan.operations)
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(header, default=str) + "\n")
        for op in plan.operations:
            handle.write(json.dumps({"type": "operation", **op.to_json()}, default=str) + "\n")


def read_plan(path: Path) -> Plan:
    """Read a plan written by :func:`write_plan`; a clear error when the file is not one."""
    if not path.exists():
        raise InputError(f"{path}: no such plan file")
    operations: list[Operation] = []
    header: dict[str, Any] | None = None
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if number == 1:
                    if data.get("type") != "plan":
                        raise ValueError("the first line is not a plan header")
                    header = data
                elif data.get("type") == "operation":
                    operations.append(Operation.from_json(data))
                else:
                    raise ValueError(f"unknown line type {data.get('type')!r}")
            except (ValueError, TypeError, KeyError) as exc:
                raise InputError(f"{path}:{number}: not a leadflow plan line ({exc})") from exc
    if header is None:
        raise InputError(f"{path}: empty plan file")
    plan = Plan(str(header["target"]), operations, unchanged=int(header["counts"].get("unchanged records", 0)))
    plan.created_at = str(header.get("created_at", plan.created_at))
    if plan.plan_id != header.get("plan_id"):
        raise InputError(f"{path}: operations do not match the plan id in the header (edited by hand?)")
    return plan
